/* A peer for Benchmarks/http-server/run.sh: preloaded into an uninstrumented
 * nginx, it starts one thread that sleeps for ever and does nothing else.
 * What nginx then loses is what any in-process SDK with an export thread
 * costs a single-threaded program before it records anything: the kernel
 * and libc take their multi-threaded paths (file-table reference counts,
 * asynchronous-cancellation checks around every blocking call). */
#include <pthread.h>
#include <unistd.h>

static void *sleep_forever(void *unused) {
    (void)unused;
    for (;;) pause();
    return NULL;
}

__attribute__((constructor)) static void start_sleeping_thread(void) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, sleep_forever, NULL) == 0) pthread_detach(thread);
}
