/* The HTTP/1.x server instrumentation over libc sockets (otel_instrumentor "http_server"). */
#ifndef OTEL_HTTP_SERVER_H
#define OTEL_HTTP_SERVER_H
#include <stdbool.h>
#include <stdint.h>
#include <otel_plugin.h>
#include "otel_http_parser.h"

const otel_plugin_descriptor *otel_http_server_entry(const otel_host_api *host);

/* Requests of one connection read and not answered yet (pipelining). */
#define OTEL_HTTP_PENDING_MAX 8

/* A request whose response is awaited: its span, and what its metric needs. */
typedef struct otel_http_request {
    otel_span span;
    uint64_t started_reading;  /* otel_request_clock_read at its first byte */
    uint64_t started_wall_ns;  /* the wall-clock time of that reading: its span's start */
    const char *method;   /* http.request.method: a known method or "_OTHER" */
    bool head;            /* its response has no body */
    int version_minor;
} otel_http_request;

/* An accepted TCP connection: its two parsers and the requests in flight.
 * Used by one thread at a time, as servers use their connections. */
typedef struct otel_http_connection {
    /* What every request touches, first; the parsers' large fields last. */
    int fd;
    bool requests_failed, responses_failed; /* that direction is no longer HTTP/1.x */
    unsigned pending_first, pending_count;
    uint64_t message_started_reading;  /* otel_request_clock_read at the first byte of the request being read */
    otel_http_request pending[OTEL_HTTP_PENDING_MAX];
    char peer_address[48];
    int peer_port;
    char local_address[48];
    int local_port;
    otel_http_parser responses;
    otel_http_parser requests;
} otel_http_connection;

/* Descriptors at or above it are not traced. */
#define OTEL_HTTP_DESCRIPTOR_LIMIT 65536

/* The tracked connections by descriptor (connections.c). */
extern otel_http_connection *otel_http_connections[OTEL_HTTP_DESCRIPTOR_LIMIT]; /* through __atomic built-ins */

/* The connection of a tracked descriptor, or NULL: one load and one branch
 * for descriptors that are not accepted TCP sockets (inline: every wrapped
 * call asks). */
static inline otel_http_connection *otel_http_connection_of(int fd) {
    if ((unsigned)fd >= OTEL_HTTP_DESCRIPTOR_LIMIT) return NULL;
    return __atomic_load_n(&otel_http_connections[fd], __ATOMIC_ACQUIRE);
}
/* Starts tracking an accepted descriptor whose entry is empty (NULL without
 * memory or for a descriptor beyond the table). */
otel_http_connection *otel_http_connection_track(int fd);
/* Stops tracking `fd` and returns its connection for the caller to free. */
otel_http_connection *otel_http_connection_untrack(int fd);
#endif
