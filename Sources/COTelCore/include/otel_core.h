/* otel_core.h: the C API of the otel-native core SDK.
 *
 * Plugins and C programs start spans, set attributes, make spans current and
 * propagate context through these functions. Every symbol is prefixed otel_:
 * whatever a preloaded object exports interposes on the whole process.
 *
 * Cost model: starting and ending a span that is not sampled allocates
 * nothing and takes no lock. Every started span must be ended exactly once. */
#ifndef OTEL_CORE_H
#define OTEL_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Span kinds, numbered as in the OTLP protocol minus one. */
typedef enum otel_span_kind {
    OTEL_SPAN_KIND_INTERNAL = 0,
    OTEL_SPAN_KIND_SERVER = 1,
    OTEL_SPAN_KIND_CLIENT = 2,
    OTEL_SPAN_KIND_PRODUCER = 3,
    OTEL_SPAN_KIND_CONSUMER = 4,
} otel_span_kind;

/** Span status codes (trace API, "Set Status"). */
typedef enum otel_status_code {
    OTEL_STATUS_UNSET = 0,
    OTEL_STATUS_OK = 1,
    OTEL_STATUS_ERROR = 2,
} otel_status_code;

/** W3C trace-flags bits. */
enum {
    OTEL_TRACE_FLAG_SAMPLED = 0x01,
    OTEL_TRACE_FLAG_RANDOM = 0x02,
};

/** A started span, filled in by otel_span_start. Its identity fields may be
 * read freely; `impl` is owned by the core until otel_span_end. A span whose
 * `impl` is NULL (one a sampler dropped) holds nothing: ending it does nothing. */
typedef struct otel_span {
    void *impl;
    uint64_t trace_id_high;
    uint64_t trace_id_low;
    uint64_t span_id;
    uint8_t trace_flags;
    uint8_t is_remote;
    uint8_t reserved[6];
} otel_span;

/** Attribute value types. */
typedef enum otel_attribute_type {
    OTEL_ATTRIBUTE_STRING = 0,
    OTEL_ATTRIBUTE_BOOL = 1,
    OTEL_ATTRIBUTE_INT = 2,
    OTEL_ATTRIBUTE_DOUBLE = 3,
    OTEL_ATTRIBUTE_STRING_ARRAY = 4,
    OTEL_ATTRIBUTE_BOOL_ARRAY = 5,
    OTEL_ATTRIBUTE_INT_ARRAY = 6,
    OTEL_ATTRIBUTE_DOUBLE_ARRAY = 7,
} otel_attribute_type;

/** One typed attribute. Strings are NUL-terminated UTF-8; arrays point to
 * `count` elements of `const char *`, `bool`, `int64_t` or `double`. */
typedef struct otel_attribute {
    const char *key;
    otel_attribute_type type;
    union {
        const char *string_value;
        bool bool_value;
        int64_t int_value;
        double double_value;
        struct {
            const void *values;
            size_t count;
        } array;
    } value;
} otel_attribute;

/** A string attribute; neither key nor value is copied until it is passed on. */
static inline otel_attribute otel_attribute_string(const char *key, const char *value) {
    otel_attribute attribute = {.key = key, .type = OTEL_ATTRIBUTE_STRING};
    attribute.value.string_value = value;
    return attribute;
}

/** An integer attribute. */
static inline otel_attribute otel_attribute_int(const char *key, int64_t value) {
    otel_attribute attribute = {.key = key, .type = OTEL_ATTRIBUTE_INT};
    attribute.value.int_value = value;
    return attribute;
}

/** An opaque, reference-counted context (span and baggage). */
typedef struct otel_context otel_context;

/** An opaque tracer: one per instrumentation scope; never freed. */
typedef struct otel_tracer otel_tracer;

/** A token returned by attach/make-current; pass it back to restore. */
typedef uint64_t otel_context_token;

/** A text-map carrier driven by callbacks (HTTP headers, environment, ...).
 * `get` returns the value for a key or NULL; `set` stores a value. Either
 * may be NULL when only the other direction is used. */
typedef struct otel_carrier {
    void *user;
    const char *(*get)(void *user, const char *key);
    void (*set)(void *user, const char *key, const char *value);
} otel_carrier;

/* ---- tracers and spans ------------------------------------------------ */

/** The tracer for an instrumentation scope; version and schema_url may be NULL. */
otel_tracer *otel_tracer_get(const char *name, const char *version, const char *schema_url);

/** Starts a span. `parent` NULL means the calling thread's current context;
 * otel_context_root() starts a new trace. `tracer` NULL uses the core's own. */
void otel_span_start(otel_tracer *tracer, const char *name, otel_span_kind kind,
                     const otel_context *parent, otel_span *out);

/** Like otel_span_start with an explicit start time in ns since the epoch. */
void otel_span_start_at(otel_tracer *tracer, const char *name, otel_span_kind kind,
                        const otel_context *parent, uint64_t start_time_ns, otel_span *out);

/** True when the span records attributes, events and status. */
bool otel_span_is_recording(const otel_span *span);

void otel_span_set_string(otel_span *span, const char *key, const char *value);
/** Sets a string attribute of `length` bytes (not NUL-terminated). */
void otel_span_set_string_n(otel_span *span, const char *key, const char *value, size_t length);
void otel_span_set_bool(otel_span *span, const char *key, bool value);
void otel_span_set_int(otel_span *span, const char *key, int64_t value);
void otel_span_set_double(otel_span *span, const char *key, double value);
/** Sets any number of typed attributes, arrays included. */
void otel_span_set_attributes(otel_span *span, const otel_attribute *attributes, size_t count);

/** Where an otel_span_describer's attributes go: strings, booleans, integers
 *  and doubles (arrays are dropped). */
typedef void (*otel_attributes_emit)(void *sink, const otel_attribute *attributes, size_t count);
/** Makes a span's attributes of bytes copied while it ran. Called once, on
 *  any thread, possibly after the span ended (for an exported span: on the
 *  export thread, with others): it reads `bytes` alone, calls `emit`, and
 *  calls nothing wrapped. Its code must stay loaded for the process's life. */
typedef void (*otel_span_describer)(const void *bytes, size_t length, otel_attributes_emit emit, void *sink);
/** Sets the attributes `describe` makes of a copy of the `length` bytes at
 *  `bytes`, in their place among the span's attributes as if set now, but
 *  made when the span is read: the calling thread copies bytes instead of
 *  formatting values (a server's thread, handling a request). Called at once
 *  for a span that is not recorded in C. Nothing for a span not recording. */
void otel_span_set_described(otel_span *span, otel_span_describer describe, const void *bytes, size_t length);

/** Adds an event at the current time. */
void otel_span_add_event(otel_span *span, const char *name,
                         const otel_attribute *attributes, size_t count);
/** Adds a link to another span's context. */
void otel_span_add_link(otel_span *span, const otel_span *linked,
                        const otel_attribute *attributes, size_t count);
/** Records an exception event (exception.type/message/stacktrace); any may be NULL. */
void otel_span_record_exception(otel_span *span, const char *type, const char *message,
                                const char *stacktrace);
/** Sets the status; the description is kept for ERROR only. */
void otel_span_set_status(otel_span *span, otel_status_code code, const char *description);
void otel_span_update_name(otel_span *span, const char *name);

/** Ends the span now and releases its handle. */
void otel_span_end(otel_span *span);
/** Ends the span at `end_time_ns` (ns since the epoch). */
void otel_span_end_at(otel_span *span, uint64_t end_time_ns);

/* ---- context ----------------------------------------------------------- */

/** Makes the span current on this thread; allocation-free. */
otel_context_token otel_span_make_current(const otel_span *span);
/** Attaches a context to this thread. */
otel_context_token otel_context_attach(const otel_context *context);
/** Restores what was current before the matching attach/make-current. */
void otel_context_restore(otel_context_token token);

/** The calling thread's current context (retained: release it). */
otel_context *otel_context_current(void);
/** The empty context: a parent that starts a new trace (not retained). */
const otel_context *otel_context_root(void);
/** `base` (NULL = current) with `span` as its span (retained). */
otel_context *otel_context_with_span(const otel_context *base, const otel_span *span);
void otel_context_release(otel_context *context);

/* ---- propagation (OTEL_PROPAGATORS) -------------------------------------- */

/** Writes `context` (NULL = current) into the carrier with the configured propagators. */
void otel_propagation_inject(const otel_context *context, const otel_carrier *carrier);
/** Reads the carrier into a new context based on `base` (NULL = current); retained. */
otel_context *otel_propagation_extract(const otel_context *base, const otel_carrier *carrier);

/* ---- metrics ------------------------------------------------------------- */

/** An opaque meter: one per instrumentation scope; never freed. */
typedef struct otel_meter otel_meter;
/** An opaque instrument; lives as long as the process. */
typedef struct otel_instrument otel_instrument;

/** The kinds of synchronous instrument (metrics API, "Instrument"). */
typedef enum otel_instrument_kind {
    OTEL_INSTRUMENT_COUNTER = 0,         /**< a sum that only grows: record adds (negative values are dropped) */
    OTEL_INSTRUMENT_UP_DOWN_COUNTER = 1, /**< a sum: record adds */
    OTEL_INSTRUMENT_HISTOGRAM = 2,       /**< a distribution in explicit buckets (negative values are dropped) */
    OTEL_INSTRUMENT_GAUGE = 3,           /**< the last value recorded */
} otel_instrument_kind;

/** The meter of an instrumentation scope, or NULL when the SDK is off. */
otel_meter *otel_meter_get(const char *name, const char *version, const char *schema_url);
/** An instrument of `meter` (the existing one when an identical one exists),
 *  or NULL for a NULL meter. `is_double`: floating-point values, else
 *  integers. `boundaries`: a histogram's advisory bucket boundaries
 *  (ascending; NULL for the default ones). Fetch instruments once. */
otel_instrument *otel_instrument_create(otel_meter *meter, otel_instrument_kind kind, bool is_double, const char *name,
                                        const char *unit, const char *description, const double *boundaries,
                                        size_t boundary_count);
/** Whether recording into `instrument` does anything (metrics API,
 *  "Enabled"): false without a metric exporter. Lets a wrapper skip timing. */
bool otel_instrument_enabled(const otel_instrument *instrument);
/** Records a value (a counter's increment, a histogram's measurement, a
 *  gauge's value) with its attributes. Threads recording at once do not wait
 *  for each other; a NULL instrument does nothing. */
void otel_instrument_record_int(otel_instrument *instrument, int64_t value, const otel_attribute *attributes, size_t count);
void otel_instrument_record_double(otel_instrument *instrument, double value, const otel_attribute *attributes, size_t count);

/** An attribute set made once and recorded with many times (as OpenTelemetry
 *  Go's attribute.Set and metric.WithAttributeSet): its canonical form is
 *  built when it is made, not at every record, which is most of a record's
 *  cost. Immutable; any thread may record with it. NULL when out of memory. */
typedef struct otel_attribute_set otel_attribute_set;
otel_attribute_set *otel_attribute_set_create(const otel_attribute *attributes, size_t count);
/** Frees a set no record is using any more (NULL does nothing). */
void otel_attribute_set_release(otel_attribute_set *set);
/** Records as otel_instrument_record_int/_double with a set made above; a NULL set is the empty set. */
void otel_instrument_record_int_set(otel_instrument *instrument, int64_t value, const otel_attribute_set *set);
void otel_instrument_record_double_set(otel_instrument *instrument, double value, const otel_attribute_set *set);

/* ---- logs ---------------------------------------------------------------- */

/** An opaque logger: one per instrumentation scope; never freed. */
typedef struct otel_logger otel_logger;

/** The logger of an instrumentation scope, or NULL when the SDK is off. */
otel_logger *otel_logger_get(const char *name, const char *version, const char *schema_url);
/** Emits a log record now, in the calling thread's current span (trace
 *  correlation): `severity_number` 1–24 (TRACE 1, DEBUG 5, INFO 9, WARN 13,
 *  ERROR 17, FATAL 21; 0 unspecified), `severity_text` and `body` may be NULL.
 *  A NULL logger does nothing. */
void otel_log_emit(otel_logger *logger, int severity_number, const char *severity_text, const char *body,
                   const otel_attribute *attributes, size_t count);

/* ---- lifecycle ----------------------------------------------------------- */

/** Exports everything pending; waits at most `timeout_ms`. True on success. */
bool otel_force_flush(uint32_t timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
