/* The clock requests are timed by. See otel_request_clock.h. */
#include "otel_request_clock.h"

#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

bool otel_request_clock_counts_ticks;

/* The clocks at one reading, and the rate the readings after it are
 * converted at. Anchors take turns in a ring: one is written whole before
 * it is published, and only rewritten ANCHORS anchorings (seconds) later,
 * which a thread that read the last pointer would have to sleep through. */
typedef struct clock_anchor {
    uint64_t reading;
    uint64_t monotonic_ns;    /* CLOCK_MONOTONIC at the reading */
    uint64_t wall_ns;         /* CLOCK_REALTIME at the reading */
    uint64_t ns_per_tick_q32; /* nanoseconds per tick, 32.32 fixed point (exactly 1 when readings are nanoseconds) */
    uint64_t refresh_after;   /* ticks after which the anchor is taken again: about a second */
} clock_anchor;

#define ANCHORS 8
#define ONE_Q32 ((uint64_t)1 << 32)
#define NS_PER_SECOND 1000000000u
/* The first rate's measuring: 50 µs of the monotonic clock, up to ~0.1 % off until the next
 * anchoring, 10 ms later (then 0.001 %), after which anchors are taken every second. */
#define FIRST_RATE_NS 50000u
#define FIRST_ANCHOR_NS 10000000u

static clock_anchor anchors[ANCHORS];
static unsigned anchors_taken;
static const clock_anchor *current; /* NULL before otel_request_clock_start */
/* The reading at which a thread began anchoring, 0 for none: one anchors at a
 * time, and one that has not finished in a second (a fork took it away) is
 * replaced. */
static uint64_t anchoring_since;

/* The clocks now: a reading, the middle of two around the monotonic clock's,
 * of the closest pair of a few (a thread preempted between two readings
 * would put the middle far from the monotonic clock's). */
static clock_anchor clocks_now(void) {
    clock_anchor best = {0};
    uint64_t closest = UINT64_MAX;
    for (int attempt = 0; attempt < 5; attempt++) {
        uint64_t before = otel_request_clock_read();
        uint64_t monotonic = otel_request_clock_ns(CLOCK_MONOTONIC);
        uint64_t after = otel_request_clock_read();
        if (after - before < closest) {
            closest = after - before;
            best = (clock_anchor){.reading = before + (after - before) / 2, .monotonic_ns = monotonic};
        }
    }
    uint64_t wall = otel_request_clock_ns(CLOCK_REALTIME), monotonic = otel_request_clock_ns(CLOCK_MONOTONIC);
    best.wall_ns = wall - (monotonic - best.monotonic_ns); /* the wall clock back at the chosen reading */
    return best;
}

/* The rate from `earlier` to `later` (nanoseconds per tick, 32.32), 0 when
 * not a counter's from 10 MHz to 100 GHz. */
static uint64_t rate_between(const clock_anchor *earlier, const clock_anchor *later) {
    uint64_t ticks = later->reading - earlier->reading, ns = later->monotonic_ns - earlier->monotonic_ns;
    if (!ticks || later->reading < earlier->reading || later->monotonic_ns <= earlier->monotonic_ns) return 0;
    unsigned __int128 rate = ((unsigned __int128)ns << 32) / ticks;
    return rate >= ONE_Q32 / 100 && rate <= 100 * ONE_Q32 ? (uint64_t)rate : 0;
}

/* Publishes `anchor` (its rate set) as the current one, to be taken again `refresh_ns` later. */
static void publish(clock_anchor anchor, uint64_t refresh_ns) {
    anchor.refresh_after = (uint64_t)(((unsigned __int128)refresh_ns << 32) / anchor.ns_per_tick_q32);
    clock_anchor *slot = &anchors[__atomic_fetch_add(&anchors_taken, 1, __ATOMIC_RELAXED) % ANCHORS];
    __atomic_store_n(&slot->reading, anchor.reading, __ATOMIC_RELAXED);
    __atomic_store_n(&slot->monotonic_ns, anchor.monotonic_ns, __ATOMIC_RELAXED);
    __atomic_store_n(&slot->wall_ns, anchor.wall_ns, __ATOMIC_RELAXED);
    __atomic_store_n(&slot->ns_per_tick_q32, anchor.ns_per_tick_q32, __ATOMIC_RELAXED);
    __atomic_store_n(&slot->refresh_after, anchor.refresh_after, __ATOMIC_RELAXED);
    __atomic_store_n(&current, slot, __ATOMIC_RELEASE);
}

/* Whether the kernel keeps time by the time-stamp counter (its current clocksource). */
static bool kernel_counts_ticks(void) {
#if defined(__x86_64__)
    int fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char name[16];
    ssize_t length = read(fd, name, sizeof name);
    close(fd);
    return length == 4 && memcmp(name, "tsc\n", 4) == 0;
#else
    return false;
#endif
}

static void start_once(void) {
    if (kernel_counts_ticks()) {
        __atomic_store_n(&otel_request_clock_counts_ticks, true, __ATOMIC_RELAXED);
        clock_anchor first = clocks_now(), second;
        int spins = 0;
        do second = clocks_now(); while (second.monotonic_ns - first.monotonic_ns < FIRST_RATE_NS && ++spins < 100000);
        second.ns_per_tick_q32 = rate_between(&first, &second);
        if (second.ns_per_tick_q32) return publish(second, FIRST_ANCHOR_NS);
        __atomic_store_n(&otel_request_clock_counts_ticks, false, __ATOMIC_RELAXED); /* not a counter: the monotonic clock */
    }
    clock_anchor anchor = clocks_now();
    anchor.ns_per_tick_q32 = ONE_Q32;
    publish(anchor, NS_PER_SECOND);
}

void otel_request_clock_start(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, start_once);
}

/* The current anchor, its fields read one by one (another thread may be
 * writing the slot after it: see clock_anchor); false before the start. */
static inline bool current_anchor(clock_anchor *anchor) {
    const clock_anchor *slot = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
    if (!slot) return false;
    anchor->reading = __atomic_load_n(&slot->reading, __ATOMIC_RELAXED);
    anchor->monotonic_ns = __atomic_load_n(&slot->monotonic_ns, __ATOMIC_RELAXED);
    anchor->wall_ns = __atomic_load_n(&slot->wall_ns, __ATOMIC_RELAXED);
    anchor->ns_per_tick_q32 = __atomic_load_n(&slot->ns_per_tick_q32, __ATOMIC_RELAXED);
    anchor->refresh_after = __atomic_load_n(&slot->refresh_after, __ATOMIC_RELAXED);
    return true;
}

/* Anchors the clocks again after `last` (the rate measured anew since it), unless another thread is. */
static __attribute__((noinline)) void anchor_again(const clock_anchor *last, uint64_t reading) {
    uint64_t since = __atomic_load_n(&anchoring_since, __ATOMIC_RELAXED);
    if ((since && (int64_t)(reading - since) < (int64_t)last->refresh_after) ||
        !__atomic_compare_exchange_n(&anchoring_since, &since, reading, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    clock_anchor anchor = clocks_now();
    uint64_t rate = otel_request_clock_counts_ticks ? rate_between(last, &anchor) : 0, previous = last->ns_per_tick_q32;
    /* The counter's rate does not change, and the monotonic clock's slewing is at most 0.05 %: a rate
     * more than 1 % away (a suspended machine, the counter reset) is not taken. */
    anchor.ns_per_tick_q32 = rate && rate > previous - previous / 100 && rate < previous + previous / 100 ? rate : previous;
    publish(anchor, NS_PER_SECOND);
    __atomic_store_n(&anchoring_since, 0, __ATOMIC_RELEASE);
}

uint64_t otel_request_clock_elapsed_ns(uint64_t start, uint64_t end) {
    const clock_anchor *slot = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
    uint64_t rate = slot ? __atomic_load_n(&slot->ns_per_tick_q32, __ATOMIC_RELAXED) : ONE_Q32; /* the rate alone */
    if ((int64_t)(end - start) <= 0) return 0;
    return (uint64_t)(((unsigned __int128)(end - start) * rate) >> 32);
}

uint64_t otel_request_clock_wall_ns(uint64_t reading) {
    clock_anchor anchor;
    if (!current_anchor(&anchor)) return otel_request_clock_ns(CLOCK_REALTIME);
    int64_t ticks = (int64_t)(reading - anchor.reading);
    if (ticks > (int64_t)anchor.refresh_after) { /* converted from a new anchor: after a server's idle hour, not the hour-old one */
        anchor_again(&anchor, reading);
        current_anchor(&anchor);
        ticks = (int64_t)(reading - anchor.reading);
    }
    return anchor.wall_ns + (uint64_t)(int64_t)(((__int128)ticks * (__int128)anchor.ns_per_tick_q32) >> 32);
}
