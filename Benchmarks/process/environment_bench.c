/* The child environment alone (Plugins/Process/child_environment.c): an
 * environment of 40 variables, as exec and posix_spawn build it for every
 * child (docs/performance.md). */
#include "otel_child_environment.h"
#include <stdio.h>
#include <time.h>

int main(void) {
    static char entries[40][48];
    char *environment[42];
    for (int i = 0; i < 38; i++) {
        snprintf(entries[i], sizeof entries[i], "VARIABLE_%02d=some value of a typical length", i);
        environment[i] = entries[i];
    }
    environment[38] = "LD_PRELOAD=/opt/otel-native/lib/otel-native/libotel_preload.so";
    environment[39] = "OTEL_TRACES_EXPORTER=otlp";
    environment[40] = NULL;
    otel_child_inheritance inheritance;
    otel_child_inheritance_take(&inheritance, environment);
    const char *traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    struct timespec t0, t1;
    int n = 1000000;
    size_t sink = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        size_t text_bytes;
        size_t slots = otel_child_environment_slots(&inheritance, environment, &text_bytes);
        char *slot_space[64];
        char text_space[512];
        if (slots > 64 || text_bytes > 512) return 1;
        char **built = otel_child_environment_build(&inheritance, environment, traceparent, slot_space, text_space);
        sink += (size_t)built[0][0];
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("child environment (40 variables): %.0f ns per child (%zu)\n",
           ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n, sink % 2);
    return 0;
}
