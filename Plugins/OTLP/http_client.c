/* A minimal HTTP/1.1 client for OTLP/HTTP: one POST per connection
 * (Connection: close), every step bounded by a deadline, no signals
 * (MSG_NOSIGNAL), no allocation beyond getaddrinfo. */
#define _GNU_SOURCE
#include "otel_otlp.h"

#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

uint64_t otel_otlp_now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

int otel_otlp_parse_endpoint(const char *url, otel_otlp_endpoint *out, const char **error) {
    memset(out, 0, sizeof *out);
    const char *rest;
    if (strncasecmp(url, "http://", 7) == 0) {
        rest = url + 7;
    } else if (strncasecmp(url, "https://", 8) == 0) {
        rest = url + 8;
        out->https = 1;
    } else {
        *error = "the endpoint must start with http:// or https://";
        return -1;
    }
    const char *slash = strchr(rest, '/');
    size_t authority = slash ? (size_t)(slash - rest) : strlen(rest);
    const char *at = memchr(rest, '@', authority);
    if (at) { /* user:password@ is not sent anywhere */
        authority -= (size_t)(at + 1 - rest);
        rest = at + 1;
    }
    const char *host = rest, *port = NULL;
    size_t host_length = authority;
    if (authority && host[0] == '[') { /* [IPv6]:port */
        const char *close = memchr(host, ']', authority);
        if (!close) { *error = "the endpoint's IPv6 address has no closing ]"; return -1; }
        host_length = (size_t)(close - host - 1);
        host++;
        if ((size_t)(close + 1 - rest) < authority && close[1] == ':') port = close + 2;
    } else {
        const char *colon = memchr(host, ':', authority);
        if (colon) {
            host_length = (size_t)(colon - host);
            port = colon + 1;
        }
    }
    if (!host_length || host_length >= sizeof out->host) { *error = "the endpoint has no host, or one too long"; return -1; }
    memcpy(out->host, host, host_length);
    size_t port_length = port ? (size_t)(rest + authority - port) : 0;
    if (port && (port_length == 0 || port_length >= sizeof out->port || strspn(port, "0123456789") < port_length)) {
        *error = "the endpoint's port is not a number";
        return -1;
    }
    if (port) memcpy(out->port, port, port_length);
    else strcpy(out->port, out->https ? "443" : "80");
    const char *path = slash ? slash : "/";
    if (strlen(path) >= sizeof out->path) { *error = "the endpoint's path is too long"; return -1; }
    strcpy(out->path, path);
    return 0;
}

int otel_otlp_wait(int fd, short events, uint64_t deadline_ms) {
    for (;;) {
        uint64_t now = otel_otlp_now_ms();
        deadline_ms = otel_otlp_until_exit(deadline_ms);
        if (now >= deadline_ms) return 0;
        struct pollfd poller = {.fd = fd, .events = events};
        /* Once exiting, the deadline is the exit's: nothing more to look at until then. */
        bool whole = otel_otlp_exit_deadline() || deadline_ms - now < OTEL_OTLP_EXIT_CHECK_MS;
        uint64_t slice = whole ? deadline_ms - now : OTEL_OTLP_EXIT_CHECK_MS;
        int ready = poll(&poller, 1, (int)slice);
        if (ready > 0) return 1;
        if (ready < 0 && errno != EINTR) return -1;
    }
}

/* A connected non-blocking socket, or -1 with `failure` filled. */
static int connect_to(const otel_otlp_endpoint *endpoint, uint64_t deadline_ms, char *failure, size_t size) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *addresses = NULL;
    int resolved = getaddrinfo(endpoint->host, endpoint->port, &hints, &addresses);
    if (resolved != 0) {
        snprintf(failure, size, "cannot resolve the endpoint's host (%s)", gai_strerror(resolved));
        return -1;
    }
    int fd = -1, error = 0;
    for (struct addrinfo *address = addresses; address && fd < 0; address = address->ai_next) {
        fd = socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, address->ai_protocol);
        if (fd < 0) { error = errno; continue; }
        if (connect(fd, address->ai_addr, address->ai_addrlen) == 0) break;
        error = errno;
        if (error == EINPROGRESS && otel_otlp_wait(fd, POLLOUT, deadline_ms) == 1) {
            socklen_t length = sizeof error;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0) break;
        } else if (error == EINPROGRESS) {
            error = ETIMEDOUT;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(addresses);
    if (fd < 0) snprintf(failure, size, "cannot connect to the endpoint (%s)", strerror(error));
    return fd;
}

/* A connection: the socket, and the TLS session over it for https. */
typedef struct connection {
    int fd;
    void *tls;
} connection;

static int send_all(const connection *link, const void *data, size_t length, uint64_t deadline_ms) {
    const uint8_t *bytes = data;
    int fd = link->fd;
    if (link->tls) {
        while (length) {
            long sent = otel_otlp_tls_io(link->tls, fd, 1, (void *)(uintptr_t)bytes, length, deadline_ms);
            if (sent <= 0) return -1;
            bytes += sent;
            length -= (size_t)sent;
        }
        return 0;
    }
    while (length) {
        ssize_t sent = send(fd, bytes, length, MSG_NOSIGNAL);
        if (sent > 0) {
            bytes += sent;
            length -= (size_t)sent;
        } else if (sent < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (otel_otlp_wait(fd, POLLOUT, deadline_ms) != 1) return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Reads the response head and the start of its body. */
static void read_response(const connection *link, uint64_t deadline_ms, otel_otlp_response *response) {
    char buffer[8192];
    size_t used = 0;
    char *end = NULL;
    int fd = link->fd;
    for (;;) {
        ssize_t got = link->tls ? otel_otlp_tls_io(link->tls, fd, 0, buffer + used, sizeof buffer - 1 - used, deadline_ms)
                                : recv(fd, buffer + used, sizeof buffer - 1 - used, 0);
        if (got < 0 && link->tls) {
            if (!end) snprintf(response->failure, sizeof response->failure, "no response before the timeout");
            break;
        }
        if (got > 0) {
            used += (size_t)got;
            buffer[used] = 0;
            if (!end) end = strstr(buffer, "\r\n\r\n");
            if (used == sizeof buffer - 1) break;
            continue;
        }
        if (got == 0) break;
        if (errno == EAGAIN || errno == EINTR) {
            int ready = otel_otlp_wait(fd, POLLIN, deadline_ms);
            if (ready == 1) continue;
            if (!end) snprintf(response->failure, sizeof response->failure, "no response before the timeout");
        } else if (!end) {
            snprintf(response->failure, sizeof response->failure, "the connection failed while reading (%s)", strerror(errno));
        }
        break;
    }
    buffer[used] = 0;
    if (!end) end = strstr(buffer, "\r\n\r\n");
    int status = 0;
    if (!end || sscanf(buffer, "HTTP/1.%*d %d", &status) != 1 || status < 100 || status > 999) {
        if (!response->failure[0]) snprintf(response->failure, sizeof response->failure, "the endpoint did not answer in HTTP");
        return;
    }
    response->status = status;
    *end = 0;
    for (char *line = strstr(buffer, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "Retry-After:", 12) == 0) {
            char *value = line + 14;
            char *after;
            long seconds = strtol(value, &after, 10);
            if (after != value && seconds >= 0) response->retry_after_ms = seconds * 1000;
        }
    }
    size_t body = used - (size_t)(end + 4 - buffer);
    if (body > sizeof response->body) body = sizeof response->body;
    memcpy(response->body, end + 4, body);
    response->body_length = body;
}

void otel_otlp_post(const otel_otlp_endpoint *endpoint, void *tls_context, const char *headers, const uint8_t *body,
                    size_t length, uint64_t deadline_ms, otel_otlp_response *response) {
    memset(response, 0, sizeof *response);
    response->retry_after_ms = -1;
    int fd = connect_to(endpoint, deadline_ms, response->failure, sizeof response->failure);
    if (fd < 0) return;
    connection link = {fd, NULL};
    if (endpoint->https) {
        link.tls = otel_otlp_tls_connect(tls_context, fd, endpoint->host, deadline_ms, response->failure, sizeof response->failure);
        if (!link.tls) {
            close(fd);
            return;
        }
    }
    char head[4096];
    int written = snprintf(head, sizeof head,
                           "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
                           endpoint->path, endpoint->host, endpoint->port, length, headers);
    if (written < 0 || (size_t)written >= sizeof head) {
        snprintf(response->failure, sizeof response->failure, "the request headers are too long");
    } else if (send_all(&link, head, (size_t)written, deadline_ms) != 0 || send_all(&link, body, length, deadline_ms) != 0) {
        snprintf(response->failure, sizeof response->failure, "the request could not be sent before the timeout");
    } else {
        read_response(&link, deadline_ms, response);
    }
    otel_otlp_tls_close(link.tls);
    close(fd);
}

/* zlib, loaded by dlopen on the first gzip request: processes that do not
 * compress never map it. */
static struct {
    int (*init)(z_streamp, int, int, int, int, int, const char *, int);
    int (*deflate)(z_streamp, int);
    int (*end)(z_streamp);
    uLong (*bound)(z_streamp, uLong);
    int loaded; /* 1 loaded, -1 unavailable */
} zlib;
static pthread_once_t zlib_once = PTHREAD_ONCE_INIT;

static void load_zlib(void) {
    void *library = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
    if (library) {
        *(void **)&zlib.init = dlsym(library, "deflateInit2_");
        *(void **)&zlib.deflate = dlsym(library, "deflate");
        *(void **)&zlib.end = dlsym(library, "deflateEnd");
        *(void **)&zlib.bound = dlsym(library, "deflateBound");
    }
    zlib.loaded = zlib.init && zlib.deflate && zlib.end && zlib.bound ? 1 : -1;
}

uint8_t *otel_otlp_gzip(const uint8_t *data, size_t length, size_t *out_length) {
    pthread_once(&zlib_once, load_zlib);
    if (zlib.loaded < 0) return NULL;
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    /* deflateInit2 with windowBits 15 + 16: a gzip stream. */
    if (zlib.init(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, (int)sizeof stream) != Z_OK)
        return NULL;
    size_t capacity = zlib.bound(&stream, (uLong)length);
    uint8_t *out = malloc(capacity);
    if (!out) {
        zlib.end(&stream);
        return NULL;
    }
    stream.next_in = (Bytef *)(uintptr_t)data;
    stream.avail_in = (uInt)length;
    stream.next_out = out;
    stream.avail_out = (uInt)capacity;
    int result = zlib.deflate(&stream, Z_FINISH);
    *out_length = stream.total_out;
    zlib.end(&stream);
    if (result != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

/* The value of a hexadecimal digit, -1 for anything else. */
static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A header name: an RFC 9110 token. */
static int token_char(unsigned char c) {
    return c > 32 && c < 127 && !strchr("\"(),/:;<=>?@[\\]{}", c);
}

char *otel_otlp_header_lines(const char *value, int *skipped) {
    *skipped = 0;
    size_t capacity = strlen(value) * 2 + 1;
    char *lines = malloc(capacity);
    if (!lines) return NULL;
    size_t used = 0;
    const char *pair = value;
    while (*pair) {
        const char *comma = strchr(pair, ',');
        size_t length = comma ? (size_t)(comma - pair) : strlen(pair);
        const char *equals = memchr(pair, '=', length);
        /* Trim blanks around the key and the value (W3C baggage allows them). */
        const char *key = pair, *key_end = equals ? equals : pair;
        while (key < key_end && (*key == ' ' || *key == '\t')) key++;
        while (key_end > key && (key_end[-1] == ' ' || key_end[-1] == '\t')) key_end--;
        int valid = equals && key < key_end;
        for (const char *c = key; valid && c < key_end; c++) valid = token_char((unsigned char)*c);
        size_t start = used;
        if (valid) {
            memcpy(lines + used, key, (size_t)(key_end - key));
            used += (size_t)(key_end - key);
            lines[used++] = ':';
            lines[used++] = ' ';
            const char *v = equals + 1, *v_end = pair + length;
            while (v < v_end && (*v == ' ' || *v == '\t')) v++;
            while (v_end > v && (v_end[-1] == ' ' || v_end[-1] == '\t')) v_end--;
            for (; valid && v < v_end; v++) {
                unsigned char c = (unsigned char)*v;
                if (c == '%' && v_end - v >= 3 && hex_digit(v[1]) >= 0 && hex_digit(v[2]) >= 0) {
                    c = (unsigned char)(hex_digit(v[1]) * 16 + hex_digit(v[2]));
                    v += 2;
                }
                valid = c >= 32 && c != 127; /* no CR, LF or other control characters in a header */
                lines[used++] = (char)c;
            }
            lines[used++] = '\r';
            lines[used++] = '\n';
        }
        if (!valid) {
            used = start;
            if (length) (*skipped)++;
        }
        pair += length + (comma ? 1 : 0);
    }
    lines[used] = 0;
    return lines;
}
