/* A peer for Benchmarks/http-server/run.sh and at_once.sh: preloaded into an
 * uninstrumented nginx, it starts one thread that sleeps for ever and does
 * nothing else. What nginx then loses is what any in-process SDK with an
 * export thread costs a single-threaded program before it records anything:
 * the kernel and libc take their multi-threaded paths (file-table reference
 * counts, asynchronous-cancellation checks around every blocking call).
 * With SLEEPING_THREAD_OWN_DESCRIPTORS=1 the thread first takes a descriptor
 * table of its own, as otel-native's export threads do (docs/architecture.md),
 * so that only libc's multi-threaded paths remain. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif

static void *sleep_forever(void *own_descriptors) {
    if (own_descriptors) syscall(SYS_close_range, 0u, ~0u, CLOSE_RANGE_UNSHARE);
    for (;;) pause();
    return NULL;
}

__attribute__((constructor)) static void start_sleeping_thread(void) {
    const char *own = getenv("SLEEPING_THREAD_OWN_DESCRIPTORS");
    pthread_t thread;
    if (pthread_create(&thread, NULL, sleep_forever, own && strcmp(own, "1") == 0 ? (void *)1 : NULL) == 0)
        pthread_detach(thread);
}
