/* The accepted TCP connections, indexed by descriptor: a lock-free table
 * (the wrappers of read, write and close look every descriptor up). A
 * connection is used by one thread at a time; the table only publishes it. */
#include "otel_http_server.h"

#include <stdlib.h>

#define DESCRIPTOR_LIMIT 65536 /* descriptors at or above it are not traced */

static otel_http_connection *_Atomic connections[DESCRIPTOR_LIMIT];

otel_http_connection *otel_http_connection_of(int fd) {
    if ((unsigned)fd >= DESCRIPTOR_LIMIT) return NULL;
    return __atomic_load_n(&connections[fd], __ATOMIC_ACQUIRE);
}

otel_http_connection *otel_http_connection_track(int fd) {
    if ((unsigned)fd >= DESCRIPTOR_LIMIT) return NULL;
    otel_http_connection *connection = calloc(1, sizeof *connection);
    if (!connection) return NULL;
    connection->fd = fd;
    otel_http_parser_init(&connection->requests, true);
    otel_http_parser_init(&connection->responses, false);
    __atomic_store_n(&connections[fd], connection, __ATOMIC_RELEASE);
    return connection;
}

otel_http_connection *otel_http_connection_untrack(int fd) {
    if ((unsigned)fd >= DESCRIPTOR_LIMIT) return NULL;
    return __atomic_exchange_n(&connections[fd], NULL, __ATOMIC_ACQ_REL);
}
