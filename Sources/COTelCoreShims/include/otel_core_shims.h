/* Internal C helpers of OTelCore: per-thread state, the id generator, clocks.
 * Not part of the public ABI: nothing here is meant for plugins. Every
 * exported symbol is prefixed otel_shim_ because a preloaded object's exports
 * interpose on the whole process. */
#ifndef OTEL_CORE_SHIMS_H
#define OTEL_CORE_SHIMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <time.h>
#include "otel_core.h"

/* Marks what a span or metric record the SDK drops or keeps in C runs (an
 * instrumented server's every request): gathered in .text.hot, in few cache
 * lines and pages. */
#define OTEL_SHIM_HOT __attribute__((hot))

#ifdef __cplusplus
extern "C" {
#endif

/* ---- per-thread state ------------------------------------------------- */

/* Per-thread random generator state (wyrand: one add and one 64×64→128
 * multiply per value, so consecutive draws overlap), reseeded from getrandom
 * on first use in a thread and again after fork, so a forked child never
 * repeats the ids of its parent. */
typedef struct otel_shim_rng {
    uint64_t state;
    uint64_t generation; /* fork generation the state was seeded in */
} otel_shim_rng;

/* Initial-exec TLS: a few dozen bytes, no __tls_get_addr on the hot path. */
extern __thread otel_shim_rng otel_shim_tls_rng __attribute__((tls_model("initial-exec")));
extern __thread void *otel_shim_tls_thread_state __attribute__((tls_model("initial-exec")));
extern uint64_t otel_shim_fork_generation;

/* OTEL_NATIVE_FLUSH_ON_SIGNAL: for SIGTERM and SIGINT where the program
 * left the default action, a handler that has `flush` run on a helper
 * thread (waiting at most `timeout_milliseconds`), then restores the default
 * action and raises the signal again, so the process ends as it would have.
 * A handler the program installs later replaces ours. Returns how many
 * signals got the handler, -1 when the helper could not be started. */
int otel_shim_flush_on_signal(void (*flush)(int signal_number), int timeout_milliseconds);

/* Adds callbacks to pthread_atfork's handlers (any may be NULL): `prepare`
 * before fork (those registered later first), `parent` after it in the
 * parent, `child` in the forked child once the C state below is repaired
 * (metric storages unlocked and emptied: the parent's points are the
 * parent's to export). At most 8; false when full. Call while
 * initialising, before other threads. */
bool otel_shim_on_fork(void (*prepare)(void), void (*parent)(void), void (*child)(void));

/* Runs the `child` callbacks once in this process, while it has one thread
 * and nothing is queued (they then change nothing), so that whatever the
 * Swift runtime sets up on first use (type metadata, lazy globals) is set
 * up before any fork. In a forked child the runtime's locks may be held by
 * parent threads that no longer exist: the fork handler must not need them. */
void otel_shim_rehearse_fork_child(void);

/* Seeds the calling thread's generator (slow path, out of line). */
void otel_shim_rng_seed(otel_shim_rng *rng);

/* The calling thread's generator, seeded for this process (after fork too). */
static inline otel_shim_rng *otel_shim_thread_rng(void) {
    otel_shim_rng *rng = &otel_shim_tls_rng;
    if (__builtin_expect(rng->generation != __atomic_load_n(&otel_shim_fork_generation, __ATOMIC_RELAXED) || rng->generation == 0, 0))
        otel_shim_rng_seed(rng);
    return rng;
}

/* The next value of `rng` (wyrand). */
static inline uint64_t otel_shim_rng_next(otel_shim_rng *rng) {
    uint64_t state = rng->state += 0xa0761d6478bd642full;
    __uint128_t product = (__uint128_t)state * (state ^ 0xe7037ed1a0b428dbull);
    return (uint64_t)(product >> 64) ^ (uint64_t)product;
}

/* A uniformly distributed 64-bit value; never blocks, never allocates. */
static inline uint64_t otel_shim_random_u64(void) {
    return otel_shim_rng_next(otel_shim_thread_rng());
}

/* The calling thread's state object (an opaque retained pointer owned by
 * OTelCore), or NULL before the thread's first use. */
static inline void *otel_shim_thread_state(void) { return otel_shim_tls_thread_state; }

/* Installs the calling thread's state; `release` runs on it when the thread
 * exits. */
void otel_shim_set_thread_state(void *state, void (*release)(void *));

/* Names the calling thread (at most 15 bytes are kept). */
void otel_shim_set_thread_name(const char *name);

/* ---- a short lock ------------------------------------------------------- */

/* A lock held for a few tens of nanoseconds (a metric shard, a span record):
 * one byte, taken by exchange; a waiter spins, then yields now and then (its
 * holder may have been preempted). Reset it by storing false (a forked child). */
void otel_shim_spin_wait(bool *locked);
static inline void otel_shim_spin_lock(bool *locked) {
    if (__builtin_expect(__atomic_exchange_n(locked, true, __ATOMIC_ACQUIRE), 0)) otel_shim_spin_wait(locked);
}
static inline void otel_shim_spin_unlock(bool *locked) { __atomic_store_n(locked, false, __ATOMIC_RELEASE); }

/* ---- pools of freed memory ---------------------------------------------- */

/* Freed blocks kept for the next allocation of their kind (pool.c), at most
 * `limit`, behind a spin lock: what one thread allocates and another frees
 * reaches neither's malloc cache (glibc keeps one per thread), so each would
 * take the arena's slow paths. A waiting block's first word links it to the
 * next; the rest of it is the owner's (a buffer's capacity). */
typedef struct otel_shim_pool {
    bool locked;
    unsigned count;
    unsigned limit;
    void *first;
} otel_shim_pool;
/* A waiting block, or NULL. */
void *otel_shim_pool_take(otel_shim_pool *pool);
/* Keeps `block` (at least a pointer's size) if the pool has room; false when full. */
bool otel_shim_pool_give(otel_shim_pool *pool, void *block);

/* ---- bounded lock-free queue ------------------------------------------ */

/* A bounded multi-producer, single-consumer queue of pointers (D. Vyukov's
 * bounded queue with per-cell sequence numbers). Push never blocks and never
 * allocates: it fails when the queue is full. */
typedef struct otel_shim_ring otel_shim_ring;

/* A queue holding up to `capacity` items (capacity >= 1), or NULL. */
otel_shim_ring *otel_shim_ring_create(size_t capacity);
void otel_shim_ring_destroy(otel_shim_ring *ring);
/* Appends `item`; false when the queue is full. */
bool otel_shim_ring_push(otel_shim_ring *ring, void *item);
/* Removes the oldest item; NULL when empty. One consumer at a time. */
void *otel_shim_ring_pop(otel_shim_ring *ring);
/* The number of items (exact when no push or pop is in progress). */
size_t otel_shim_ring_count(const otel_shim_ring *ring);
/* Empties the ring for a forked child (one thread): what is left in it is
 * dropped unreleased, including a slot a parent thread was filling at fork. */
void otel_shim_ring_reset(otel_shim_ring *ring);

/* Run first on every thread the SDK starts (export threads, the metric
 * reader): the runtime points it at the hooking engine's suppression, so that
 * nothing those threads do (an exporter's sockets, say) is traced. */
extern void (*otel_shim_sdk_thread_start)(void);
static inline void otel_shim_set_sdk_thread_start(void (*start)(void)) {
    __atomic_store_n(&otel_shim_sdk_thread_start, start, __ATOMIC_RELEASE);
}
static inline void otel_shim_run_sdk_thread_start(void) {
    void (*start)(void) = __atomic_load_n(&otel_shim_sdk_thread_start, __ATOMIC_ACQUIRE);
    if (start) start();
}

/* Set when the SDK's exit flush begins (OTelSDK.shutdown); exporters read it
 * through the host table's process_exiting. */
extern bool otel_shim_process_exiting;
static inline bool otel_shim_is_process_exiting(void) { return __atomic_load_n(&otel_shim_process_exiting, __ATOMIC_ACQUIRE); }
static inline void otel_shim_set_process_exiting(void) { __atomic_store_n(&otel_shim_process_exiting, true, __ATOMIC_RELEASE); }

/* ---- export threads' descriptor tables (export_thread_descriptors.c) ---- */

/* Gives the calling export thread an empty descriptor table of its own
 * (every exporter it calls opens and closes its descriptors within each
 * call); false, the table still shared, where the kernel cannot. */
bool otel_shim_export_thread_own_descriptors(void);
/* Writes all of `bytes` to the program's descriptor `fd` (from a thread with
 * its own table: through a duplicate fetched for this write), retrying short
 * writes and EINTR, giving up silently on any other error. */
void otel_shim_write_to_program(int fd, const void *bytes, size_t length);

/* ---- metric storage (metric_storage.c) -------------------------------- */

/* The aggregation cells of one instrument, one per attribute set and thread
 * shard: a thread records into its own shard (threads take turns among
 * OTEL_SHIM_METRIC_SHARDS at first use), under that shard's spin lock, so
 * threads recording at once do not wait for each other; a collection reads
 * every shard and OTelCore merges the cells of equal attribute sets.
 * Attribute sets are keyed by a canonical encoding (sorted by key, last of
 * equal keys wins): OTelCore's Swift encoder writes the same bytes. */
enum {
    OTEL_SHIM_METRIC_COUNTER = 0,
    OTEL_SHIM_METRIC_UP_DOWN_COUNTER = 1,
    OTEL_SHIM_METRIC_HISTOGRAM = 2,
    OTEL_SHIM_METRIC_GAUGE = 3,
};
#define OTEL_SHIM_METRIC_SHARDS 16
/* Attributes beyond this many in one record are ignored. */
#define OTEL_SHIM_METRIC_MAX_ATTRIBUTES 64

typedef struct otel_shim_metric_cell {
    uint64_t hash;
    uint8_t *key; /* the canonical attribute set */
    size_t key_length;
    uint64_t set_identity; /* the attribute set last found to have this key (0: none) */
    bool recorded;       /* recorded into since the last reset */
    uint64_t start_ns;   /* first record since the last reset */
    uint64_t time_ns;    /* gauges: the time of the last record */
    int64_t int_value;   /* integer instruments: the sum, or a gauge's last value */
    double double_value; /* floating-point instruments: the sum or last value; histograms: the sum */
    uint64_t count;      /* histograms: values recorded */
    double min, max;     /* histograms */
    size_t bucket_count; /* histograms: boundaries + 1 */
    uint64_t *buckets;
} otel_shim_metric_cell;

typedef struct otel_shim_metric_storage otel_shim_metric_storage;

/* Storage for an instrument of `kind`; histograms count into buckets bounded
 * above by `boundaries` (ascending). At most `cardinality_limit` attribute sets
 * (0: 2000) are kept; further sets are recorded into the otel.metric.overflow set. */
otel_shim_metric_storage *otel_shim_metric_storage_create(uint8_t kind, bool is_double, const double *boundaries,
                                                          size_t boundary_count, size_t cardinality_limit);
void otel_shim_metric_storage_destroy(otel_shim_metric_storage *storage);
/* In a forked child: every storage's shards unlocked (a parent thread may
 * have held one) and their points dropped (the parent exports them). */
void otel_shim_metric_storages_after_fork(void);
/* The histogram boundaries of `storage`. */
size_t otel_shim_metric_storage_boundaries(const otel_shim_metric_storage *storage, const double **boundaries);

/* The canonical key of `attributes` in `out` (its length), or SIZE_MAX when it does not fit. */
size_t otel_shim_metric_key(const otel_attribute *attributes, size_t count, uint8_t *out, size_t capacity);
uint64_t otel_shim_metric_key_hash(const uint8_t *key, size_t length);

/* Records a value (`int_value` for integer instruments, `double_value` for
 * floating-point ones, the other 0) for the attribute set `key`. */
void otel_shim_metric_record(otel_shim_metric_storage *storage, const uint8_t *key, size_t length, uint64_t hash,
                             int64_t int_value, double double_value);
/* The same from C attributes (what the C API calls). */
void otel_shim_metric_record_attributes(otel_shim_metric_storage *storage, const otel_attribute *attributes, size_t count,
                                        int64_t int_value, double double_value);
/* An attribute set with its canonical key made once (what otel_core.h's
 * otel_attribute_set points to). */
typedef struct otel_shim_attribute_set {
    uint64_t hash;
    uint64_t identity; /* never reused: a cell that knows it skips comparing keys */
    size_t length;
    uint8_t key[];
} otel_shim_attribute_set;
/* NULL when out of memory. */
otel_shim_attribute_set *otel_shim_attribute_set_create(const otel_attribute *attributes, size_t count);
void otel_shim_attribute_set_release(otel_shim_attribute_set *set);
/* Records a value for a set made above (NULL: the empty set). */
void otel_shim_metric_record_set(otel_shim_metric_storage *storage, const otel_shim_attribute_set *set,
                                 int64_t int_value, double double_value);
/* What an otel_instrument * points to (otel_instrument stays opaque in the
 * public header): what recording needs, so that the C API's records, a
 * prepared set's above all (a server's every request), call no Swift. Owned
 * by its Swift MetricInstrument, which lives as long as the process. */
typedef struct otel_shim_instrument_handle {
    otel_shim_metric_storage *storage; /* NULL: recording does nothing (no reader) */
    uint8_t kind;                      /* OTEL_SHIM_METRIC_* */
    bool is_double;
    uint8_t recorded;                  /* private: set (atomically) by the first record */
    void *swift_instrument;            /* the MetricInstrument, unretained */
} otel_shim_instrument_handle;
/* A floating-point value as an integer instrument stores it: toward zero,
 * clamped to int64_t's range (the caller has excluded NaN). */
static inline int64_t otel_shim_int64_toward_zero(double value) {
    if (value >= 0x1p63) return INT64_MAX;
    if (value < -0x1p63) return INT64_MIN;
    return (int64_t)value;
}
/* Whether the instrument takes negative values: counters and histograms do
 * not (metrics API, "Counter.Add", "Histogram.Record"). */
static inline bool otel_shim_instrument_takes_negatives(const otel_shim_instrument_handle *handle) {
    return handle->kind != OTEL_SHIM_METRIC_COUNTER && handle->kind != OTEL_SHIM_METRIC_HISTOGRAM;
}
/* True for the instrument's first record only (the one that starts the reader). */
bool otel_shim_instrument_first_record(otel_shim_instrument_handle *handle);
/* OTelCore: starts the reader of `swift_instrument`'s provider (its first record). */
void otel_core_instrument_start_reader(void *swift_instrument);
/* OTelCore: warns, once per instrument, that a counter or histogram was given a negative value. */
void otel_core_instrument_rejected_negative(void *swift_instrument);
/* Calls `visit` for each cell recorded into (since its last reset), shard by
 * shard under the shard's lock; `reset` (delta temporality) empties each
 * cell after its visit. */
void otel_shim_metric_collect(otel_shim_metric_storage *storage, bool reset, void *context,
                              void (*visit)(void *context, const otel_shim_metric_cell *cell));

/* ---- attributes kept as bytes (attribute_log.c) ----------------------- */

/* The attributes a plugin sets on a recording span, copied as bytes in the
 * order they were set: the thread that sets them (a server's, handling a
 * request) makes no Swift string; the SDK turns them into attributes when
 * the span is read, on the export thread for an exported span. */
typedef struct otel_shim_attribute_log {
    uint8_t *bytes;
    size_t length;
    size_t capacity;
    size_t count; /* attributes kept */
    size_t described; /* otel_span_set_described's entries not yet made attributes (not in `count`) */
} otel_shim_attribute_log;
/* Appends `attributes` (those without a key skipped); false, appending
 * nothing, when one is not a string, bool, integer or double (an array: the
 * SDK converts those itself), when there are more than 32, or when memory ran out. */
bool otel_shim_attribute_log_append(otel_shim_attribute_log *log, const otel_attribute *attributes, size_t count);
/* Appends one string attribute of `length` bytes; false when memory ran out. */
bool otel_shim_attribute_log_append_string(otel_shim_attribute_log *log, const char *key, const char *value, size_t length);
/* Appends what `describe` will make of a copy of `length` bytes
 * (otel_span_set_described); false when memory ran out. */
bool otel_shim_attribute_log_append_described(otel_shim_attribute_log *log, otel_span_describer describe, const void *bytes,
                                              size_t length);
/* Makes every described entry the attributes its describer emits, in its
 * place. A log is settled before anything reads it (RecordingSpan's
 * init(record:), the only way a record's log is read). Without memory, what
 * does not fit is lost. */
void otel_shim_attribute_log_settle(otel_shim_attribute_log *log);
/* One attribute read back: key and string value NUL-terminated in the log. */
typedef struct otel_shim_logged_attribute {
    const char *key;
    size_t key_length;
    const void *key_address; /* where the plugin's key was: the SDK's key cache slot */
    uint8_t type;            /* an otel_attribute_type */
    const char *string_value;
    size_t string_length;
    union {
        int64_t int_value; /* a bool as 0 or 1 */
        double double_value;
    } scalar;
} otel_shim_logged_attribute;
/* The attribute at `*offset` (start at 0), moving `*offset` past it; false after the last. */
bool otel_shim_attribute_log_next(const otel_shim_attribute_log *log, size_t *offset, otel_shim_logged_attribute *out);
/* Frees the bytes; the log is empty again. */
void otel_shim_attribute_log_clear(otel_shim_attribute_log *log);
/* Writes a settled log's attributes as OTLP KeyValue messages (common.proto)
 * in the length-delimited protobuf field `field` (1 to 15) at `out`, which
 * has room for the log's `length` bytes (no more are written), with the
 * bytes written in `*written`: exactly what converting the attributes and
 * encoding them would write. False, when the log does not read as it is
 * written (more than 64 attributes, a key empty or set twice, a key or
 * string that is not ASCII, an entry not yet settled): the caller converts
 * it instead, and what was written at `out` counts for nothing. */
bool otel_shim_attribute_log_encode(const otel_shim_attribute_log *log, unsigned field, uint8_t *out, size_t *written);

/* ---- the span fast path (span_fast_path.c) --------------------------- */

/* otel_span_start/otel_span_end are implemented in C: a span that a built-in
 * sampler drops is decided and filled here, without entering Swift (the
 * ≤ 10 ns budget of a wrapped call, issue 4); every other span goes to the
 * SDK through the otel_core_*_slow functions. */

/* The calling thread's current span context as C reads it; OTelCore writes
 * it whenever the thread's current context changes. Zero: no current span. */
enum {
    OTEL_SHIM_CURRENT_NONE = 0,   /* a new span starts a new trace */
    OTEL_SHIM_CURRENT_SIMPLE = 1, /* a valid span context without trace state */
    OTEL_SHIM_CURRENT_OTHER = 2,  /* anything else: the SDK decides */
};
typedef struct otel_shim_current_span {
    uint8_t state;
    uint8_t trace_flags;
    uint8_t is_remote;
    uint64_t trace_id_high;
    uint64_t trace_id_low;
    uint64_t span_id;
} otel_shim_current_span;
extern __thread otel_shim_current_span otel_shim_tls_current_span __attribute__((tls_model("initial-exec")));

/* Records the calling thread's current span context (OTelCore's ThreadState). */
static inline void otel_shim_set_current_span(uint8_t state, uint8_t trace_flags, uint8_t is_remote,
                                              uint64_t trace_id_high, uint64_t trace_id_low, uint64_t span_id) {
    otel_shim_current_span *current = &otel_shim_tls_current_span;
    current->state = state;
    current->trace_flags = trace_flags;
    current->is_remote = is_remote;
    current->trace_id_high = trace_id_high;
    current->trace_id_low = trace_id_low;
    current->span_id = span_id;
}

/* Spans made current from C (current_frames.c): otel_span_make_current of
 * a span whose Swift form would be its bare context (one recorded in C, or
 * one that records nothing and has no trace state) pushes a frame here, above
 * OTelCore's context stack, and otel_context_restore pops it: a request's
 * span made current and restored calls no Swift. OTelCore takes the frames
 * onto its own stack (ThreadState.takeCurrentFrames) before anything that
 * reads or changes the thread's context there; tokens are the depths the
 * SDK would have given, so either side restores the other's. */
#define OTEL_SHIM_CURRENT_FRAMES_MAX 8
typedef struct otel_shim_current_frames {
    uint32_t count;     /* frames held here */
    uint32_t sdk_depth; /* the depth of OTelCore's stack, below them (written by OTelCore) */
    otel_shim_current_span below[OTEL_SHIM_CURRENT_FRAMES_MAX]; /* what each frame's push replaced */
} otel_shim_current_frames;
extern __thread otel_shim_current_frames otel_shim_tls_current_frames __attribute__((tls_model("initial-exec")));

/* The calling thread's frames (for OTelCore). */
static inline otel_shim_current_frames *otel_shim_thread_current_frames(void) { return &otel_shim_tls_current_frames; }
/* The span context of the calling thread's frame `index` (below its count). */
otel_shim_current_span otel_shim_current_frame(uint32_t index);

/* OTelCore: the C API's make-current and restore for what C's frames do not hold. */
otel_context_token otel_core_span_make_current_slow(const otel_span *span);
void otel_core_context_restore_slow(otel_context_token token);

/* The process's default parent (OTelCore's ProcessContext): what a span
 * started on a thread with nothing current continues, unless it is an entry
 * span (SERVER, CONSUMER). The process span, or the context the process was
 * started with (TRACEPARENT); state NONE when neither. Written once, before
 * the program's threads exist. */
extern otel_shim_current_span otel_shim_process_parent;
static inline void otel_shim_set_process_parent(uint8_t state, uint8_t trace_flags, uint8_t is_remote,
                                                uint64_t trace_id_high, uint64_t trace_id_low, uint64_t span_id) {
    otel_shim_process_parent = (otel_shim_current_span){state, trace_flags, is_remote, trace_id_high, trace_id_low, span_id};
}

/* The span context a span started now on this thread with an implicit
 * parent would continue: the thread's current one, else the process's
 * default (none for an entry span). */
static inline const otel_shim_current_span *otel_shim_implicit_parent(bool entry) {
    const otel_shim_current_span *current = &otel_shim_tls_current_span;
    if (current->state != OTEL_SHIM_CURRENT_NONE || entry) return current;
    return &otel_shim_process_parent;
}

/* Writes the W3C traceparent of the calling thread's implicit parent
 * (W3C trace-context §3.2: version 00) into `out` (56 bytes: 55 and a NUL);
 * false when there is no valid span context. Reads only this thread's
 * mirror and the process default: no lock, no allocation, so it is safe in
 * a vfork child. */
bool otel_shim_current_traceparent(char out[56]);

/* A built-in sampler as data (the C twin of OTelCore's SamplingPlan). */
enum {
    OTEL_SHIM_LEAF_OTHER = 0, /* the SDK asks the sampler */
    OTEL_SHIM_LEAF_ALWAYS_ON = 1,
    OTEL_SHIM_LEAF_ALWAYS_OFF = 2,
    OTEL_SHIM_LEAF_RATIO = 3,
};
typedef struct otel_shim_sampling_leaf {
    uint8_t kind;
    uint64_t threshold; /* OTEL_SHIM_LEAF_RATIO: sampled when the low 56 bits are >= this */
} otel_shim_sampling_leaf;
typedef struct otel_shim_span_plan {
    bool built_in_ids; /* false: ids come from a plugin, the SDK calls it */
    bool parent_based;
    otel_shim_sampling_leaf root; /* the sampler itself when not parent_based */
    otel_shim_sampling_leaf remote_sampled;
    otel_shim_sampling_leaf remote_not_sampled;
    otel_shim_sampling_leaf local_sampled;
    otel_shim_sampling_leaf local_not_sampled;
    /* Where spans recorded in C go when they end (the TracerProvider,
     * unretained; see span_record.c); NULL: every sampled span is the SDK's.
     * Read and written atomically (otel_shim_span_plan_record_sink). */
    void *record_sink;
} otel_shim_span_plan;

/* The provider that takes the plan's spans recorded in C, or NULL. */
static inline void *otel_shim_span_plan_record_sink(const otel_shim_span_plan *plan) {
    return __atomic_load_n(&((otel_shim_span_plan *)plan)->record_sink, __ATOMIC_ACQUIRE);
}
static inline void otel_shim_span_plan_set_record_sink(otel_shim_span_plan *plan, void *sink) {
    __atomic_store_n(&plan->record_sink, sink, __ATOMIC_RELEASE);
}

/* What an otel_tracer * points to (otel_tracer stays opaque in the public
 * header): the plan of its provider and the Swift tracer. Owned by the
 * tracer; tracers live as long as their provider. */
typedef struct otel_shim_tracer_handle {
    const otel_shim_span_plan *plan;
    void *swift_tracer;
} otel_shim_tracer_handle;

/* The handle of the installed SDK's own tracer (what a NULL otel_tracer *
 * means), or NULL without an SDK. Set by OTelCore when it installs an SDK. */
extern void *otel_shim_default_tracer;
static inline void otel_shim_set_default_tracer(void *handle) {
    __atomic_store_n(&otel_shim_default_tracer, handle, __ATOMIC_RELEASE);
}

/* The root context's handle (what otel_context_root returns), so that a
 * span started with it as parent, a new trace, takes the fast path too.
 * Set by OTelCore when it first hands the root context out. */
extern const void *otel_shim_root_context;
static inline void otel_shim_set_root_context(const void *root) {
    __atomic_store_n(&otel_shim_root_context, root, __ATOMIC_RELEASE);
}

/* The fast path for a span whose parent is the calling thread's current
 * span, for Swift callers: true when `tracer`'s built-in sampler drops it,
 * with `out` filled (no `impl`). False otherwise; then `trace_id` holds the
 * id C drew for a new trace ({0, 0} when the span continues one), which the
 * SDK must use so that its decision is about the same id. */
bool otel_shim_start_dropped(const otel_tracer *tracer, otel_span_kind kind, otel_span *out, uint64_t trace_id[2]);

/* The SDK's span start and end (OTelCore), for the spans C does not decide.
 * A non-zero trace id is the one C made for a new trace (built-in ids). */
void otel_core_span_start_slow(otel_tracer *tracer, const char *name, otel_span_kind kind,
                               const otel_context *parent, uint64_t start_time_ns,
                               uint64_t trace_id_high, uint64_t trace_id_low, otel_span *out);
void otel_core_span_end_slow(otel_span *span, uint64_t end_time_ns);
/* The root context from OTelCore, which then keeps it in otel_shim_root_context. */
const otel_context *otel_core_context_root_slow(void);

/* ---- spans recorded in C (span_record.c) ----------------------------- */

/* A sampled span started through the C API whose sampler, ids and processors
 * the SDK has handed to C (its plan's record_sink): the thread that runs it
 * (a server's, handling a request) records it here, in C, and OTelCore makes
 * the SDK's span of it when it has ended, on the export thread when spans are
 * batched. What C does not record (events, links, an array attribute) first
 * turns it into the SDK's span (otel_core_span_record_promote). */
typedef struct otel_shim_span_record {
    const otel_shim_tracer_handle *tracer;
    uint64_t trace_id_high;
    uint64_t trace_id_low;
    uint64_t span_id;
    uint64_t parent_span_id; /* 0: a root span (same trace id otherwise) */
    uint64_t start_time_ns;
    uint64_t end_time_ns;    /* 0 while it runs */
    uint8_t trace_flags;
    uint8_t parent_trace_flags;
    uint8_t parent_is_remote;
    uint8_t kind;            /* an otel_span_kind */
    uint8_t status_code;     /* an otel_status_code */
    bool busy;               /* the record's lock: the span's functions may run on several threads at once */
    void *promoted;          /* once promoted: the SDK's retained RecordingSpan, which records from then on */
    char *status_description; /* ERROR's description (malloc), or NULL */
    char *name;              /* NUL-terminated: name_inline, or malloc'd when longer */
    otel_shim_attribute_log attributes;
    char name_inline[32];
} otel_shim_span_record;

/* What an otel_span's `impl` holds, told by its two low bits (every object
 * behind it is aligned to 16 bytes). */
enum {
    OTEL_SHIM_SPAN_IMPL_RECORDER = 0,    /* the SDK's retained RecordingSpan */
    OTEL_SHIM_SPAN_IMPL_TRACE_STATE = 1, /* a non-recording span's retained trace state */
    OTEL_SHIM_SPAN_IMPL_RECORD = 2,      /* an otel_shim_span_record */
    OTEL_SHIM_SPAN_IMPL_TAGS = 3,
};

/* The record behind `span`, or NULL when it has none. */
static inline otel_shim_span_record *otel_shim_span_record_of(const otel_span *span) {
    uintptr_t bits = span ? (uintptr_t)span->impl : 0;
    return (bits & OTEL_SHIM_SPAN_IMPL_TAGS) == OTEL_SHIM_SPAN_IMPL_RECORD && bits != OTEL_SHIM_SPAN_IMPL_RECORD
        ? (otel_shim_span_record *)(bits & ~(uintptr_t)OTEL_SHIM_SPAN_IMPL_TAGS) : NULL;
}

/* Starts a record for a span C's fast path sampled (`span`: its identity,
 * filled; `parent`: NULL for a root span); false, changing nothing, when
 * there is no memory. */
bool otel_shim_span_record_start(const otel_tracer *tracer, const char *name, otel_span_kind kind,
                                 const otel_shim_current_span *parent, uint64_t start_time_ns, otel_span *span);
/* Ends `span`'s record at `end_time_ns` (0: now) and hands it to its sink
 * (or frees it after the provider shut down); `span` holds nothing after. */
void otel_shim_span_record_end(otel_span *span, otel_shim_span_record *record, uint64_t end_time_ns);
/* Frees a record and what it holds (the record may wait in a pool for another span). */
void otel_shim_span_record_free(otel_shim_span_record *record);
/* In a forked child: the locks of the pools of records and of log buffers,
 * which a parent thread may have held. */
void otel_shim_span_record_pool_after_fork(void);
void otel_shim_attribute_log_pool_after_fork(void);

/* Makes sure `record` is promoted (its `promoted` recorder set): what the
 * SDK records from then on, the span's attributes so far moved into it. */
void otel_shim_span_record_promote(otel_shim_span_record *record);

/* OTelCore: takes an ended record (`sink`: its provider); the record is OTelCore's from then on. */
void otel_core_span_record_ended(void *sink, otel_shim_span_record *record);
/* OTelCore: the SDK's recording span made of `record` (retained), its attributes moved into it. */
void *otel_core_span_record_promote(otel_shim_span_record *record);
/* OTelCore: the C API's span functions for the spans that are not records
 * (otel_span_* in span_record.c answer for records, then call these). */
bool otel_core_span_is_recording_slow(const otel_span *span);
void otel_core_span_set_string_slow(otel_span *span, const char *key, const char *value, size_t length);
void otel_core_span_set_attributes_slow(otel_span *span, const otel_attribute *attributes, size_t count);
void otel_core_span_set_status_slow(otel_span *span, otel_status_code code, const char *description);
void otel_core_span_update_name_slow(otel_span *span, const char *name);

/* True when the process runs under secure execution (setuid, setgid,
 * capabilities: getauxval(AT_SECURE)); the runtime then loads nothing. */
bool otel_shim_is_secure_execution(void);

/* A setting: the environment's value of `name` (read from the environment
 * block itself, not through getenv, which programs such as bash replace),
 * else a distro's default; NULL when neither (an empty value counts as unset). */
const char *otel_shim_config_get(const char *name);
/* Records a default for `name`, used only where the environment has no value.
 * The program's environment is never modified. */
void otel_shim_config_set_default(const char *name, const char *value);

/* The path of the loaded object containing `address` (dladdr), copied into
 * `buffer`; false when unknown or too long. */
bool otel_shim_object_path(const void *address, char *buffer, size_t size);

/* The path of a loaded object whose file name is `soname` or starts with
 * `soname` followed by '.' (libsqlite3.so.0 matches libsqlite3.so.0.8.6),
 * copied into `buffer`; false when none is loaded. Touches no file. */
bool otel_shim_loaded_object(const char *soname, char *buffer, size_t size);

/* ---- clocks and errno ---------------------------------------------------- */

static inline uint64_t otel_shim_realtime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t otel_shim_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline int otel_shim_get_errno(void) { return errno; }
static inline void otel_shim_set_errno(int value) { errno = value; }

#ifdef __cplusplus
}
#endif
#endif
