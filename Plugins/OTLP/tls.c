/* TLS for https:// endpoints, with the system's OpenSSL (libssl.so.3) loaded
 * by dlopen only when an https endpoint is configured: a process exporting
 * over plain http never maps it. Server certificates are verified (the
 * configured CA file, else the system's trust store) and so is the host name;
 * a client certificate and key are presented when configured. */
#define _GNU_SOURCE
#include "otel_otlp.h"

#include <dlfcn.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The libssl functions used, looked up once. */
static struct {
    const SSL_METHOD *(*client_method)(void);
    SSL_CTX *(*ctx_new)(const SSL_METHOD *);
    void (*ctx_free)(SSL_CTX *);
    int (*ctx_load_verify_locations)(SSL_CTX *, const char *, const char *);
    int (*ctx_set_default_verify_paths)(SSL_CTX *);
    void (*ctx_set_verify)(SSL_CTX *, int, SSL_verify_cb);
    int (*ctx_use_certificate_chain_file)(SSL_CTX *, const char *);
    int (*ctx_use_private_key_file)(SSL_CTX *, const char *, int);
    SSL *(*ssl_new)(SSL_CTX *);
    void (*ssl_free)(SSL *);
    int (*set_fd)(SSL *, int);
    int (*set1_host)(SSL *, const char *);
    long (*ctrl)(SSL *, int, long, void *);
    int (*connect)(SSL *);
    int (*read)(SSL *, void *, int);
    int (*write)(SSL *, const void *, int);
    int (*get_error)(const SSL *, int);
    long (*get_verify_result)(const SSL *);
    const char *(*verify_cert_error_string)(long);
    int loaded; /* 1 loaded, -1 unavailable */
} ssl;
static pthread_once_t ssl_once = PTHREAD_ONCE_INIT;

static void load_ssl(void) {
    void *library = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);
    void *crypto = library ? dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL) : NULL;
    if (!library || !crypto) {
        ssl.loaded = -1;
        return;
    }
#define OTEL_TLS_LOOK_UP(field, handle, name) *(void **)&ssl.field = dlsym(handle, name)
    OTEL_TLS_LOOK_UP(client_method, library, "TLS_client_method");
    OTEL_TLS_LOOK_UP(ctx_new, library, "SSL_CTX_new");
    OTEL_TLS_LOOK_UP(ctx_free, library, "SSL_CTX_free");
    OTEL_TLS_LOOK_UP(ctx_load_verify_locations, library, "SSL_CTX_load_verify_locations");
    OTEL_TLS_LOOK_UP(ctx_set_default_verify_paths, library, "SSL_CTX_set_default_verify_paths");
    OTEL_TLS_LOOK_UP(ctx_set_verify, library, "SSL_CTX_set_verify");
    OTEL_TLS_LOOK_UP(ctx_use_certificate_chain_file, library, "SSL_CTX_use_certificate_chain_file");
    OTEL_TLS_LOOK_UP(ctx_use_private_key_file, library, "SSL_CTX_use_PrivateKey_file");
    OTEL_TLS_LOOK_UP(ssl_new, library, "SSL_new");
    OTEL_TLS_LOOK_UP(ssl_free, library, "SSL_free");
    OTEL_TLS_LOOK_UP(set_fd, library, "SSL_set_fd");
    OTEL_TLS_LOOK_UP(set1_host, library, "SSL_set1_host");
    OTEL_TLS_LOOK_UP(ctrl, library, "SSL_ctrl");
    OTEL_TLS_LOOK_UP(connect, library, "SSL_connect");
    OTEL_TLS_LOOK_UP(read, library, "SSL_read");
    OTEL_TLS_LOOK_UP(write, library, "SSL_write");
    OTEL_TLS_LOOK_UP(get_error, library, "SSL_get_error");
    OTEL_TLS_LOOK_UP(get_verify_result, library, "SSL_get_verify_result");
    OTEL_TLS_LOOK_UP(verify_cert_error_string, crypto, "X509_verify_cert_error_string");
#undef OTEL_TLS_LOOK_UP
    int complete = ssl.client_method && ssl.ctx_new && ssl.ctx_free && ssl.ctx_load_verify_locations &&
                   ssl.ctx_set_default_verify_paths && ssl.ctx_set_verify && ssl.ctx_use_certificate_chain_file &&
                   ssl.ctx_use_private_key_file && ssl.ssl_new && ssl.ssl_free && ssl.set_fd && ssl.set1_host && ssl.ctrl &&
                   ssl.connect && ssl.read && ssl.write && ssl.get_error && ssl.get_verify_result && ssl.verify_cert_error_string;
    ssl.loaded = complete ? 1 : -1;
}

void *otel_otlp_tls_context(const char *ca_file, const char *client_certificate, const char *client_key, const char **error) {
    pthread_once(&ssl_once, load_ssl);
    if (ssl.loaded < 0) {
        *error = "OpenSSL (libssl.so.3) is not available";
        return NULL;
    }
    SSL_CTX *context = ssl.ctx_new(ssl.client_method());
    if (!context) {
        *error = "OpenSSL could not make a TLS context";
        return NULL;
    }
    ssl.ctx_set_verify(context, SSL_VERIFY_PEER, NULL);
    if (ca_file ? ssl.ctx_load_verify_locations(context, ca_file, NULL) != 1 : ssl.ctx_set_default_verify_paths(context) != 1) {
        *error = "the CA certificate file cannot be read (OTEL_EXPORTER_OTLP_CERTIFICATE)";
    } else if (client_certificate && ssl.ctx_use_certificate_chain_file(context, client_certificate) != 1) {
        *error = "the client certificate cannot be read (OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE)";
    } else if (client_key && ssl.ctx_use_private_key_file(context, client_key, SSL_FILETYPE_PEM) != 1) {
        *error = "the client key cannot be read (OTEL_EXPORTER_OTLP_CLIENT_KEY)";
    } else if (!client_certificate != !client_key) {
        *error = "a client certificate needs its key and the key its certificate";
    } else {
        return context;
    }
    ssl.ctx_free(context);
    return NULL;
}

/* Waits for what OpenSSL asked for (read or write) until the deadline; 1 when ready. */
static int wait_for_tls(int fd, int tls_error, uint64_t deadline_ms) {
    return otel_otlp_wait(fd, tls_error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, deadline_ms) == 1;
}

void *otel_otlp_tls_connect(void *context, int fd, const char *host, uint64_t deadline_ms, char *failure, size_t size) {
    SSL *session = ssl.ssl_new(context);
    if (!session) {
        snprintf(failure, size, "OpenSSL could not start a TLS session");
        return NULL;
    }
    ssl.set_fd(session, fd);
    ssl.ctrl(session, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, (void *)host); /* SNI */
    ssl.set1_host(session, host);                                                            /* name checked against the certificate */
    for (;;) {
        int result = ssl.connect(session);
        if (result == 1) return session;
        int tls_error = ssl.get_error(session, result);
        if ((tls_error == SSL_ERROR_WANT_READ || tls_error == SSL_ERROR_WANT_WRITE) && wait_for_tls(fd, tls_error, deadline_ms)) continue;
        long verify = ssl.get_verify_result(session);
        if (verify != X509_V_OK) {
            snprintf(failure, size, "the endpoint's certificate is not trusted (%s)", ssl.verify_cert_error_string(verify));
        } else if (tls_error == SSL_ERROR_WANT_READ || tls_error == SSL_ERROR_WANT_WRITE) {
            snprintf(failure, size, "the TLS handshake did not finish before the timeout");
        } else {
            snprintf(failure, size, "the TLS handshake failed");
        }
        ssl.ssl_free(session);
        return NULL;
    }
}

long otel_otlp_tls_io(void *session, int fd, int writing, void *data, size_t length, uint64_t deadline_ms) {
    for (;;) {
        int result = writing ? ssl.write(session, data, (int)length) : ssl.read(session, data, (int)length);
        if (result > 0) return result;
        int tls_error = ssl.get_error(session, result);
        if (tls_error == SSL_ERROR_ZERO_RETURN) return 0;
        if ((tls_error == SSL_ERROR_WANT_READ || tls_error == SSL_ERROR_WANT_WRITE) && wait_for_tls(fd, tls_error, deadline_ms)) continue;
        return tls_error == SSL_ERROR_SYSCALL && !writing ? 0 : -1; /* a peer closing without close_notify ends the body */
    }
}

void otel_otlp_tls_close(void *session) {
    if (session) ssl.ssl_free(session);
}
