/* The HTTP/1.x parser alone (docs/performance.md): nginx's answer to wrk's
 * request, both directions, as the server instrumentation parses them. */
#include "otel_http_parser.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static const char req[] = "GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:18094\r\n\r\n";
static const char resp[] = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 18:06:28 GMT\r\nContent-Type: text/html\r\nContent-Length: 612\r\nLast-Modified: Wed, 25 Nov 2026 18:06:27 GMT\r\nConnection: keep-alive\r\nETag: \"6b0723a3-264\"\r\nAccept-Ranges: bytes\r\n\r\n";
int main(int argc, char **argv) {
    static otel_http_parser a, b;
    otel_http_parser_init(&a, true); otel_http_parser_init(&b, false);
    struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
    int n = argc > 1 ? atoi(argv[1]) : 2000000; unsigned events = 0;
    for (int k = 0; k < n; k++) {
        size_t off = 0, used; const uint8_t *d = (const uint8_t *)req; size_t len = sizeof req - 1;
        for (;;) { otel_http_events e = otel_http_parse(&a, d + off, len - off, &used); off += used; events += (unsigned)__builtin_popcount(e); if (off == len || (e & OTEL_HTTP_ERROR)) break; }
        off = 0; d = (const uint8_t *)resp; len = sizeof resp - 1;
        for (;;) { otel_http_events e = otel_http_parse(&b, d + off, len - off, &used); off += used; events += (unsigned)__builtin_popcount(e); if (off == len || (e & OTEL_HTTP_ERROR)) break; }
        uint64_t u; events += (unsigned)__builtin_popcount(otel_http_parse_unseen(&b, 612, &u));
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("parser: %.1f ns per request and response (%u events each)\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n, events / n);
}
