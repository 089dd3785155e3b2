/* The HTTP/1.x server instrumentation over libc sockets: a SERVER span per
 * request, from its first byte read to its response's last byte written,
 * following the HTTP semantic conventions (stable, v1.33), the incoming
 * W3C trace context as parent, and the metric http.server.request.duration.
 *
 * Wrapped through the GOT of the program and its libraries (never libc's
 * calls to itself): accept and accept4 (a connection of a TCP listening
 * socket is tracked), read, recv, recvfrom, readv, recvmsg (request bytes),
 * write, send, sendto, writev, sendmsg, sendfile, sendfile64 (response
 * bytes), close, dup2, dup3 (the connection ends). Other descriptors cost
 * one table load and one branch. The bytes are only read, never changed:
 * the program sees exactly what the real call returned, and errno too.
 *
 * A thread that reads a request becomes its handler: the request's span is
 * current on that thread until its response is written, or until the
 * thread reads another connection (an event loop moving on), so spans made
 * while handling it (database, HTTP client) are its children. */
#define _GNU_SOURCE
#include "otel_http_server.h"
#include "otel_http_semconv.h"
#include "otel_request_clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

OTEL_PLUGIN_DECLARE_ABI();

static const otel_host_api *host;
static otel_tracer *tracer;
/* http.server.request.duration (HTTP metrics): seconds, the advised buckets. */
static otel_instrument *duration;

static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_recv)(int, void *, size_t, int);
static ssize_t (*real_recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
static ssize_t (*real_readv)(int, const struct iovec *, int);
static ssize_t (*real_recvmsg)(int, struct msghdr *, int);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
static ssize_t (*real_sendfile)(int, int, off_t *, size_t);
static ssize_t (*real_sendfile64)(int, int, off_t *, size_t);
static int (*real_close)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
#define HOOK_COUNT 17
static void *hooks[HOOK_COUNT];

/* Copies `length` bytes of `text` into `out` (`size` bytes), cut to fit, NUL-terminated
 * (what snprintf("%.*s") does, without its format parsing on every sampled request). */
static void copy_text(char *out, size_t size, const char *text, size_t length) {
    if (length >= size) length = size - 1;
    memcpy(out, text, length);
    out[length] = '\0';
}

/* ---- the thread's current request ----------------------------------------- */

/* The request whose span this thread made current. Every request's span is,
 * sampled or not: spans made meanwhile then follow its sampling decision
 * (trace SDK "ParentBased") and propagate its trace, as its caller asked. */
static __thread struct {
    otel_http_connection *connection;
    otel_context_token token;
} handling;

/* The connection this thread handles a request of, or NULL. */
static OTEL_HTTP_HOT otel_http_connection *handled_connection(void) { return handling.connection; }

static OTEL_HTTP_HOT void start_handling(otel_http_connection *connection, const otel_span *span) {
    handling.token = host->span_make_current(span);
    handling.connection = connection;
}

static OTEL_HTTP_HOT void stop_handling(void) {
    if (!handling.connection) return;
    host->context_restore(handling.token);
    handling.connection = NULL;
}

/* Calls into the SDK from a wrapper, when this thread may record (not inside
 * another wrapper, not one of the SDK's own threads), with errno kept as the
 * program's call left it. Parsing alone needs neither: it calls nothing that
 * is wrapped and sets no errno. */
#define SDK_CALL(call)                 \
    do {                               \
        if (host->hook_enter()) {      \
            int saved_errno = errno;   \
            call;                      \
            errno = saved_errno;       \
        }                              \
        host->hook_exit();             \
    } while (0)

/* ---- requests -------------------------------------------------------------- */

/* The carrier over a request's captured propagation headers. */
static const char *request_header(void *user, const char *key) {
    const otel_http_parser *parser = user;
    const char *value = NULL;
    if (strcmp(key, "traceparent") == 0) value = parser->traceparent.text;
    else if (strcmp(key, "tracestate") == 0) value = parser->tracestate.text;
    else if (strcmp(key, "baggage") == 0) value = parser->baggage.text;
    return value && *value ? value : NULL;
}

/* The port after a Host header's colon: its decimal digits (at most five,
 * up to 65535), else 0 (none); atoi and its locale machinery are not needed. */
static int port_number(const char *digits) {
    int port = 0, count = 0;
    for (; *digits >= '0' && *digits <= '9'; digits++) {
        if (++count > 5) return 0;
        port = port * 10 + (*digits - '0');
    }
    return *digits || port > 65535 ? 0 : port;
}

/* server.address and server.port from the Host header (HTTP server spans:
 * the authority the client asked for), else the local socket's. */
static void server_authority(const char *host_header, const char *local_address, int local_port, char *address, size_t size,
                             int *port) {
    *port = local_port;
    if (!*host_header) {
        copy_text(address, size, local_address, strlen(local_address));
        return;
    }
    const char *end = host_header + strlen(host_header);
    const char *colon = NULL;
    if (*host_header == '[') {
        const char *close = strchr(host_header, ']');
        if (close && close[1] == ':') colon = close + 1;
        host_header++;
        end = close ? close : end;
    } else {
        colon = strrchr(host_header, ':');
        if (colon) end = colon;
    }
    if (colon) *port = port_number(colon + 1);
    size_t length = (size_t)(end - host_header) < size - 1 ? (size_t)(end - host_header) : size - 1;
    memcpy(address, host_header, length);
    address[length] = '\0';
}

/* ---- a sampled request's attributes ---------------------------------------- */

/* The texts a sampled request's attributes are made of, in this order after
 * its request_facts, each NUL-terminated. */
enum { FACT_METHOD, FACT_TARGET, FACT_HOST, FACT_USER_AGENT, FACT_FORWARDED_FOR, FACT_PEER_ADDRESS, FACT_LOCAL_ADDRESS, FACT_COUNT };

/* What a sampled request's attributes are made of, copied on the thread that
 * reads it (otel_span_set_described): the attributes themselves are made
 * where the span is read, for an exported span on the export thread. */
typedef struct request_facts {
    const char *known_method; /* otel_http_known_method's constant, or NULL */
    int local_port, peer_port;
    int version_minor;
    uint16_t lengths[FACT_COUNT];
} request_facts;

/* The largest facts: their header and every text at its field's size. */
#define REQUEST_FACTS_MAX \
    (sizeof(request_facts) + sizeof(((otel_http_parser *)0)->method.text) + sizeof(((otel_http_parser *)0)->target.text) + \
     sizeof(((otel_http_parser *)0)->host.text) + sizeof(((otel_http_parser *)0)->user_agent.text) +                       \
     sizeof(((otel_http_parser *)0)->forwarded_for.text) + sizeof(((otel_http_connection *)0)->peer_address) +            \
     sizeof(((otel_http_connection *)0)->local_address))

/* Copies the FACT_COUNT texts after `facts` (at `texts`), their lengths into
 * it; the bytes the facts take in all. */
static size_t pack_texts(request_facts *facts, char *texts, const char *const *values, const size_t *lengths) {
    char *at = texts;
    for (int i = 0; i < FACT_COUNT; i++) {
        facts->lengths[i] = (uint16_t)lengths[i];
        memcpy(at, values[i], lengths[i]);
        at[lengths[i]] = '\0';
        at += lengths[i] + 1;
    }
    return sizeof *facts + (size_t)(at - texts);
}

/* A sampled request's attributes (HTTP server spans), made of its facts:
 * an otel_span_describer. */
static void describe_request(const void *bytes, size_t length, otel_attributes_emit emit, void *sink) {
    request_facts facts;
    if (length < sizeof facts) return;
    memcpy(&facts, bytes, sizeof facts);
    const char *text[FACT_COUNT];
    size_t offset = sizeof facts;
    for (int i = 0; i < FACT_COUNT; i++) {
        if (offset + facts.lengths[i] >= length) return; /* not what pack_texts wrote */
        text[i] = (const char *)bytes + offset;
        offset += facts.lengths[i] + 1u;
    }
    otel_attribute attributes[13];
    size_t count = 0;
    attributes[count++] = otel_attribute_string("http.request.method", facts.known_method ? facts.known_method : "_OTHER");
    if (!facts.known_method) attributes[count++] = otel_attribute_string("http.request.method_original", text[FACT_METHOD]);
    /* url.path and url.query from the target: origin-form (RFC 9112 §3.2.1, a
     * path first), or absolute-form through a proxy. A target without query
     * or fragment is its path as it lies in the facts. */
    char copied_path[1024], query[1024];
    const char *target = text[FACT_TARGET], *path = target;
    otel_url_parts parts;
    if (target[0] != '/' && strstr(target, "://") && otel_url_parse(target, &parts)) {
        if (parts.path_length) copy_text(copied_path, sizeof copied_path, parts.path, parts.path_length);
        else copy_text(copied_path, sizeof copied_path, "/", 1);
        path = copied_path;
        if (parts.query) otel_url_query_redacted(parts.query, parts.query_length, query, sizeof query);
    } else {
        size_t path_length = strcspn(target, "?#");
        if (target[path_length]) {
            copy_text(copied_path, sizeof copied_path, target, path_length);
            path = copied_path;
        }
        parts.query = target[path_length] == '?' ? target + path_length + 1 : NULL;
        if (parts.query) otel_url_query_redacted(parts.query, strcspn(parts.query, "#"), query, sizeof query);
    }
    attributes[count++] = otel_attribute_string("url.path", path);
    if (parts.query) attributes[count++] = otel_attribute_string("url.query", query);
    attributes[count++] = otel_attribute_string("url.scheme", "http");
    char address[256];
    int port;
    server_authority(text[FACT_HOST], text[FACT_LOCAL_ADDRESS], facts.local_port, address, sizeof address, &port);
    if (*address) attributes[count++] = otel_attribute_string("server.address", address);
    if (port > 0) attributes[count++] = otel_attribute_int("server.port", port);
    /* client.address: the first X-Forwarded-For entry, else the peer (HTTP server spans). */
    const char *forwarded = text[FACT_FORWARDED_FOR] + strspn(text[FACT_FORWARDED_FOR], " \t");
    attributes[count++] = otel_attribute_string("client.address", *forwarded ? forwarded : text[FACT_PEER_ADDRESS]);
    attributes[count++] = otel_attribute_string("network.peer.address", text[FACT_PEER_ADDRESS]);
    attributes[count++] = otel_attribute_int("network.peer.port", facts.peer_port);
    if (*text[FACT_USER_AGENT]) attributes[count++] = otel_attribute_string("user_agent.original", text[FACT_USER_AGENT]);
    attributes[count++] = otel_attribute_string("network.protocol.version", facts.version_minor == 0 ? "1.0" : "1.1");
    emit(sink, attributes, count);
}

/* An otel_attributes_emit onto a span, for a host without otel_span_set_described. */
static void emit_onto_span(void *sink, const otel_attribute *attributes, size_t count) {
    host->span_set_attributes(sink, attributes, count);
}

/* A sampled request's facts, copied onto its span (their attributes made
 * when the span is read). A function of its own: the requests not sampled
 * run through less code. */
static __attribute__((noinline)) void describe_sampled_request(otel_http_connection *connection, otel_http_request *request,
                                                               const char *known) {
    otel_http_parser *parser = &connection->requests;
    otel_http_parser_settle(parser); /* the fields, host and user-agent copied: for a sampled span only */
    _Alignas(8) uint8_t bytes[REQUEST_FACTS_MAX];
    request_facts *facts = (request_facts *)bytes;
    *facts = (request_facts){.known_method = known, .local_port = connection->local_port, .peer_port = connection->peer_port,
                             .version_minor = parser->version_minor};
    const char *values[FACT_COUNT] = {parser->method.text, parser->target.text, parser->host.text, parser->user_agent.text,
                                      parser->forwarded_for.text, connection->peer_address, connection->local_address};
    const size_t lengths[FACT_COUNT] = {parser->method.length, parser->target.length, parser->host.length, parser->user_agent.length,
                                        parser->forwarded_for.length, strlen(connection->peer_address), strlen(connection->local_address)};
    size_t length = pack_texts(facts, (char *)(facts + 1), values, lengths);
    if (host->span_set_described) host->span_set_described(&request->span, describe_request, bytes, length);
    else describe_request(bytes, length, emit_onto_span, &request->span);
}

/* The context a request's propagation headers carry (the propagators' own
 * reading of them), to release after use. */
static __attribute__((noinline)) otel_context *incoming_context(otel_http_parser *parser, const otel_context *root) {
    otel_http_parser_settle(parser); /* the carrier reads the headers' values */
    otel_carrier carrier = {.user = (void *)parser, .get = request_header};
    return host->propagation_extract(root, &carrier);
}

/* The request's header section is complete: its span starts, dated from its first byte. */
static OTEL_HTTP_HOT void request_headers_done(otel_http_connection *connection) {
    otel_http_parser *parser = &connection->requests;
    if (connection->pending_count == OTEL_HTTP_PENDING_MAX) return; /* pipelined too deep: not traced */
    otel_http_request *request = &connection->pending[(connection->pending_first + connection->pending_count++) % OTEL_HTTP_PENDING_MAX];
    memset(request, 0, sizeof *request);
    const char *known = otel_http_known_method(parser->method.text, parser->method.length);
    request->method = known ? known : "_OTHER";
    request->head = parser->method.length == 4 && memcmp(parser->method.text, "HEAD", 4) == 0;
    request->version_minor = parser->version_minor;
    request->started_reading = connection->message_started_reading;
    request->started_wall_ns = otel_request_clock_wall_ns(request->started_reading);
    /* An entry span continues the incoming context or starts a trace: never a
     * child of what happens to be current on this thread. */
    /* Without propagation headers the root itself: no context to make, and the core's fast path. */
    const otel_context *root = host->context_root();
    otel_context *parent = otel_http_parser_carries_context(parser) ? incoming_context(parser, root) : NULL;
    host->span_start_at(tracer, known ? known : "HTTP", OTEL_SPAN_KIND_SERVER, parent ? parent : root,
                        request->started_wall_ns, &request->span);
    if (parent) host->context_release(parent);
    if (otel_plugin_span_is_recording(host, &request->span)) describe_sampled_request(connection, request, known);
    /* This thread handles the request now (see the top of this file). */
    if (!handling.connection) start_handling(connection, &request->span);
}

/* Feeds request bytes to the connection's request parser. */
static OTEL_HTTP_HOT void read_bytes(otel_http_connection *connection, const uint8_t *data, size_t length) {
    while (!connection->requests_failed) {
        size_t used;
        otel_http_events events = otel_http_parse(&connection->requests, data, length, &used);
        data += used;
        length -= used;
        if (events & OTEL_HTTP_MESSAGE_BEGIN) connection->message_started_reading = otel_request_clock_read();
        if (events & OTEL_HTTP_HEADERS_DONE) {
            SDK_CALL(request_headers_done(connection));
            if (connection->requests.upgrade) connection->requests_failed = true; /* a tunnel follows */
        }
        if (events & OTEL_HTTP_ERROR) connection->requests_failed = true;
        if (!length) return; /* nothing more to report without more bytes (otel_http_parse) */
    }
}

/* ---- the duration metric's attribute sets --------------------------------- */

/* error.type of a request that ended with `status` (0: none came, the
 * connection ended first), or NULL. HTTP server spans: a 5xx; and "if the
 * request fails with an error before response status code was sent",
 * a component-specific low-cardinality identifier. */
static const char *request_error(int status, char status_text[12]) {
    return status ? otel_http_status_error(status, true, status_text) : "connection_closed";
}

/* The attributes of http.server.request.duration (HTTP metrics), in key order:
 * the SDK keys a set in key order without sorting it. `status_text` holds error.type. */
static size_t duration_attributes(const char *method, int status, int version_minor, char status_text[12],
                                  otel_attribute attributes[5]) {
    const char *error = request_error(status, status_text);
    size_t count = 0;
    if (error) attributes[count++] = otel_attribute_string("error.type", error);
    attributes[count++] = otel_attribute_string("http.request.method", method);
    if (status) attributes[count++] = otel_attribute_int("http.response.status_code", status);
    attributes[count++] = otel_attribute_string("network.protocol.version", version_minor == 0 ? "1.0" : "1.1");
    attributes[count++] = otel_attribute_string("url.scheme", "http");
    return count;
}

/* One attribute set per method, status and version, made at the first request
 * that has them and shared by every thread from then on: its key is not built
 * again at every record. Slots are filled once, by compare-and-swap, and never
 * emptied; a method is one of otel_http_known_method's constants or "_OTHER". */
typedef struct duration_set {
    const char *method;
    int status;
    int version_minor;
    otel_attribute_set *set;
} duration_set;
#define DURATION_SETS 256 /* a power of two */
#define DURATION_PROBES 8
static _Atomic(duration_set *) duration_sets[DURATION_SETS];

/* Puts a new set in the empty `slot`; what the slot holds then (another
 * thread's entry if it filled it first), NULL without memory. */
static __attribute__((noinline)) duration_set *fill_duration_slot(_Atomic(duration_set *) *slot, const char *method, int status, int version_minor) {
    otel_attribute attributes[5];
    char status_text[12];
    duration_set *made = malloc(sizeof *made);
    if (!made) return NULL;
    size_t count = duration_attributes(method, status, version_minor, status_text, attributes);
    *made = (duration_set){method, status, version_minor, host->attribute_set_create(attributes, count)};
    duration_set *expected = NULL;
    if (made->set && atomic_compare_exchange_strong_explicit(slot, &expected, made, memory_order_acq_rel, memory_order_acquire))
        return made;
    if (made->set) host->attribute_set_release(made->set); /* another thread filled the slot first */
    free(made);
    return expected;
}

/* The set for a request, or NULL (an older host, no memory, a full neighbourhood): then record the attributes. */
static OTEL_HTTP_HOT const otel_attribute_set *duration_set_for(const char *method, int status, int version_minor) {
    if (!host->attribute_set_create) return NULL;
    size_t slot = (((uintptr_t)method >> 3) * 31u + (size_t)status * 2u + (size_t)version_minor) & (DURATION_SETS - 1);
    for (int probe = 0; probe < DURATION_PROBES; probe++, slot = (slot + 1) & (DURATION_SETS - 1)) {
        duration_set *entry = atomic_load_explicit(&duration_sets[slot], memory_order_acquire);
        if (!entry) entry = fill_duration_slot(&duration_sets[slot], method, status, version_minor);
        if (!entry) return NULL;
        if (entry->method == method && entry->status == status && entry->version_minor == version_minor) return entry->set;
    }
    return NULL;
}

/* ---- responses ------------------------------------------------------------ */

/* A sampled request's response: its status on the span (HTTP server spans). */
static __attribute__((noinline)) void describe_response(otel_http_request *request, int status) {
    char status_text[12];
    const char *error = request_error(status, status_text);
    if (status) host->span_set_int(&request->span, "http.response.status_code", status);
    if (error) {
        host->span_set_string(&request->span, "error.type", error);
        /* HTTP server spans, "Status": ERROR for 5xx (4xx are the client's errors) and for no response at all. */
        host->span_set_status(&request->span, OTEL_STATUS_ERROR, NULL);
    }
}

/* The duration recorded with attributes made for this request alone (no
 * shared set: an older host, no memory, a full neighbourhood). Out of line:
 * the usual request never runs it. */
static __attribute__((noinline, cold)) void record_duration_unshared(const otel_http_request *request, int status, double seconds) {
    otel_attribute attributes[5];
    char status_text[12];
    size_t count = duration_attributes(request->method, status, request->version_minor, status_text, attributes);
    host->instrument_record_double(duration, seconds, attributes, count);
}

/* Records http.server.request.duration for a request that lasted `elapsed_ns`. */
static inline void record_duration(const otel_http_request *request, int status, uint64_t elapsed_ns) {
    double seconds = (double)elapsed_ns / 1e9;
    const otel_attribute_set *set = duration_set_for(request->method, status, request->version_minor);
    if (__builtin_expect(set != NULL, 1)) host->instrument_record_double_set(duration, seconds, set);
    else record_duration_unshared(request, status, seconds);
}

/* The thread stops handling `connection` when its last pending request ended. */
static inline void request_ended(otel_http_connection *connection) {
    if (handled_connection() == connection && !connection->pending_count) stop_handling();
}

/* A sampled request ends: its response's status, then its span, `elapsed_ns` after it began (as its metric says). */
static __attribute__((noinline)) void finish_recorded_request(otel_http_connection *connection, otel_http_request *request, int status,
                                                              uint64_t elapsed_ns) {
    describe_response(request, status);
    request_ended(connection);
    host->span_end_at(&request->span, request->started_wall_ns + elapsed_ns);
}

/* Ends the oldest pending request with its response's status (0: none came).
 * The usual request (not sampled, timed) runs the fewest instructions and
 * cache lines here: sampled ones leave for finish_recorded_request. */
static OTEL_HTTP_HOT void finish_request(otel_http_connection *connection, int status) {
    if (!connection->pending_count) return;
    otel_http_request *request = &connection->pending[connection->pending_first];
    connection->pending_count--;
    /* Without pipelining every request uses the first slot: the same cache lines each time. */
    connection->pending_first = connection->pending_count ? (connection->pending_first + 1) % OTEL_HTTP_PENDING_MAX : 0;
    bool recording = otel_plugin_span_is_recording(host, &request->span), timed = host->instrument_enabled(duration);
    uint64_t elapsed_ns = recording || timed ? otel_request_clock_elapsed_ns(request->started_reading, otel_request_clock_read()) : 0;
    if (timed) record_duration(request, status, elapsed_ns);
    if (__builtin_expect(recording, 0)) {
        finish_recorded_request(connection, request, status, elapsed_ns);
        return;
    }
    request_ended(connection);
    otel_plugin_span_end(host, &request->span); /* a span not sampled: nothing to time */
}

static OTEL_HTTP_HOT void response_events(otel_http_connection *connection, otel_http_events events) {
    otel_http_parser *parser = &connection->responses;
    if ((events & OTEL_HTTP_HEADERS_DONE) && parser->upgrade) { /* 101: the connection leaves HTTP/1.x */
        SDK_CALL(finish_request(connection, parser->status));
        connection->responses_failed = connection->requests_failed = true;
        return;
    }
    if ((events & OTEL_HTTP_MESSAGE_DONE) && !parser->interim) SDK_CALL(finish_request(connection, parser->status));
    if (events & OTEL_HTTP_ERROR) connection->responses_failed = true;
}

static OTEL_HTTP_HOT void wrote_bytes(otel_http_connection *connection, const uint8_t *data, size_t length) {
    otel_http_parser *parser = &connection->responses;
    while (!connection->responses_failed) {
        size_t used;
        /* The response the parser may begin answers the oldest request waiting. */
        parser->no_body_expected = connection->pending_count && connection->pending[connection->pending_first].head;
        otel_http_events events = otel_http_parse(parser, data, length, &used);
        data += used;
        length -= used;
        response_events(connection, events);
        if (!length) return; /* nothing more to report without more bytes (otel_http_parse) */
    }
}

static OTEL_HTTP_HOT void wrote_unseen(otel_http_connection *connection, uint64_t length) {
    while (!connection->responses_failed) {
        uint64_t used;
        otel_http_events events = otel_http_parse_unseen(&connection->responses, length, &used);
        length -= used;
        response_events(connection, events);
        if (!length) return;
    }
}

/* The connection ends: a response read until close is complete; requests
 * still waiting end without a response. */
static void connection_closed(otel_http_connection *connection) {
    if (!connection) return;
    if (otel_http_parser_closed(&connection->responses)) finish_request(connection, connection->responses.status);
    while (connection->pending_count) finish_request(connection, 0);
    if (handled_connection() == connection) stop_handling();
    free(connection);
}

/* ---- the wrappers ---------------------------------------------------------- */

/* Formats a socket address; returns its port. */
static int describe_address(const struct sockaddr_storage *address, char *text, size_t size) {
    text[0] = '\0';
    if (address->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)address;
        inet_ntop(AF_INET, &in->sin_addr, text, (socklen_t)size);
        return ntohs(in->sin_port);
    }
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)address;
    inet_ntop(AF_INET6, &in6->sin6_addr, text, (socklen_t)size);
    return ntohs(in6->sin6_port);
}

/* Starts tracking an accepted descriptor when it is a TCP connection. */
static void accepted(int fd) {
    if (fd < 0 || !host->hook_enter()) {
        host->hook_exit();
        return;
    }
    int saved = errno;
    struct sockaddr_storage local, peer;
    socklen_t local_length = sizeof local, peer_length = sizeof peer;
    int type = 0;
    socklen_t type_length = sizeof type;
    if (getsockname(fd, (struct sockaddr *)&local, &local_length) == 0 && getpeername(fd, (struct sockaddr *)&peer, &peer_length) == 0 &&
        (local.ss_family == AF_INET || local.ss_family == AF_INET6) &&
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_length) == 0 && type == SOCK_STREAM) {
        connection_closed(otel_http_connection_untrack(fd)); /* one closed by a way we did not see */
        otel_request_clock_start(); /* before the connection's first request is read */
        otel_http_connection *connection = otel_http_connection_track(fd);
        if (connection) {
            connection->local_port = describe_address(&local, connection->local_address, sizeof connection->local_address);
            connection->peer_port = describe_address(&peer, connection->peer_address, sizeof connection->peer_address);
        }
    }
    errno = saved;
    host->hook_exit();
}

static int wrapped_accept(int socket, struct sockaddr *address, socklen_t *length) {
    int fd = real_accept(socket, address, length);
    accepted(fd);
    return fd;
}

static int wrapped_accept4(int socket, struct sockaddr *address, socklen_t *length, int flags) {
    int fd = real_accept4(socket, address, length, flags);
    accepted(fd);
    return fd;
}

/* Runs `body` on a tracked connection's bytes; a thread reading another
 * connection stops handling the last (other descriptors: one load, one branch). */
#define ON_CONNECTION(fd, reading, body)                                                                \
    do {                                                                                                \
        otel_http_connection *connection = otel_http_connection_of(fd);                                 \
        if (!connection) break;                                                                         \
        if (reading) {                                                                                  \
            otel_http_connection *handled = handled_connection();                                       \
            if (handled && handled != connection) SDK_CALL(stop_handling());                            \
        }                                                                                               \
        body;                                                                                           \
    } while (0)

static OTEL_HTTP_HOT void read_iovec(otel_http_connection *connection, const struct iovec *vectors, int count, size_t total) {
    for (int i = 0; i < count && total; i++) {
        size_t length = vectors[i].iov_len < total ? vectors[i].iov_len : total;
        read_bytes(connection, vectors[i].iov_base, length);
        total -= length;
    }
}

static OTEL_HTTP_HOT void wrote_iovec(otel_http_connection *connection, const struct iovec *vectors, int count, size_t total) {
    for (int i = 0; i < count && total; i++) {
        size_t length = vectors[i].iov_len < total ? vectors[i].iov_len : total;
        wrote_bytes(connection, vectors[i].iov_base, length);
        total -= length;
    }
}

static OTEL_HTTP_HOT ssize_t wrapped_read(int fd, void *buffer, size_t count) {
    ssize_t result = real_read(fd, buffer, count);
    if (result > 0) ON_CONNECTION(fd, true, read_bytes(connection, buffer, (size_t)result));
    return result;
}

static OTEL_HTTP_HOT ssize_t wrapped_recv(int fd, void *buffer, size_t count, int flags) {
    ssize_t result = real_recv(fd, buffer, count, flags);
    if (result > 0 && !(flags & MSG_PEEK)) ON_CONNECTION(fd, true, read_bytes(connection, buffer, (size_t)result));
    return result;
}

static OTEL_HTTP_HOT ssize_t wrapped_recvfrom(int fd, void *buffer, size_t count, int flags, struct sockaddr *address, socklen_t *length) {
    ssize_t result = real_recvfrom(fd, buffer, count, flags, address, length);
    if (result > 0 && !(flags & MSG_PEEK)) ON_CONNECTION(fd, true, read_bytes(connection, buffer, (size_t)result));
    return result;
}

static OTEL_HTTP_HOT ssize_t wrapped_readv(int fd, const struct iovec *vectors, int count) {
    ssize_t result = real_readv(fd, vectors, count);
    if (result > 0) ON_CONNECTION(fd, true, read_iovec(connection, vectors, count, (size_t)result));
    return result;
}

static OTEL_HTTP_HOT ssize_t wrapped_recvmsg(int fd, struct msghdr *message, int flags) {
    ssize_t result = real_recvmsg(fd, message, flags);
    if (result > 0 && !(flags & MSG_PEEK))
        ON_CONNECTION(fd, true, read_iovec(connection, message->msg_iov, (int)message->msg_iovlen, (size_t)result));
    return result;
}

static OTEL_HTTP_HOT ssize_t wrapped_write(int fd, const void *buffer, size_t count) {
    ssize_t result = real_write(fd, buffer, count);
    if (result > 0) ON_CONNECTION(fd, false, wrote_bytes(connection, buffer, (size_t)result));
    return result;
}

static OTEL_HTTP_HOT ssize_t wrapped_send(int fd, const void *buffer, size_t count, int flags) {
    ssize_t result = real_send(fd, buffer, count, flags);
    if (result > 0) ON_CONNECTION(fd, false, wrote_bytes(connection, buffer, (size_t)result));
    return result;
}

static OTEL_HTTP_HOT ssize_t wrapped_sendto(int fd, const void *buffer, size_t count, int flags, const struct sockaddr *address, socklen_t length) {
    ssize_t result = real_sendto(fd, buffer, count, flags, address, length);
    if (result > 0) ON_CONNECTION(fd, false, wrote_bytes(connection, buffer, (size_t)result));
    return result;
}

static OTEL_HTTP_HOT ssize_t wrapped_writev(int fd, const struct iovec *vectors, int count) {
    ssize_t result = real_writev(fd, vectors, count);
    if (result > 0) ON_CONNECTION(fd, false, wrote_iovec(connection, vectors, count, (size_t)result));
    return result;
}

static OTEL_HTTP_HOT ssize_t wrapped_sendmsg(int fd, const struct msghdr *message, int flags) {
    ssize_t result = real_sendmsg(fd, message, flags);
    if (result > 0) ON_CONNECTION(fd, false, wrote_iovec(connection, message->msg_iov, (int)message->msg_iovlen, (size_t)result));
    return result;
}

static OTEL_HTTP_HOT ssize_t wrapped_sendfile(int out, int in, off_t *offset, size_t count) {
    ssize_t result = real_sendfile(out, in, offset, count);
    if (result > 0) ON_CONNECTION(out, false, wrote_unseen(connection, (uint64_t)result));
    return result;
}

static OTEL_HTTP_HOT ssize_t wrapped_sendfile64(int out, int in, off_t *offset, size_t count) {
    ssize_t result = real_sendfile64(out, in, offset, count);
    if (result > 0) ON_CONNECTION(out, false, wrote_unseen(connection, (uint64_t)result));
    return result;
}

/* Forgets a descriptor before the real call frees its number for reuse. */
static OTEL_HTTP_HOT void forget(int fd) {
    if (!otel_http_connection_of(fd)) return;
    int saved = errno;
    bool entered = host->hook_enter();
    otel_http_connection *connection = otel_http_connection_untrack(fd);
    if (entered) connection_closed(connection);
    else free(connection); /* within the SDK's own work: dropped without ending spans */
    host->hook_exit();
    errno = saved;
}

static OTEL_HTTP_HOT int wrapped_close(int fd) {
    forget(fd);
    return real_close(fd);
}

static int wrapped_dup2(int old, int new) {
    if (old != new) forget(new);
    return real_dup2(old, new);
}

static int wrapped_dup3(int old, int new, int flags) {
    if (old != new) forget(new);
    return real_dup3(old, new, flags);
}

static int instrument(void *state, const otel_host_api *the_host) {
    (void)state;
    host = the_host;
    if (host->size < sizeof(otel_host_api) || !host->hook_wrap || !host->meter_get) return 1;
    const char *schema = "https://opentelemetry.io/schemas/1.33.0";
    tracer = host->tracer_get("otel-native.http_server", "0.1.0", schema);
    otel_meter *meter = host->meter_get("otel-native.http_server", "0.1.0", schema);
    duration = host->instrument_create(meter, OTEL_INSTRUMENT_HISTOGRAM, true, "http.server.request.duration", "s",
                                       "Duration of HTTP server requests.", otel_http_duration_buckets,
                                       sizeof otel_http_duration_buckets / sizeof otel_http_duration_buckets[0]);
    static const otel_plugin_hook table[HOOK_COUNT] = {
        {"accept", (void *)wrapped_accept, (void **)&real_accept},
        {"accept4", (void *)wrapped_accept4, (void **)&real_accept4},
        {"read", (void *)wrapped_read, (void **)&real_read},
        {"recv", (void *)wrapped_recv, (void **)&real_recv},
        {"recvfrom", (void *)wrapped_recvfrom, (void **)&real_recvfrom},
        {"readv", (void *)wrapped_readv, (void **)&real_readv},
        {"recvmsg", (void *)wrapped_recvmsg, (void **)&real_recvmsg},
        {"write", (void *)wrapped_write, (void **)&real_write},
        {"send", (void *)wrapped_send, (void **)&real_send},
        {"sendto", (void *)wrapped_sendto, (void **)&real_sendto},
        {"writev", (void *)wrapped_writev, (void **)&real_writev},
        {"sendmsg", (void *)wrapped_sendmsg, (void **)&real_sendmsg},
        {"sendfile", (void *)wrapped_sendfile, (void **)&real_sendfile},
        {"sendfile64", (void *)wrapped_sendfile64, (void **)&real_sendfile64},
        {"close", (void *)wrapped_close, (void **)&real_close},
        {"dup2", (void *)wrapped_dup2, (void **)&real_dup2},
        {"dup3", (void *)wrapped_dup3, (void **)&real_dup3},
    };
    return otel_plugin_wrap_all(host, table, HOOK_COUNT, hooks);
}

static int uninstrument(void *state, const otel_host_api *the_host) {
    (void)state;
    otel_plugin_unwrap_all(the_host, hooks, HOOK_COUNT);
    return 0;
}

__attribute__((visibility("default")))
const otel_plugin_descriptor *otel_http_server_entry(const otel_host_api *the_host) {
    static otel_plugin_descriptor descriptor = {
        OTEL_PLUGIN_DESCRIPTOR_HEADER,
        .name = "otel-native-http-server",
        .version = "0.1.0",
        .instrument = instrument,
        .uninstrument = uninstrument,
    };
    if (the_host->size < sizeof(otel_host_api)) return NULL;
    return &descriptor;
}
