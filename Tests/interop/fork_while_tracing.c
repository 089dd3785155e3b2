/* Forks 100 times while three other threads keep making spans, as a
 * pre-forking server or a test runner would. Each child makes one span of
 * its own, "child <i>", and leaves by exit (even i) or _exit (odd i). Spans
 * are made through the core's C API, found in the runtime otel-instrument
 * loaded (OTEL_NATIVE_RUNTIME_LIBRARY). Prints how many spans the parent's
 * threads made. Exit status 1 when a child fails, 2 without the runtime.
 *
 * It forks once its spans have been exported once (the test sets a 100 ms
 * schedule delay), as a server forking workers after it has been running
 * would: a fork at the instant a parent thread sets up a Swift type for the
 * first time (the first export does many) leaves that runtime lock held in
 * the child (docs/instrumentations.md, "Fork"). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "otel_core.h"

static void (*span_start)(otel_tracer *, const char *, otel_span_kind, const otel_context *, otel_span *);
static void (*span_end)(otel_span *);
static volatile int stop;

static void *work(void *unused) {
    (void)unused;
    long count = 0;
    while (!stop) {
        otel_span span;
        span_start(NULL, "parent work", OTEL_SPAN_KIND_INTERNAL, NULL, &span);
        span_end(&span);
        count++;
        usleep(500);
    }
    return (void *)count;
}

int main(void) {
    const char *runtime = getenv("OTEL_NATIVE_RUNTIME_LIBRARY");
    void *core = runtime ? dlopen(runtime, RTLD_NOW | RTLD_NOLOAD) : NULL;
    if (!core) return 2;
    span_start = (void (*)(otel_tracer *, const char *, otel_span_kind, const otel_context *, otel_span *))dlsym(core, "otel_span_start");
    span_end = (void (*)(otel_span *))dlsym(core, "otel_span_end");
    if (!span_start || !span_end) return 2;
    pthread_t threads[3];
    for (int i = 0; i < 3; i++) pthread_create(&threads[i], NULL, work, NULL);
    usleep(300 * 1000); /* past the first export */
    for (int i = 0; i < 100; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            char name[32];
            snprintf(name, sizeof name, "child %d", i);
            otel_span span;
            span_start(NULL, name, OTEL_SPAN_KIND_INTERNAL, NULL, &span);
            span_end(&span);
            if (i % 2) _exit(0);
            exit(0);
        }
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
    }
    stop = 1;
    long total = 0;
    for (int i = 0; i < 3; i++) {
        void *count;
        pthread_join(threads[i], &count);
        total += (long)count;
    }
    printf("parent spans %ld\n", total);
    return 0;
}
