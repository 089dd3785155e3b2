/* What the application set on each easy handle: an open-addressing table of
 * records found without a lock (curl_easy_perform looks its handle up on
 * every transfer) and changed under one mutex (setopt, reset, cleanup).
 * Records are never freed: a released record keeps its slot, free for the
 * next handle, so a lookup racing with a release only ever reads a record. */
#include "otel_curl.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#define SLOT_COUNT 4096 /* handles alive at once beyond this are not traced */

static otel_curl_handle *slots[SLOT_COUNT]; /* read and written through __atomic built-ins */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static size_t first_slot(CURL *handle) {
    uint64_t bits = (uint64_t)(uintptr_t)handle * 0x9e3779b97f4a7c15u;
    return (size_t)(bits >> 52) & (SLOT_COUNT - 1);
}

otel_curl_handle *otel_curl_handle_find(CURL *handle) {
    if (!handle) return NULL;
    size_t slot = first_slot(handle);
    for (size_t probe = 0; probe < SLOT_COUNT; probe++, slot = (slot + 1) & (SLOT_COUNT - 1)) {
        otel_curl_handle *record = __atomic_load_n(&slots[slot], __ATOMIC_ACQUIRE);
        if (!record) return NULL; /* records only ever fill empty slots: the handle would be here */
        if (__atomic_load_n(&record->handle, __ATOMIC_ACQUIRE) == handle) return record;
    }
    return NULL;
}

otel_curl_handle *otel_curl_handle_get(CURL *handle) {
    otel_curl_handle *record = otel_curl_handle_find(handle);
    if (record || !handle) return record;
    pthread_mutex_lock(&lock);
    size_t slot = first_slot(handle);
    for (size_t probe = 0; probe < SLOT_COUNT && !record; probe++, slot = (slot + 1) & (SLOT_COUNT - 1)) {
        otel_curl_handle *existing = slots[slot];
        if (!existing) {
            record = calloc(1, sizeof *record);
            if (!record) break;
            __atomic_store_n(&record->handle, handle, __ATOMIC_RELAXED);
            __atomic_store_n(&slots[slot], record, __ATOMIC_RELEASE);
        } else if (!__atomic_load_n(&existing->handle, __ATOMIC_RELAXED)) {
            record = existing;
            __atomic_store_n(&record->handle, handle, __ATOMIC_RELEASE);
        }
    }
    pthread_mutex_unlock(&lock);
    return record;
}

void otel_curl_handle_reset(otel_curl_handle *record) {
    free(record->url);
    free(record->custom_method);
    record->url = NULL;
    record->custom_method = NULL;
    record->request = OTEL_CURL_REQUEST_GET;
    record->no_body = record->upload = false;
    record->headers = NULL;
}

void otel_curl_handle_release(otel_curl_handle *record) {
    pthread_mutex_lock(&lock);
    otel_curl_handle_reset(record);
    record->active = false;
    record->injected = NULL;
    __atomic_store_n(&record->handle, NULL, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&lock);
}
