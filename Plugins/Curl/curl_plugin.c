/* The libcurl instrumentation: a CLIENT span per HTTP transfer, following the
 * HTTP semantic conventions (stable, v1.33: http.request.method,
 * url.full, server.address, server.port, http.response.status_code,
 * error.type, network.protocol.version, network.peer.address/port), the
 * W3C trace context and baggage injected as request headers, and the
 * metric http.client.request.duration.
 *
 * Wrapped through the GOT of the program and its other libraries (never
 * libcurl's calls to itself): curl_easy_perform (a transfer), and for the
 * multi interface curl_multi_add_handle (a transfer starts),
 * curl_multi_info_read (it is done) and curl_multi_remove_handle (it is
 * abandoned); curl_easy_setopt, curl_easy_reset, curl_easy_duphandle and
 * curl_easy_cleanup to know each handle's URL, method and headers.
 *
 * Headers: for the transfer's duration libcurl gets a copy of the
 * application's list with traceparent/tracestate/baggage replaced by ours;
 * the application's own list is put back and the copy freed afterwards. */
#define _GNU_SOURCE
#include "otel_curl.h"
#include "otel_http_semconv.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

OTEL_PLUGIN_DECLARE_ABI();

static const otel_host_api *host;
static otel_tracer *tracer;
/* http.client.request.duration (HTTP metrics): seconds, the advised buckets. */
static otel_instrument *duration;

/* The originals. */
static CURLcode (*real_setopt)(CURL *, int, ...);
static CURLcode (*real_perform)(CURL *);
static void (*real_reset)(CURL *);
static void (*real_cleanup)(CURL *);
static CURL *(*real_duphandle)(CURL *);
static CURLMcode (*real_multi_add_handle)(CURLM *, CURL *);
static CURLMcode (*real_multi_remove_handle)(CURLM *, CURL *);
static CURLMsg *(*real_multi_info_read)(CURLM *, int *);
/* libcurl functions the wrappers call, from the library that defines the wrapped ones. */
static struct {
    CURLcode (*getinfo)(CURL *, int, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    int resolved;
} lib;
static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;
#define HOOK_COUNT 8
static void *hooks[HOOK_COUNT];

static int resolve_library(void *any_original) {
    if (__atomic_load_n(&lib.resolved, __ATOMIC_ACQUIRE)) return lib.resolved > 0;
    pthread_mutex_lock(&lib_lock);
    if (!lib.resolved) {
        Dl_info info;
        void *handle = any_original && dladdr(any_original, &info) ? dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD) : NULL;
        if (handle) {
            lib.getinfo = (CURLcode(*)(CURL *, int, ...))dlsym(handle, "curl_easy_getinfo");
            lib.slist_append = (struct curl_slist * (*)(struct curl_slist *, const char *)) dlsym(handle, "curl_slist_append");
            lib.slist_free_all = (void (*)(struct curl_slist *))dlsym(handle, "curl_slist_free_all");
            dlclose(handle); /* libcurl stays loaded: the program uses it */
        }
        int complete = lib.getinfo && lib.slist_append && lib.slist_free_all;
        if (!complete) host->log(OTEL_LOG_WARNING, "curl: libcurl's curl_easy_getinfo or curl_slist_* not found; transfers are not traced");
        __atomic_store_n(&lib.resolved, complete ? 1 : -1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&lib_lock);
    return lib.resolved > 0;
}

/* ---- options ----------------------------------------------------------- */

/* Keeps what the spans need from an option the application sets. */
static void note_option(CURL *handle, int option, void *value) {
    switch (option) {
    case OTEL_CURLOPT_URL: case OTEL_CURLOPT_CUSTOMREQUEST: case OTEL_CURLOPT_HTTPHEADER: case OTEL_CURLOPT_POST:
    case OTEL_CURLOPT_POSTFIELDS: case OTEL_CURLOPT_COPYPOSTFIELDS: case OTEL_CURLOPT_HTTPPOST: case OTEL_CURLOPT_MIMEPOST:
    case OTEL_CURLOPT_UPLOAD: case OTEL_CURLOPT_PUT: case OTEL_CURLOPT_NOBODY: case OTEL_CURLOPT_HTTPGET:
        break;
    default:
        return;
    }
    otel_curl_handle *record = otel_curl_handle_get(handle);
    if (!record) return;
    long flag = (long)(intptr_t)value;
    switch (option) {
    case OTEL_CURLOPT_URL:
        free(record->url);
        record->url = value ? strdup(value) : NULL;
        break;
    case OTEL_CURLOPT_CUSTOMREQUEST:
        free(record->custom_method);
        record->custom_method = value ? strdup(value) : NULL;
        break;
    case OTEL_CURLOPT_HTTPHEADER:
        record->headers = value;
        break;
    case OTEL_CURLOPT_POST:
        record->request = flag ? OTEL_CURL_REQUEST_POST : OTEL_CURL_REQUEST_GET;
        if (flag) record->no_body = false;
        break;
    case OTEL_CURLOPT_POSTFIELDS: case OTEL_CURLOPT_COPYPOSTFIELDS: case OTEL_CURLOPT_HTTPPOST: case OTEL_CURLOPT_MIMEPOST:
        if (value) {
            record->request = OTEL_CURL_REQUEST_POST;
            if (option == OTEL_CURLOPT_HTTPPOST || option == OTEL_CURLOPT_MIMEPOST) record->no_body = false;
        }
        break;
    case OTEL_CURLOPT_UPLOAD: case OTEL_CURLOPT_PUT:
        record->upload = flag != 0;
        record->request = flag ? OTEL_CURL_REQUEST_PUT : OTEL_CURL_REQUEST_GET;
        if (flag) record->no_body = false;
        break;
    case OTEL_CURLOPT_NOBODY:
        record->no_body = flag != 0;
        if (flag) record->request = OTEL_CURL_REQUEST_HEAD;
        else if (record->request == OTEL_CURL_REQUEST_HEAD) record->request = OTEL_CURL_REQUEST_GET;
        break;
    case OTEL_CURLOPT_HTTPGET:
        if (flag) {
            record->request = OTEL_CURL_REQUEST_GET;
            record->upload = record->no_body = false;
        }
        break;
    }
}

/* curl_easy_setopt is variadic: every option takes one long, pointer or
 * curl_off_t, all passed in one register of the same width on the
 * platforms we run on, so the value is read and passed on as a pointer. */
static CURLcode wrapped_setopt(CURL *handle, int option, ...) {
    va_list arguments;
    va_start(arguments, option);
    void *value = va_arg(arguments, void *);
    va_end(arguments);
    CURLcode code = real_setopt(handle, option, value);
    if (code == 0 && host->hook_enter()) {
        int saved = errno;
        note_option(handle, option, value);
        errno = saved;
    }
    host->hook_exit();
    return code;
}

static void wrapped_reset(CURL *handle) {
    real_reset(handle);
    otel_curl_handle *record = otel_curl_handle_find(handle);
    if (record) {
        int saved = errno;
        otel_curl_handle_reset(record);
        errno = saved;
    }
}

static CURL *wrapped_duphandle(CURL *handle) {
    CURL *copy = real_duphandle(handle);
    otel_curl_handle *record = copy ? otel_curl_handle_find(handle) : NULL;
    if (record && host->hook_enter()) {
        int saved = errno;
        otel_curl_handle *duplicate = otel_curl_handle_get(copy);
        if (duplicate) {
            duplicate->url = record->url ? strdup(record->url) : NULL;
            duplicate->custom_method = record->custom_method ? strdup(record->custom_method) : NULL;
            duplicate->request = record->request;
            duplicate->no_body = record->no_body;
            duplicate->upload = record->upload;
            duplicate->headers = record->headers;
        }
        errno = saved;
    }
    if (record) host->hook_exit();
    return copy;
}

/* ---- transfers ----------------------------------------------------------- */

/* A transfer's request as the options describe it. */
typedef struct request_facts {
    const char *method;          /* http.request.method: a known method or "_OTHER" */
    const char *original_method; /* http.request.method_original, or NULL */
    const char *url;             /* the URL as set, or NULL */
    otel_url_parts parts;
} request_facts;

static const char *const request_methods[] = {"GET", "POST", "PUT", "HEAD"};

/* False when the transfer is not HTTP (another scheme, or no URL known). */
static bool describe_request(const otel_curl_handle *record, request_facts *facts) {
    memset(facts, 0, sizeof *facts);
    if (!record || !record->url || !otel_url_parse(record->url, &facts->parts) || !otel_url_is_http(&facts->parts)) return false;
    facts->url = record->url;
    otel_curl_request request = record->no_body ? OTEL_CURL_REQUEST_HEAD : record->upload ? OTEL_CURL_REQUEST_PUT : record->request;
    const char *method = record->custom_method ? record->custom_method : request_methods[request];
    const char *known = otel_http_known_method(method, strlen(method));
    facts->method = known ? known : "_OTHER";
    if (!known) facts->original_method = method;
    return true;
}

/* Starts the CLIENT span of a transfer: named after its method ("HTTP" for
 * an unknown one, HTTP spans, "Name"), with the request's attributes. */
static void start_transfer_span(const request_facts *facts, otel_span *span) {
    host->span_start(tracer, facts->original_method ? "HTTP" : facts->method, OTEL_SPAN_KIND_CLIENT, NULL, span);
    if (!otel_plugin_span_is_recording(host, span)) return;
    char full[2048];
    char address[256];
    otel_attribute attributes[6];
    size_t count = 0;
    attributes[count++] = otel_attribute_string("http.request.method", facts->method);
    if (facts->original_method) attributes[count++] = otel_attribute_string("http.request.method_original", facts->original_method);
    otel_url_full(facts->url, full, sizeof full);
    attributes[count++] = otel_attribute_string("url.full", full);
    size_t length = facts->parts.host_length < sizeof address ? facts->parts.host_length : sizeof address - 1;
    memcpy(address, facts->parts.host, length);
    address[length] = '\0';
    attributes[count++] = otel_attribute_string("server.address", address);
    if (facts->parts.port) attributes[count++] = otel_attribute_int("server.port", facts->parts.port);
    host->span_set_attributes(span, attributes, count);
}

/* The carrier that appends headers to the list being built. */
typedef struct header_list {
    struct curl_slist *list;
    bool failed;
} header_list;

static void append_header(header_list *headers, const char *line) {
    if (headers->failed) return;
    struct curl_slist *grown = lib.slist_append(headers->list, line);
    if (grown) headers->list = grown;
    else headers->failed = true;
}

static void set_header(void *user, const char *key, const char *value) {
    char line[8192];
    if ((size_t)snprintf(line, sizeof line, "%s: %s", key, value) < sizeof line) append_header(user, line);
}

/* Whether a header line of the application names a field we set. */
static bool is_propagation_header(const char *line) {
    static const char *const names[] = {"traceparent", "tracestate", "baggage"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t length = strlen(names[i]);
        if (strncasecmp(line, names[i], length) == 0 && (line[length] == ':' || line[length] == ';')) return true;
    }
    return false;
}

/* Gives libcurl the application's headers plus the span's context; returns
 * the list to free afterwards (NULL: nothing changed). */
static struct curl_slist *inject_headers(CURL *handle, const otel_curl_handle *record, const otel_span *span) {
    header_list headers = {NULL, false};
    for (const struct curl_slist *item = record ? record->headers : NULL; item; item = item->next) {
        if (item->data && !is_propagation_header(item->data)) append_header(&headers, item->data);
    }
    otel_context *context = host->context_with_span(NULL, span);
    otel_carrier carrier = {.user = &headers, .set = set_header};
    host->propagation_inject(context, &carrier);
    host->context_release(context);
    if (headers.failed || !headers.list || real_setopt(handle, OTEL_CURLOPT_HTTPHEADER, headers.list) != 0) {
        if (headers.list) lib.slist_free_all(headers.list);
        return NULL;
    }
    return headers.list;
}

/* Puts the application's header list back and frees ours. */
static void restore_headers(CURL *handle, const otel_curl_handle *record, struct curl_slist *injected) {
    if (!injected) return;
    real_setopt(handle, OTEL_CURLOPT_HTTPHEADER, record ? record->headers : NULL);
    lib.slist_free_all(injected);
}

static uint64_t monotonic_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* network.protocol.version from CURLINFO_HTTP_VERSION (CURL_HTTP_VERSION_*). */
static const char *protocol_version(long version) {
    switch (version) {
    case 1: return "1.0";
    case 2: return "1.1";
    case 3: return "2";
    case 30: return "3";
    default: return NULL;
    }
}

/* Ends a transfer's span with its outcome, records its duration. */
static void finish_transfer(CURL *handle, const request_facts *facts, otel_span *span, uint64_t started, CURLcode result) {
    long status = 0, version = 0, peer_port = 0;
    char *peer = NULL;
    lib.getinfo(handle, OTEL_CURLINFO_RESPONSE_CODE, &status);
    lib.getinfo(handle, OTEL_CURLINFO_HTTP_VERSION, &version);
    char status_text[12];
    const char *error = otel_http_status_error((int)status, false, status_text);
    if (!error && result != 0) error = otel_curl_error_name(result) ? otel_curl_error_name(result) : "_OTHER";
    const char *protocol = protocol_version(version);
    char address[256];
    size_t length = facts->parts.host_length < sizeof address ? facts->parts.host_length : sizeof address - 1;
    memcpy(address, facts->parts.host, length);
    address[length] = '\0';
    if (started && host->instrument_enabled(duration)) {
        double seconds = (double)(monotonic_now() - started) / 1e9;
        otel_attribute attributes[7];
        size_t count = 0;
        attributes[count++] = otel_attribute_string("http.request.method", facts->method);
        attributes[count++] = otel_attribute_string("server.address", address);
        if (facts->parts.port) attributes[count++] = otel_attribute_int("server.port", facts->parts.port);
        char scheme[16];
        size_t scheme_length = facts->parts.scheme_length < sizeof scheme ? facts->parts.scheme_length : sizeof scheme - 1;
        for (size_t i = 0; i < scheme_length; i++) scheme[i] = (char)(facts->parts.scheme[i] | 0x20);
        scheme[scheme_length] = '\0';
        attributes[count++] = otel_attribute_string("url.scheme", scheme);
        if (status) attributes[count++] = otel_attribute_int("http.response.status_code", status);
        if (error) attributes[count++] = otel_attribute_string("error.type", error);
        if (protocol) attributes[count++] = otel_attribute_string("network.protocol.version", protocol);
        host->instrument_record_double(duration, seconds, attributes, count);
    }
    if (otel_plugin_span_is_recording(host, span)) {
        otel_attribute attributes[5];
        size_t count = 0;
        if (status) attributes[count++] = otel_attribute_int("http.response.status_code", status);
        if (error) attributes[count++] = otel_attribute_string("error.type", error);
        if (protocol) attributes[count++] = otel_attribute_string("network.protocol.version", protocol);
        if (lib.getinfo(handle, OTEL_CURLINFO_PRIMARY_IP, &peer) == 0 && peer && *peer) {
            attributes[count++] = otel_attribute_string("network.peer.address", peer);
            if (lib.getinfo(handle, OTEL_CURLINFO_PRIMARY_PORT, &peer_port) == 0 && peer_port)
                attributes[count++] = otel_attribute_int("network.peer.port", peer_port);
        }
        host->span_set_attributes(span, attributes, count);
        /* HTTP spans, "Status": a client span is an error for 4xx, 5xx and failures. */
        if (error) host->span_set_status(span, OTEL_STATUS_ERROR, result != 0 && status < 400 ? error : NULL);
    }
    otel_plugin_span_end(host, span);
}

static CURLcode wrapped_perform(CURL *handle) {
    int saved = errno;
    request_facts facts;
    if (!host->hook_enter() || !describe_request(otel_curl_handle_find(handle), &facts) || !resolve_library((void *)real_perform)) {
        host->hook_exit();
        errno = saved;
        return real_perform(handle);
    }
    const otel_curl_handle *record = otel_curl_handle_find(handle);
    otel_span span;
    start_transfer_span(&facts, &span);
    struct curl_slist *injected = inject_headers(handle, record, &span);
    uint64_t started = host->instrument_enabled(duration) ? monotonic_now() : 0;
    /* Current while the transfer runs, sampled or not: what starts meanwhile follows its decision. */
    otel_context_token token = host->span_make_current(&span);
    host->hook_exit();
    errno = saved;
    CURLcode result = real_perform(handle);
    saved = errno;
    host->context_restore(token);
    restore_headers(handle, record, injected);
    finish_transfer(handle, &facts, &span, started, result);
    errno = saved;
    return result;
}

/* ---- the multi interface ------------------------------------------------- */

static CURLMcode wrapped_multi_add_handle(CURLM *multi, CURL *handle) {
    int saved = errno;
    otel_curl_handle *record = otel_curl_handle_find(handle);
    request_facts facts;
    if (!host->hook_enter() || !record || record->active || !describe_request(record, &facts) ||
        !resolve_library((void *)real_multi_add_handle)) {
        host->hook_exit();
        errno = saved;
        return real_multi_add_handle(multi, handle);
    }
    start_transfer_span(&facts, &record->span);
    record->injected = inject_headers(handle, record, &record->span);
    record->started = host->instrument_enabled(duration) ? monotonic_now() : 0;
    host->hook_exit();
    errno = saved;
    CURLMcode code = real_multi_add_handle(multi, handle);
    saved = errno;
    if (code == 0) {
        record->active = true;
    } else { /* not added: no transfer, no span */
        restore_headers(handle, record, record->injected);
        record->injected = NULL;
        otel_plugin_span_end(host, &record->span);
    }
    errno = saved;
    return code;
}

/* Ends the span of a handle's transfer in a multi handle, if one is open. */
static void finish_multi_transfer(CURL *handle, CURLcode result) {
    otel_curl_handle *record = otel_curl_handle_find(handle);
    if (!record || !record->active) return;
    record->active = false;
    request_facts facts;
    restore_headers(handle, record, record->injected);
    record->injected = NULL;
    if (describe_request(record, &facts)) finish_transfer(handle, &facts, &record->span, record->started, result);
    else otel_plugin_span_end(host, &record->span);
}

static CURLMsg *wrapped_multi_info_read(CURLM *multi, int *queued) {
    CURLMsg *message = real_multi_info_read(multi, queued);
    if (message && message->msg == OTEL_CURLMSG_DONE) {
        int saved = errno;
        finish_multi_transfer(message->easy_handle, message->data.result);
        errno = saved;
    }
    return message;
}

/* A transfer removed before it was reported done was abandoned by the program. */
static CURLMcode wrapped_multi_remove_handle(CURLM *multi, CURL *handle) {
    int saved = errno;
    finish_multi_transfer(handle, 0);
    errno = saved;
    return real_multi_remove_handle(multi, handle);
}

static void wrapped_cleanup(CURL *handle) {
    otel_curl_handle *record = otel_curl_handle_find(handle);
    if (record) {
        int saved = errno;
        if (record->active) finish_multi_transfer(handle, 0);
        otel_curl_handle_release(record);
        errno = saved;
    }
    real_cleanup(handle);
}

static int instrument(void *state, const otel_host_api *the_host) {
    (void)state;
    host = the_host;
    if (host->size < sizeof(otel_host_api) || !host->hook_wrap || !host->meter_get) return 1;
    const char *schema = "https://opentelemetry.io/schemas/1.33.0";
    tracer = host->tracer_get("otel-native.curl", "0.1.0", schema);
    otel_meter *meter = host->meter_get("otel-native.curl", "0.1.0", schema);
    duration = host->instrument_create(meter, OTEL_INSTRUMENT_HISTOGRAM, true, "http.client.request.duration", "s",
                                       "Duration of HTTP client requests.", otel_http_duration_buckets,
                                       sizeof otel_http_duration_buckets / sizeof otel_http_duration_buckets[0]);
    static const otel_plugin_hook table[HOOK_COUNT] = {
        {"curl_easy_setopt", (void *)wrapped_setopt, (void **)&real_setopt},
        {"curl_easy_perform", (void *)wrapped_perform, (void **)&real_perform},
        {"curl_easy_reset", (void *)wrapped_reset, (void **)&real_reset},
        {"curl_easy_cleanup", (void *)wrapped_cleanup, (void **)&real_cleanup},
        {"curl_easy_duphandle", (void *)wrapped_duphandle, (void **)&real_duphandle},
        {"curl_multi_add_handle", (void *)wrapped_multi_add_handle, (void **)&real_multi_add_handle},
        {"curl_multi_remove_handle", (void *)wrapped_multi_remove_handle, (void **)&real_multi_remove_handle},
        {"curl_multi_info_read", (void *)wrapped_multi_info_read, (void **)&real_multi_info_read},
    };
    return otel_plugin_wrap_all(host, table, HOOK_COUNT, hooks);
}

static int uninstrument(void *state, const otel_host_api *the_host) {
    (void)state;
    otel_plugin_unwrap_all(the_host, hooks, HOOK_COUNT);
    return 0;
}

__attribute__((visibility("default")))
const otel_plugin_descriptor *otel_curl_entry(const otel_host_api *the_host) {
    static const char *const instruments[] = {"libcurl.so.4 >= 7.50", NULL};
    static otel_plugin_descriptor descriptor = {
        OTEL_PLUGIN_DESCRIPTOR_HEADER,
        .name = "otel-native-curl",
        .version = "0.1.0",
        .instruments = instruments,
        .instrument = instrument,
        .uninstrument = uninstrument,
    };
    if (the_host->size < sizeof(otel_host_api)) return NULL;
    return &descriptor;
}
