/* HTTP semantic conventions shared by the HTTP instrumentations (stable
 * HTTP conventions v1.33 and the url registry). */
#include "otel_http_semconv.h"

#include <stdio.h>
#include <string.h>

/* HTTP metrics, "http.client.request.duration" / "http.server.request.duration". */
const double otel_http_duration_buckets[14] = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10};

/* http.request.method: the methods of RFC 9110 and PATCH (RFC 5789). */
static const char method_get[] = "GET"; /* most requests': looked for first */
#define KNOWN_METHOD(name) {name, sizeof name - 1}
static const struct {
    const char *name;
    size_t length;
} known_methods[] = {{method_get, sizeof method_get - 1}, KNOWN_METHOD("POST"), KNOWN_METHOD("PUT"), KNOWN_METHOD("HEAD"), KNOWN_METHOD("DELETE"),
                     KNOWN_METHOD("PATCH"), KNOWN_METHOD("OPTIONS"), KNOWN_METHOD("CONNECT"), KNOWN_METHOD("TRACE")};
#undef KNOWN_METHOD

const char *otel_http_known_method(const char *method, size_t length) {
    if (length == 3 && method[0] == 'G' && method[1] == 'E' && method[2] == 'T') return method_get;
    for (size_t i = 0; i < sizeof known_methods / sizeof known_methods[0]; i++) {
        if (known_methods[i].length != length) continue;
        /* At most seven bytes: compared here, without a call to memcmp (once per request in a server). */
        size_t same = 0;
        while (same < length && known_methods[i].name[same] == method[same]) same++;
        if (same == length) return known_methods[i].name;
    }
    return NULL;
}

static bool same_text(const char *text, size_t length, const char *literal) {
    return strlen(literal) == length && memcmp(text, literal, length) == 0;
}

static bool same_text_ignoring_case(const char *text, size_t length, const char *literal) {
    if (strlen(literal) != length) return false;
    for (size_t i = 0; i < length; i++) {
        char c = text[i] >= 'A' && text[i] <= 'Z' ? (char)(text[i] + 32) : text[i];
        if (c != literal[i]) return false;
    }
    return true;
}

bool otel_url_parse(const char *url, otel_url_parts *parts) {
    memset(parts, 0, sizeof *parts);
    parts->path = "";
    const char *separator = strstr(url, "://");
    const char *authority = url;
    const char *first_delimiter = url + strcspn(url, "/?#");
    if (separator && separator < first_delimiter) {
        parts->scheme = url;
        parts->scheme_length = (size_t)(separator - url);
        authority = separator + 3;
    } else {
        parts->scheme = "http"; /* libcurl's guess for a URL without a scheme */
        parts->scheme_length = 4;
    }
    const char *authority_end = authority + strcspn(authority, "/?#");
    const char *host = authority;
    for (const char *at = authority_end; at > authority; at--) {
        if (at[-1] == '@') {
            host = at;
            parts->has_userinfo = true;
            break;
        }
    }
    const char *port = NULL;
    if (*host == '[') {
        const char *close = memchr(host, ']', (size_t)(authority_end - host));
        if (!close) return false;
        parts->host = host + 1;
        parts->host_length = (size_t)(close - host - 1);
        if (close + 1 < authority_end && close[1] == ':') port = close + 2;
    } else {
        const char *colon = memchr(host, ':', (size_t)(authority_end - host));
        parts->host = host;
        parts->host_length = (size_t)((colon ? colon : authority_end) - host);
        if (colon) port = colon + 1;
    }
    if (!parts->host_length) return false;
    if (port && port < authority_end) {
        int value = 0;
        for (const char *digit = port; digit < authority_end; digit++) {
            if (*digit < '0' || *digit > '9' || value > 65535) return false;
            value = value * 10 + (*digit - '0');
        }
        if (value > 65535) return false;
        parts->port = value;
    } else if (same_text_ignoring_case(parts->scheme, parts->scheme_length, "http")) {
        parts->port = 80;
    } else if (same_text_ignoring_case(parts->scheme, parts->scheme_length, "https")) {
        parts->port = 443;
    }
    const char *rest = authority_end;
    if (*rest == '/') {
        parts->path = rest;
        parts->path_length = strcspn(rest, "?#");
        rest += parts->path_length;
    }
    if (*rest == '?') {
        parts->query = rest + 1;
        parts->query_length = strcspn(rest + 1, "#");
    }
    return true;
}

bool otel_url_is_http(const otel_url_parts *parts) {
    return same_text_ignoring_case(parts->scheme, parts->scheme_length, "http") ||
           same_text_ignoring_case(parts->scheme, parts->scheme_length, "https");
}

/* Appends to a bounded, always NUL-terminated buffer; remembers overflow. */
typedef struct bounded_text {
    char *out;
    size_t size, used;
    bool cut;
} bounded_text;

static void append(bounded_text *text, const char *bytes, size_t length) {
    if (!text->size) return;
    size_t room = text->size - 1 - text->used;
    if (length > room) {
        length = room;
        text->cut = true;
    }
    memcpy(text->out + text->used, bytes, length);
    text->used += length;
    text->out[text->used] = '\0';
}

/* url registry, "url.full" and "url.query": values of these keys are redacted by default. */
static const char *const sensitive_query_keys[] = {"AWSAccessKeyId", "Signature", "sig", "X-Goog-Signature"};

static void append_query(bounded_text *text, const char *query, size_t length) {
    const char *end = query + length;
    while (query < end) {
        const char *pair_end = memchr(query, '&', (size_t)(end - query));
        if (!pair_end) pair_end = end;
        const char *equals = memchr(query, '=', (size_t)(pair_end - query));
        bool redact = false;
        if (equals) {
            for (size_t i = 0; i < sizeof sensitive_query_keys / sizeof sensitive_query_keys[0]; i++) {
                if (same_text(query, (size_t)(equals - query), sensitive_query_keys[i])) redact = true;
            }
        }
        if (redact) {
            append(text, query, (size_t)(equals - query) + 1);
            append(text, "REDACTED", 8);
        } else {
            append(text, query, (size_t)(pair_end - query));
        }
        if (pair_end < end) append(text, "&", 1);
        query = pair_end + 1;
    }
}

bool otel_url_full(const char *url, char *out, size_t size) {
    bounded_text text = {out, size, 0, false};
    if (size) out[0] = '\0';
    otel_url_parts parts;
    if (!otel_url_parse(url, &parts)) return false;
    append(&text, parts.scheme, parts.scheme_length);
    append(&text, "://", 3);
    if (parts.has_userinfo) append(&text, "REDACTED:REDACTED@", 18);
    /* The host as written, with its port (brackets of an IPv6 literal kept). */
    const char *authority = strstr(url, "://");
    authority = authority && (size_t)(authority - url) == parts.scheme_length ? authority + 3 : url;
    const char *host_start = parts.host > authority && parts.host[-1] == '[' ? parts.host - 1 : parts.host;
    const char *authority_end = authority + strcspn(authority, "/?#");
    append(&text, host_start, (size_t)(authority_end - host_start));
    append(&text, parts.path_length ? parts.path : "/", parts.path_length ? parts.path_length : 1);
    if (parts.query) {
        append(&text, "?", 1);
        append_query(&text, parts.query, parts.query_length);
    }
    return !text.cut;
}

void otel_url_query_redacted(const char *query, size_t length, char *out, size_t size) {
    bounded_text text = {out, size, 0, false};
    if (size) out[0] = '\0';
    append_query(&text, query, length);
}

const char *otel_http_status_error(int status, bool server, char *buffer) {
    if (status < (server ? 500 : 400)) return NULL;
    snprintf(buffer, 12, "%d", status);
    return buffer;
}
