/* The OTLP/HTTP exporter (OpenTelemetry Protocol exporter spec, and the
 * OTLP/HTTP section of the OTLP spec): the host hands each batch encoded as an
 * OTLP protobuf request; this plugin POSTs it to
 * OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_ENDPOINT (used as given) or to
 * OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces|/v1/metrics|/v1/logs (default
 * http://localhost:4318), with OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT and
 * _COMPRESSION (and their per-signal variants), retrying 429, 502, 503, 504
 * and connection failures with exponential backoff and jitter (honouring
 * Retry-After) within the timeout, never other 4xx. Once the process is
 * exiting, what is still sent (an export in flight or waiting to retry, the
 * exit flush's) must be done within a second of it (otel_otlp_exit_deadline).
 * http/protobuf, or http/json (the host then hands the OTLP JSON encoding);
 * https endpoints over TLS with OTEL_EXPORTER_OTLP_CERTIFICATE,
 * _CLIENT_CERTIFICATE and _CLIENT_KEY. Not yet: grpc, reported once, and that
 * signal is not exported. */
#include "otel_otlp.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

OTEL_PLUGIN_DECLARE_ABI();

#define OTLP_VERSION "0.1.0"
#define DEFAULT_TIMEOUT_MS 10000u

static const otel_host_api *host;

typedef struct otlp_exporter {
    const char *signal;         /* "traces", "metrics" or "logs" */
    const char *variable;       /* "TRACES", "METRICS" or "LOGS" */
    const char *rejected_field; /* what partial_success counts */
    otel_otlp_endpoint endpoint;
    char *headers;              /* header lines, ending in \r\n each */
    uint32_t timeout_ms;
    int gzip;
    int json;                   /* http/json: the host hands the OTLP JSON encoding */
    void *tls;                  /* https: the TLS context */
    const char *forced;         /* NULL: the protocol setting decides; else "http/protobuf" or "http/json" */
    int partial_reported;       /* partial_success is reported once */
    int ready;
    otel_plugin_descriptor *descriptor;
} otlp_exporter;

/* One exporter per signal and per registered name: "otlp" follows the
 * protocol setting; "otlp_proto_http" and "otlp_json_http" are that
 * encoding whatever the setting says (as in OpenTelemetry Python). */
#define OTLP_EXPORTER(signal_name, variable_name, rejected, encoding) \
    {.signal = signal_name, .variable = variable_name, .rejected_field = rejected, .forced = encoding}
static otlp_exporter exporters[3][3] = {
    {OTLP_EXPORTER("traces", "TRACES", "spans", NULL), OTLP_EXPORTER("traces", "TRACES", "spans", "http/protobuf"),
     OTLP_EXPORTER("traces", "TRACES", "spans", "http/json")},
    {OTLP_EXPORTER("metrics", "METRICS", "data points", NULL), OTLP_EXPORTER("metrics", "METRICS", "data points", "http/protobuf"),
     OTLP_EXPORTER("metrics", "METRICS", "data points", "http/json")},
    {OTLP_EXPORTER("logs", "LOGS", "log records", NULL), OTLP_EXPORTER("logs", "LOGS", "log records", "http/protobuf"),
     OTLP_EXPORTER("logs", "LOGS", "log records", "http/json")},
};
#undef OTLP_EXPORTER

static void warn(const char *message) { host->log(OTEL_LOG_WARNING, message); }

uint64_t otel_otlp_exit_deadline(void) {
    static _Atomic uint64_t deadline;
    uint64_t seen = atomic_load_explicit(&deadline, memory_order_acquire);
    if (seen || !host || !host->process_exiting()) return seen;
    uint64_t mine = otel_otlp_now_ms() + 1000; /* the exit flush: one attempt, at most a second */
    return atomic_compare_exchange_strong_explicit(&deadline, &seen, mine, memory_order_acq_rel, memory_order_acquire) ? mine : seen;
}

/* The per-signal setting when set, else the general one. */
static const char *setting(const otlp_exporter *exporter, const char *suffix) {
    char name[96];
    snprintf(name, sizeof name, "OTEL_EXPORTER_OTLP_%s_%s", exporter->variable, suffix);
    const char *value = host->config_get(name);
    if (value) return value;
    snprintf(name, sizeof name, "OTEL_EXPORTER_OTLP_%s", suffix);
    return host->config_get(name);
}

static int create(void *state, const otel_host_api *the_host) {
    otlp_exporter *exporter = state;
    host = the_host;
    char message[256];
    const char *protocol = exporter->forced ? exporter->forced : setting(exporter, "PROTOCOL");
    exporter->json = protocol && strcmp(protocol, "http/json") == 0;
    if (protocol && !exporter->json && strcmp(protocol, "http/protobuf") != 0) {
        snprintf(message, sizeof message,
                 "OTLP %s: protocol %s is not available yet (http/protobuf and http/json are); %s are not exported",
                 exporter->signal, protocol, exporter->signal);
        warn(message);
        return 1;
    }
    exporter->descriptor->exporter_payload = exporter->json ? OTEL_EXPORTER_PAYLOAD_JSON : OTEL_EXPORTER_PAYLOAD_PROTOBUF;
    /* Each export connects, sends and closes within the call (http_client.c). */
    exporter->descriptor->exporter_flags = OTEL_EXPORTER_CONFINED_DESCRIPTORS;
    char url[2048];
    char name[64];
    snprintf(name, sizeof name, "OTEL_EXPORTER_OTLP_%s_ENDPOINT", exporter->variable);
    const char *endpoint = host->config_get(name);
    if (endpoint) {
        snprintf(url, sizeof url, "%s", endpoint); /* a per-signal endpoint is used as given */
    } else {
        const char *base = host->config_get("OTEL_EXPORTER_OTLP_ENDPOINT");
        if (!base) base = "http://localhost:4318";
        size_t length = strlen(base);
        while (length && base[length - 1] == '/') length--;
        snprintf(url, sizeof url, "%.*s/v1/%s", (int)length, base, exporter->signal);
    }
    const char *error = NULL;
    if (otel_otlp_parse_endpoint(url, &exporter->endpoint, &error) != 0) {
        snprintf(message, sizeof message, "OTLP %s: the endpoint is not valid: %s; %s are not exported", exporter->signal, error,
                 exporter->signal);
        warn(message);
        return 1;
    }
    if (exporter->endpoint.https) {
        exporter->tls = otel_otlp_tls_context(setting(exporter, "CERTIFICATE"), setting(exporter, "CLIENT_CERTIFICATE"),
                                              setting(exporter, "CLIENT_KEY"), &error);
        if (!exporter->tls) {
            snprintf(message, sizeof message, "OTLP %s: TLS cannot be set up: %s; %s are not exported", exporter->signal, error,
                     exporter->signal);
            warn(message);
            return 1;
        }
    }
    exporter->timeout_ms = DEFAULT_TIMEOUT_MS;
    const char *timeout = setting(exporter, "TIMEOUT");
    if (timeout) {
        char *end;
        long value = strtol(timeout, &end, 10);
        if (*end || value <= 0) {
            snprintf(message, sizeof message, "OTLP %s: the timeout is not a positive number of milliseconds; using %u",
                     exporter->signal, DEFAULT_TIMEOUT_MS);
            warn(message);
        } else {
            exporter->timeout_ms = (uint32_t)value;
        }
    }
    const char *compression = setting(exporter, "COMPRESSION");
    exporter->gzip = compression && strcmp(compression, "gzip") == 0;
    if (compression && !exporter->gzip && strcmp(compression, "none") != 0) {
        snprintf(message, sizeof message, "OTLP %s: compression must be gzip or none; sending uncompressed", exporter->signal);
        warn(message);
    }
    const char *extra = setting(exporter, "HEADERS");
    int skipped = 0;
    char *lines = otel_otlp_header_lines(extra ? extra : "", &skipped);
    if (skipped) { /* never the values: they are often credentials */
        snprintf(message, sizeof message, "OTLP %s: %d header(s) of OTEL_EXPORTER_OTLP_HEADERS are malformed and not sent",
                 exporter->signal, skipped);
        warn(message);
    }
    size_t size = (lines ? strlen(lines) : 0) + 256;
    exporter->headers = malloc(size);
    if (!exporter->headers) {
        free(lines);
        return 1;
    }
    snprintf(exporter->headers, size, "Content-Type: %s\r\nUser-Agent: OTel-OTLP-Exporter-Swift/%s (otel-native)\r\n%s%s",
             exporter->json ? "application/json" : "application/x-protobuf", OTLP_VERSION,
             exporter->gzip ? "Content-Encoding: gzip\r\n" : "", lines ? lines : "");
    free(lines);
    exporter->ready = 1;
    return 0;
}

/* The number of rejected items and the message of an Export*ServiceResponse's
 * partial_success (field 1: rejected count 1, error_message 2), if any. */
static int partial_success(const uint8_t *body, size_t length, long long *rejected, char *text, size_t size) {
    *rejected = 0;
    text[0] = 0;
    if (length < 2 || body[0] != 0x0a) return 0;
    size_t inner = body[1], at = 2;
    if (inner & 0x80 || at + inner > length) return 0;
    size_t end = at + inner;
    while (at < end) {
        uint8_t tag = body[at++];
        if (tag == 0x08) { /* varint */
            long long value = 0;
            int shift = 0;
            while (at < end && shift < 64) {
                value |= (long long)(body[at] & 0x7f) << shift;
                shift += 7;
                if (!(body[at++] & 0x80)) break;
            }
            *rejected = value;
        } else if (tag == 0x12 && at < end) {
            size_t n = body[at++];
            if (at + n > end) return 0;
            snprintf(text, size, "%.*s", (int)n, (const char *)body + at);
            at += n;
        } else {
            return 0;
        }
    }
    return *rejected > 0 || text[0];
}

static int retryable(int status) { return status == 0 || status == 429 || status == 502 || status == 503 || status == 504; }

static void sleep_ms(uint64_t milliseconds) {
    struct timespec pause = {.tv_sec = (time_t)(milliseconds / 1000), .tv_nsec = (long)(milliseconds % 1000) * 1000000};
    while (nanosleep(&pause, &pause) != 0) {}
}

/* Waits `milliseconds` before a retry, or less once the process starts
 * exiting: a program whose collector is down must not wait out the backoff
 * at exit (only an export that is failing waits here). */
static void wait_to_retry(uint64_t milliseconds) {
    uint64_t end = otel_otlp_now_ms() + milliseconds;
    for (uint64_t now = otel_otlp_now_ms(); now < end && !otel_otlp_exit_deadline(); now = otel_otlp_now_ms())
        sleep_ms(end - now < OTEL_OTLP_EXIT_CHECK_MS ? end - now : OTEL_OTLP_EXIT_CHECK_MS);
}

static int export_request(void *state, const uint8_t *request, size_t length, uint32_t timeout_ms) {
    otlp_exporter *exporter = state;
    if (!exporter->ready) return 1;
    char message[320];
    size_t body_length = length;
    uint8_t *compressed = exporter->gzip ? otel_otlp_gzip(request, length, &body_length) : NULL;
    if (exporter->gzip && !compressed) {
        snprintf(message, sizeof message, "OTLP %s: gzip failed; this batch is not exported", exporter->signal);
        warn(message);
        return 1;
    }
    const uint8_t *body = compressed ? compressed : request;
    uint64_t budget = exporter->timeout_ms < timeout_ms || !timeout_ms ? exporter->timeout_ms : timeout_ms;
    uint64_t deadline = otel_otlp_until_exit(otel_otlp_now_ms() + budget);
    int exiting = otel_otlp_exit_deadline() != 0;
    uint64_t backoff = 1000;
    otel_otlp_response response;
    int result = 1;
    for (;;) {
        otel_otlp_post(&exporter->endpoint, exporter->tls, exporter->headers, body, body_length, deadline, &response);
        if (response.status >= 200 && response.status < 300) {
            long long rejected;
            char text[160];
            if (!exporter->json && !exporter->partial_reported &&
                partial_success(response.body, response.body_length, &rejected, text, sizeof text)) {
                exporter->partial_reported = 1;
                snprintf(message, sizeof message, "OTLP %s: the collector accepted part of a batch (%lld %s rejected%s%s)",
                         exporter->signal, rejected, exporter->rejected_field, text[0] ? ": " : "", text);
                warn(message);
            }
            result = 0;
            break;
        }
        uint64_t now = otel_otlp_now_ms();
        if (!retryable(response.status)) {
            snprintf(message, sizeof message, "OTLP %s: the collector rejected a batch with HTTP %d; it is dropped, not retried",
                     exporter->signal, response.status);
            warn(message);
            break;
        }
        /* OTLP/HTTP "Retryable response codes": exponential backoff with jitter, or the server's Retry-After. */
        uint64_t wait = response.retry_after_ms >= 0 ? (uint64_t)response.retry_after_ms
                                                     : backoff / 2 + (uint64_t)rand() % (backoff / 2 + 1);
        backoff = backoff < 16000 ? backoff * 2 : 32000;
        if (exiting || now + wait >= deadline) {
            if (response.status) {
                snprintf(message, sizeof message, "OTLP %s: the collector answered HTTP %d until the timeout; a batch is dropped",
                         exporter->signal, response.status);
            } else {
                snprintf(message, sizeof message, "OTLP %s: %s; a batch is dropped", exporter->signal, response.failure);
            }
            warn(message);
            break;
        }
        wait_to_retry(wait);
        /* The exit came while waiting: one more attempt, within its second. */
        deadline = otel_otlp_until_exit(deadline);
        exiting = otel_otlp_exit_deadline() != 0;
    }
    free(compressed);
    return result;
}

static int shutdown_exporter(void *state, uint32_t timeout_ms) {
    (void)timeout_ms;
    otlp_exporter *exporter = state;
    exporter->ready = 0;
    return 0;
}

static const otel_plugin_descriptor *entry(const otel_host_api *the_host, otlp_exporter *exporter, otel_plugin_descriptor *descriptor) {
    if (the_host->size < sizeof(otel_host_api) || !the_host->process_exiting) return NULL;
    host = the_host;
    exporter->descriptor = descriptor;
    *descriptor = (otel_plugin_descriptor){
        OTEL_PLUGIN_DESCRIPTOR_HEADER,
        .name = "otel-native-otlp",
        .version = OTLP_VERSION,
        .state = exporter,
        .exporter_create = create,
        .exporter_export = export_request,
        .exporter_shutdown = shutdown_exporter,
    };
    return descriptor;
}

static otel_plugin_descriptor descriptors[3][3];

/* The entry symbols: otel_otlp_{traces,metrics,logs}_entry ("otlp"),
 * …_proto_entry ("otlp_proto_http"), …_json_entry ("otlp_json_http"). */
#define OTLP_ENTRY(symbol, signal, kind) \
    __attribute__((visibility("default"))) const otel_plugin_descriptor *symbol(const otel_host_api *the_host) { \
        return entry(the_host, &exporters[signal][kind], &descriptors[signal][kind]); \
    }
OTLP_ENTRY(otel_otlp_traces_entry, 0, 0)
OTLP_ENTRY(otel_otlp_traces_proto_entry, 0, 1)
OTLP_ENTRY(otel_otlp_traces_json_entry, 0, 2)
OTLP_ENTRY(otel_otlp_metrics_entry, 1, 0)
OTLP_ENTRY(otel_otlp_metrics_proto_entry, 1, 1)
OTLP_ENTRY(otel_otlp_metrics_json_entry, 1, 2)
OTLP_ENTRY(otel_otlp_logs_entry, 2, 0)
OTLP_ENTRY(otel_otlp_logs_proto_entry, 2, 1)
OTLP_ENTRY(otel_otlp_logs_json_entry, 2, 2)
#undef OTLP_ENTRY
