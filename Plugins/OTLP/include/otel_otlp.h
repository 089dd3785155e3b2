/* The OTLP/HTTP exporter plugin (otel_traces_exporter, otel_metrics_exporter
 * and otel_logs_exporter "otlp", "otlp_proto_http", "otlp_json_http"). */
#ifndef OTEL_OTLP_H
#define OTEL_OTLP_H
#include <stddef.h>
#include <stdint.h>
#include <otel_plugin.h>

/* "otlp" (the protocol setting decides), "otlp_proto_http", "otlp_json_http". */
const otel_plugin_descriptor *otel_otlp_traces_entry(const otel_host_api *host);
const otel_plugin_descriptor *otel_otlp_traces_proto_entry(const otel_host_api *host);
const otel_plugin_descriptor *otel_otlp_traces_json_entry(const otel_host_api *host);
const otel_plugin_descriptor *otel_otlp_metrics_entry(const otel_host_api *host);
const otel_plugin_descriptor *otel_otlp_metrics_proto_entry(const otel_host_api *host);
const otel_plugin_descriptor *otel_otlp_metrics_json_entry(const otel_host_api *host);
const otel_plugin_descriptor *otel_otlp_logs_entry(const otel_host_api *host);
const otel_plugin_descriptor *otel_otlp_logs_proto_entry(const otel_host_api *host);
const otel_plugin_descriptor *otel_otlp_logs_json_entry(const otel_host_api *host);

/* Where requests go: an http:// URL split into its parts. */
typedef struct otel_otlp_endpoint {
    char host[256];
    char port[8];
    char path[1024];
    int https;
} otel_otlp_endpoint;

/* Parses an http(s)://host[:port][/path] URL; 0 on success, else -1 with
 * `*error` saying why (the URL itself is never part of the message: it may
 * hold credentials). */
int otel_otlp_parse_endpoint(const char *url, otel_otlp_endpoint *out, const char **error);

/* What one POST came to. */
typedef struct otel_otlp_response {
    int status;             /* the HTTP status, or 0 when no response arrived */
    long retry_after_ms;    /* from Retry-After (seconds), -1 when absent */
    uint8_t body[512];      /* the start of the response body */
    size_t body_length;
    char failure[128];      /* when status is 0: what failed (connect, send, timeout…) */
} otel_otlp_response;

/* POSTs `body` to `endpoint` with the given extra header lines (each ending
 * in \r\n), giving up at `deadline_ms` on the monotonic clock; over TLS
 * with `tls_context` (from otel_otlp_tls_context) for https endpoints. */
void otel_otlp_post(const otel_otlp_endpoint *endpoint, void *tls_context, const char *headers, const uint8_t *body,
                    size_t length, uint64_t deadline_ms, otel_otlp_response *response);

/* TLS (tls.c, OpenSSL loaded on first use): a client context verifying the
 * server against `ca_file` (NULL: the system's trust store) and presenting
 * the client certificate and key when given; NULL with `*error` saying why. */
void *otel_otlp_tls_context(const char *ca_file, const char *client_certificate, const char *client_key, const char **error);
/* A TLS session over the connected socket `fd` to `host` (SNI and name
 * verification), or NULL with `failure` filled. */
void *otel_otlp_tls_connect(void *context, int fd, const char *host, uint64_t deadline_ms, char *failure, size_t size);
/* Reads or writes through the session: bytes moved, 0 at the end of the stream, -1 on failure or timeout. */
long otel_otlp_tls_io(void *session, int fd, int writing, void *data, size_t length, uint64_t deadline_ms);
void otel_otlp_tls_close(void *session);

/* Milliseconds on the monotonic clock. */
uint64_t otel_otlp_now_ms(void);

/* Waits for `events` (poll's) on `fd` until the deadline, or the exit's
 * (otel_otlp_exit_deadline, looked at every OTEL_OTLP_EXIT_CHECK_MS): 1 when
 * ready, 0 on timeout, -1 on error. */
int otel_otlp_wait(int fd, short events, uint64_t deadline_ms);

/* How often a wait looks whether the process has started exiting. */
#define OTEL_OTLP_EXIT_CHECK_MS 100

/* A second after the process was first seen exiting (the host's
 * process_exiting), on otel_otlp_now_ms's clock: what every export still
 * running then, or started after, must end by; 0 while it is not exiting. */
uint64_t otel_otlp_exit_deadline(void);

/* `deadline_ms`, or the exit's deadline when the process is exiting and that comes first. */
static inline uint64_t otel_otlp_until_exit(uint64_t deadline_ms) {
    uint64_t exit_deadline = otel_otlp_exit_deadline();
    return exit_deadline && exit_deadline < deadline_ms ? exit_deadline : deadline_ms;
}

/* The header lines of an OTEL_EXPORTER_OTLP_HEADERS value (W3C baggage-like
 * `key=value` pairs, values percent-decoded), each "key: value\r\n"; NULL
 * without memory. Pairs that are malformed, or whose key or decoded value
 * could break the request (CR, LF, …), are skipped and counted in `*skipped`. */
char *otel_otlp_header_lines(const char *value, int *skipped);

/* gzip of `data` (a new buffer, its length in `*out_length`), or NULL (no
 * memory, or no zlib: libz.so.1 is loaded on first use). */
uint8_t *otel_otlp_gzip(const uint8_t *data, size_t length, size_t *out_length);
#endif
