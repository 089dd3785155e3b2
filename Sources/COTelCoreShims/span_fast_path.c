/* otel_span_start/otel_span_end: spans a built-in sampler drops are decided
 * and filled here; the SDK (OTelCore) does the rest. */
#include "otel_core_shims.h"

__thread otel_shim_current_span otel_shim_tls_current_span __attribute__((tls_model("initial-exec")));
void *otel_shim_default_tracer;
const void *otel_shim_root_context;
otel_shim_current_span otel_shim_process_parent;

/* Entry spans begin a unit of work that arrives from outside (a request, a
 * message): they continue what their caller sent, never the process span. */
static inline bool is_entry(otel_span_kind kind) {
    return kind == OTEL_SPAN_KIND_SERVER || kind == OTEL_SPAN_KIND_CONSUMER;
}

bool otel_shim_current_traceparent(char out[56]) {
    const otel_shim_current_span *current = otel_shim_implicit_parent(false);
    if (current->state == OTEL_SHIM_CURRENT_NONE) return false;
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    *p++ = '0'; *p++ = '0'; *p++ = '-';
    uint64_t words[3] = {current->trace_id_high, current->trace_id_low, current->span_id};
    for (int w = 0; w < 3; w++) {
        for (int shift = 60; shift >= 0; shift -= 4) *p++ = hex[(words[w] >> shift) & 0xf];
        if (w > 0) *p++ = '-'; /* the trace id is both high and low words */
    }
    *p++ = hex[current->trace_flags >> 4 & 0xf];
    *p++ = hex[current->trace_flags & 0xf];
    *p = '\0';
    return true;
}

/* A new non-zero span id (W3C trace-context §3.2.2.4: all zeroes is invalid). */
static inline uint64_t new_span_id(otel_shim_rng *rng) {
    uint64_t id;
    do id = otel_shim_rng_next(rng); while (id == 0);
    return id;
}

/* True when `leaf` certainly drops a span of trace `trace_id_low`; false
 * when it samples or only the SDK can tell. */
static inline bool leaf_drops(const otel_shim_sampling_leaf *leaf, uint64_t trace_id_low) {
    switch (leaf->kind) {
    case OTEL_SHIM_LEAF_ALWAYS_OFF: return true;
    /* TraceIdRatioBased, trace SDK "Sampling": the 56 low bits against the threshold. */
    case OTEL_SHIM_LEAF_RATIO: return (trace_id_low & 0x00FFFFFFFFFFFFFFull) < leaf->threshold;
    default: return false;
    }
}

/* What C's fast path made of a span. */
typedef enum fast_decision {
    FAST_DROPPED, /* a built-in sampler dropped it: `out` is filled */
    FAST_SAMPLED, /* a built-in sampler sampled it: `out` holds its identity, `parent` its parent (NULL: a root) */
    FAST_NONE,    /* the SDK decides (a new trace's id, if C made one, in `trace_id`) */
} fast_decision;

/* Decides a span from C alone when the plan allows. A new trace's id is
 * left in `trace_id` when the SDK decides, whose decision must be about the
 * same id. */
static inline __attribute__((always_inline)) fast_decision decide(const otel_tracer *tracer, otel_span_kind kind, const otel_context *parent_context,
                                                                 otel_span *out, uint64_t trace_id[2], const otel_shim_current_span **parent) {
    /* The parent is the implicit one (the thread's current span, else the
     * process's), or (the root context) none: a new trace. */
    static const otel_shim_current_span no_parent = {.state = OTEL_SHIM_CURRENT_NONE};
    if (!tracer || (parent_context && (const void *)parent_context != __atomic_load_n(&otel_shim_root_context, __ATOMIC_RELAXED)))
        return FAST_NONE;
    const otel_shim_span_plan *plan = ((const otel_shim_tracer_handle *)tracer)->plan;
    if (!plan || !plan->built_in_ids) return FAST_NONE;
    const otel_shim_current_span *current = parent_context ? &no_parent : otel_shim_implicit_parent(is_entry(kind));
    const otel_shim_sampling_leaf *leaf;
    uint64_t high, low;
    uint8_t flags;
    switch (current->state) {
    case OTEL_SHIM_CURRENT_NONE:
        leaf = &plan->root;
        if (leaf->kind == OTEL_SHIM_LEAF_OTHER) return FAST_NONE;
        flags = OTEL_TRACE_FLAG_RANDOM; /* W3C trace-context Level 2 §3.2.2.5.2: our trace ids are random */
        high = low = 0;
        break;
    case OTEL_SHIM_CURRENT_SIMPLE:
        high = current->trace_id_high;
        low = current->trace_id_low;
        flags = current->trace_flags & OTEL_TRACE_FLAG_RANDOM;
        if (!plan->parent_based) {
            leaf = &plan->root;
        } else {
            bool sampled = current->trace_flags & OTEL_TRACE_FLAG_SAMPLED;
            leaf = current->is_remote ? (sampled ? &plan->remote_sampled : &plan->remote_not_sampled)
                                      : (sampled ? &plan->local_sampled : &plan->local_not_sampled);
        }
        if (leaf->kind == OTEL_SHIM_LEAF_OTHER) return FAST_NONE;
        break;
    default:
        return FAST_NONE;
    }
    otel_shim_rng *rng = otel_shim_thread_rng();
    otel_shim_rng next = *rng; /* drawn from in registers, stored back once */
    if (current->state == OTEL_SHIM_CURRENT_NONE) {
        do { high = otel_shim_rng_next(&next); low = otel_shim_rng_next(&next); } while ((high | low) == 0);
    }
    bool dropped = leaf_drops(leaf, low);
    if (!dropped) { /* a new trace's id, for the SDK should it record the span */
        trace_id[0] = current->state == OTEL_SHIM_CURRENT_NONE ? high : 0;
        trace_id[1] = current->state == OTEL_SHIM_CURRENT_NONE ? low : 0;
        if (!otel_shim_span_plan_record_sink(plan)) { /* its processors want to see the start, or it has shut down */
            *rng = next;
            return FAST_NONE;
        }
    }
    uint64_t span_id = new_span_id(&next);
    *rng = next;
    *out = (otel_span){.impl = NULL, .trace_id_high = high, .trace_id_low = low, .span_id = span_id,
                       .trace_flags = dropped ? flags : flags | OTEL_TRACE_FLAG_SAMPLED, .is_remote = 0};
    if (dropped) return FAST_DROPPED;
    *parent = current->state == OTEL_SHIM_CURRENT_NONE ? NULL : current;
    return FAST_SAMPLED;
}

bool otel_shim_start_dropped(const otel_tracer *tracer, otel_span_kind kind, otel_span *out, uint64_t trace_id[2]) {
    const otel_shim_current_span *parent;
    switch (decide(tracer, kind, NULL, out, trace_id, &parent)) {
    case FAST_DROPPED: return true;
    case FAST_SAMPLED: *out = (otel_span){0}; return false; /* a Swift caller's span is the SDK's, on the same trace id */
    default: return false;
    }
}

/* A span C sampled, recorded in C; the SDK's when there is no memory for a record. */
static __attribute__((noinline)) void start_sampled(otel_tracer *tracer, const char *name, otel_span_kind kind, const otel_context *parent_context,
                                                    const otel_shim_current_span *parent, uint64_t start_time_ns, uint64_t trace_id[2], otel_span *out) {
    if (otel_shim_span_record_start(tracer, name, kind, parent, start_time_ns, out)) return;
    otel_core_span_start_slow(tracer, name, kind, parent_context, start_time_ns, trace_id[0], trace_id[1], out);
}

/* The body of otel_span_start(_at), inlined into both. */
static OTEL_SHIM_HOT inline void start_span(otel_tracer *tracer, const char *name, otel_span_kind kind,
                              const otel_context *parent_context, uint64_t start_time_ns, otel_span *out) {
    if (!out) return;
    if (!tracer) tracer = __atomic_load_n(&otel_shim_default_tracer, __ATOMIC_ACQUIRE);
    uint64_t trace_id[2] = {0, 0};
    const otel_shim_current_span *parent = NULL;
    fast_decision decision = decide(tracer, kind, parent_context, out, trace_id, &parent);
    if (decision == FAST_DROPPED) return;
    if (decision == FAST_SAMPLED) return start_sampled(tracer, name, kind, parent_context, parent, start_time_ns, trace_id, out);
    otel_core_span_start_slow(tracer, name, kind, parent_context, start_time_ns, trace_id[0], trace_id[1], out);
}

/* The body of otel_span_end(_at), inlined into both. */
static OTEL_SHIM_HOT inline void end_span(otel_span *span, uint64_t end_time_ns) {
    /* A span without `impl` records nothing and holds nothing. */
    if (!span || !span->impl) return;
    otel_shim_span_record *record = otel_shim_span_record_of(span);
    if (record) return otel_shim_span_record_end(span, record, end_time_ns);
    otel_core_span_end_slow(span, end_time_ns);
}

OTEL_SHIM_HOT void otel_span_start(otel_tracer *tracer, const char *name, otel_span_kind kind,
                     const otel_context *parent, otel_span *out) {
    start_span(tracer, name, kind, parent, 0, out);
}

OTEL_SHIM_HOT void otel_span_start_at(otel_tracer *tracer, const char *name, otel_span_kind kind,
                        const otel_context *parent, uint64_t start_time_ns, otel_span *out) {
    start_span(tracer, name, kind, parent, start_time_ns, out);
}

/* The root context is one object for the process's life: once OTelCore has
 * handed it out, C answers (no Swift call per request). */
OTEL_SHIM_HOT const otel_context *otel_context_root(void) {
    const void *root = __atomic_load_n(&otel_shim_root_context, __ATOMIC_ACQUIRE);
    return root ? (const otel_context *)root : otel_core_context_root_slow();
}

OTEL_SHIM_HOT void otel_span_end(otel_span *span) { end_span(span, 0); }

OTEL_SHIM_HOT void otel_span_end_at(otel_span *span, uint64_t end_time_ns) { end_span(span, end_time_ns); }
