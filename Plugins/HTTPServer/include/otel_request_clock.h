/* The clock requests are timed by: read at a request's first byte and at its
 * response's last, twice per request, sampled or not (request_clock.c).
 *
 * Where the kernel keeps time by the CPU's time-stamp counter itself (its
 * clocksource is "tsc": synchronized across CPUs, at a constant rate), a
 * reading is the counter, one rdtsc; its ticks become nanoseconds at a rate
 * measured against CLOCK_MONOTONIC, again 10 ms later, then every second (so
 * that the monotonic clock's slewing is followed). clock_gettime would add an
 * ordering fence and the vDSO's bookkeeping to each reading: 42.5 against
 * 23 ns on the benchmark's host, ~0.4 % of nginx's CPU per request
 * (docs/performance.md). Elsewhere a reading is CLOCK_MONOTONIC's
 * nanoseconds. Either way a duration is the difference of two readings, and
 * a reading's wall-clock time is that of the clocks' last anchoring (at most
 * a second old) plus the time since, as OpenTelemetry Java's AnchoredClock. */
#ifndef OTEL_REQUEST_CLOCK_H
#define OTEL_REQUEST_CLOCK_H
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

/* Whether readings are time-stamp counter ticks: set once, by
 * otel_request_clock_start, before any request is read. */
extern bool otel_request_clock_counts_ticks;

/* Decides what a reading is, once per process, and anchors the clock: before
 * the first reading (at the first accepted connection). */
void otel_request_clock_start(void);

/* `clock`'s time in nanoseconds. */
static inline uint64_t otel_request_clock_ns(clockid_t clock) {
    struct timespec now;
    clock_gettime(clock, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* A reading of the clock. */
static inline uint64_t otel_request_clock_read(void) {
#if defined(__x86_64__)
    if (__atomic_load_n(&otel_request_clock_counts_ticks, __ATOMIC_RELAXED)) return __rdtsc();
#endif
    return otel_request_clock_ns(CLOCK_MONOTONIC);
}

/* The nanoseconds from reading `start` to reading `end` (0 if `end` was read first). */
uint64_t otel_request_clock_elapsed_ns(uint64_t start, uint64_t end);

/* The wall-clock time of a reading: nanoseconds since the Unix epoch. */
uint64_t otel_request_clock_wall_ns(uint64_t reading);
#endif
