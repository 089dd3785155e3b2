/* What the HTTP semantic conventions (stable, v1.33) ask of every HTTP
 * instrumentation, client or server: method normalisation, url.full with
 * its redactions, server address and port, error.type from a status code,
 * and the duration histograms' advised buckets. Shared by Plugins/Curl and
 * Plugins/HTTPServer; plain C, no allocation. */
#ifndef OTEL_HTTP_SEMCONV_H
#define OTEL_HTTP_SEMCONV_H
#include <stdbool.h>
#include <stddef.h>

/* The advised buckets of http.client.request.duration and
 * http.server.request.duration, in seconds. */
extern const double otel_http_duration_buckets[14];

/* The canonical name of a known HTTP method (RFC 9110 and PATCH, matched
 * case-sensitively as the conventions ask), or NULL: the method is then
 * reported as "_OTHER" with http.request.method_original. */
const char *otel_http_known_method(const char *method, size_t length);

/* The parts of an absolute URL (pointers into it; lengths without NUL).
 * A URL without "scheme://" is read as libcurl reads it: "http". */
typedef struct otel_url_parts {
    const char *scheme;
    size_t scheme_length;
    const char *host; /* without the brackets of an IPv6 literal */
    size_t host_length;
    int port;         /* the explicit port, else the scheme's default (0 if unknown) */
    bool has_userinfo;
    const char *path; /* from the first '/' up to '?' or '#' ("" when absent) */
    size_t path_length;
    const char *query; /* after '?' up to '#' (NULL when there is no '?') */
    size_t query_length;
} otel_url_parts;

/* Splits `url`; false when it has no host. */
bool otel_url_parse(const char *url, otel_url_parts *parts);

/* Whether a scheme is one HTTP instrumentation traces (http, https). */
bool otel_url_is_http(const otel_url_parts *parts);

/* url.full for `url` (url registry, "url.full"): the scheme made explicit,
 * credentials replaced by "REDACTED:REDACTED", the values of the query
 * keys the conventions list (AWSAccessKeyId, Signature, sig,
 * X-Goog-Signature) replaced by "REDACTED", the fragment dropped (it is
 * never sent). Writes at most `size` bytes, NUL-terminated; false when the
 * URL did not fit (the output is then cut) or has no host. */
bool otel_url_full(const char *url, char *out, size_t size);

/* The query string of a server request with the listed keys' values
 * redacted, as url.query asks (at most `size` bytes, NUL-terminated). */
void otel_url_query_redacted(const char *query, size_t length, char *out, size_t size);

/* error.type for a response status (HTTP spans, "Status"): the code as a
 * string when it is a failure for this side (client: >= 400; server:
 * >= 500), else NULL. `buffer` holds at least 12 bytes. */
const char *otel_http_status_error(int status, bool server, char *buffer);
#endif
