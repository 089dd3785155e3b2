/* The libcurl instrumentation (otel_instrumentor "curl").
 *
 * Built against this header and otel_plugin.h alone: the few libcurl
 * declarations it needs are repeated here from curl/curl.h (libcurl's ABI
 * has kept them since 7.x), so building it needs no libcurl headers. */
#ifndef OTEL_CURL_H
#define OTEL_CURL_H
#include <stdbool.h>
#include <otel_plugin.h>

const otel_plugin_descriptor *otel_curl_entry(const otel_host_api *host);

/* From curl/curl.h and curl/multi.h. */
typedef void CURL;
typedef void CURLM;
typedef int CURLcode;
typedef int CURLMcode;
struct curl_slist {
    char *data;
    struct curl_slist *next;
};
typedef struct CURLMsg {
    int msg; /* CURLMSG_DONE = 1 */
    CURL *easy_handle;
    union {
        void *whatever;
        CURLcode result;
    } data;
} CURLMsg;
enum {
    OTEL_CURLMSG_DONE = 1,
    OTEL_CURLOPT_URL = 10002,
    OTEL_CURLOPT_POSTFIELDS = 10015,
    OTEL_CURLOPT_HTTPHEADER = 10023,
    OTEL_CURLOPT_HTTPPOST = 10024,
    OTEL_CURLOPT_CUSTOMREQUEST = 10036,
    OTEL_CURLOPT_NOBODY = 44,
    OTEL_CURLOPT_UPLOAD = 46,
    OTEL_CURLOPT_POST = 47,
    OTEL_CURLOPT_PUT = 54,
    OTEL_CURLOPT_HTTPGET = 80,
    OTEL_CURLOPT_COPYPOSTFIELDS = 10165,
    OTEL_CURLOPT_MIMEPOST = 10269,
    OTEL_CURLINFO_EFFECTIVE_URL = 0x100000 + 1,
    OTEL_CURLINFO_RESPONSE_CODE = 0x200000 + 2,
    OTEL_CURLINFO_PRIMARY_IP = 0x100000 + 32,
    OTEL_CURLINFO_PRIMARY_PORT = 0x200000 + 40,
    OTEL_CURLINFO_HTTP_VERSION = 0x200000 + 46,
    OTEL_CURLINFO_EFFECTIVE_METHOD = 0x100000 + 58,
};

/* The CURLcode's name ("CURLE_COULDNT_CONNECT"), for error.type; NULL when unknown. */
const char *otel_curl_error_name(CURLcode code);

/* ---- what the application set on each easy handle (curl_handles.c) ---- */

/* libcurl's request kind as the options set it (lib/setopt.c); the method
 * sent is CUSTOMREQUEST, else HEAD when NOBODY is on, else PUT when UPLOAD
 * is on, else this (lib/http.c, Curl_http_method). */
typedef enum otel_curl_request {
    OTEL_CURL_REQUEST_GET = 0,
    OTEL_CURL_REQUEST_POST,
    OTEL_CURL_REQUEST_PUT,
    OTEL_CURL_REQUEST_HEAD,
} otel_curl_request;

/* The options of one easy handle that the spans need, and its transfer in
 * progress in a multi handle. Records are made on a handle's first option
 * of interest and reused after curl_easy_cleanup; a handle is used by one
 * thread at a time (libcurl's rule), so its record's fields need no lock. */
typedef struct otel_curl_handle {
    CURL *handle; /* NULL: free for another handle; read and written through __atomic built-ins */
    char *url;            /* CURLOPT_URL (a copy) */
    char *custom_method;  /* CURLOPT_CUSTOMREQUEST (a copy) */
    otel_curl_request request;
    bool no_body; /* CURLOPT_NOBODY */
    bool upload;  /* CURLOPT_UPLOAD / CURLOPT_PUT */
    struct curl_slist *headers; /* CURLOPT_HTTPHEADER as the application set it */
    /* A transfer added to a multi handle and not finished yet. */
    bool active;
    otel_span span;
    uint64_t started;
    struct curl_slist *injected; /* the header list given to libcurl meanwhile */
} otel_curl_handle;

/* The record of `handle`, or NULL (lock-free). */
otel_curl_handle *otel_curl_handle_find(CURL *handle);
/* The record of `handle`, made if needed; NULL without memory or room. */
otel_curl_handle *otel_curl_handle_get(CURL *handle);
/* Forgets the options of `handle` (curl_easy_reset keeps the record). */
void otel_curl_handle_reset(otel_curl_handle *record);
/* Frees the record of `handle` for reuse (curl_easy_cleanup). */
void otel_curl_handle_release(otel_curl_handle *record);
#endif
