/* Calls target_add N times through the GOT and prints ns per call. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int target_add(int, int);
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10000000;
    struct timespec a, b;
    volatile int sink = 0;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) sink += target_add((int)i, 1);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.1f ns per call\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
    return sink == 42;
}
