/* The accepted TCP connections, indexed by descriptor: a lock-free table
 * (the wrappers of read, write and close look every descriptor up). A
 * connection is used by one thread at a time; the table only publishes it. */
#include "otel_http_server.h"

#include <stdlib.h>

otel_http_connection *otel_http_connections[OTEL_HTTP_DESCRIPTOR_LIMIT]; /* read and written through __atomic built-ins */

otel_http_connection *otel_http_connection_track(int fd) {
    if ((unsigned)fd >= OTEL_HTTP_DESCRIPTOR_LIMIT) return NULL;
    otel_http_connection *connection = calloc(1, sizeof *connection);
    if (!connection) return NULL;
    connection->fd = fd;
    otel_http_parser_init(&connection->requests, true);
    otel_http_parser_init(&connection->responses, false);
    __atomic_store_n(&otel_http_connections[fd], connection, __ATOMIC_RELEASE);
    return connection;
}

otel_http_connection *otel_http_connection_untrack(int fd) {
    if ((unsigned)fd >= OTEL_HTTP_DESCRIPTOR_LIMIT) return NULL;
    return __atomic_exchange_n(&otel_http_connections[fd], NULL, __ATOMIC_ACQ_REL);
}
