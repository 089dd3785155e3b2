/* Sampled spans recorded in C (see otel_core_shims.h, "spans recorded in
 * C"), and the C API's span functions, which answer for such records and
 * leave every other span to the SDK. A record costs the thread that runs
 * the span one allocation and no Swift; OTelCore makes the SDK's span of it
 * once it has ended, on the export thread when spans are batched. */
#include "otel_core_shims.h"

#include <stdlib.h>
#include <string.h>

/* Ended records, most freed on the export thread, serve the next sampled
 * spans: at most a default batch of them wait (otel_shim_pool). */
static otel_shim_pool records = {.limit = 512};

void otel_shim_span_record_pool_after_fork(void) { records.locked = false; }

/* The record's lock: held for a few stores (or while it is promoted). */
static inline void lock(otel_shim_span_record *record) { otel_shim_spin_lock(&record->busy); }

static inline void unlock(otel_shim_span_record *record) { otel_shim_spin_unlock(&record->busy); }

/* Sets the record's name (NULL: empty); false, changing nothing, without memory. */
static bool set_name(otel_shim_span_record *record, const char *name) {
    size_t length = name ? strlen(name) : 0;
    char *storage = record->name_inline;
    if (length >= sizeof record->name_inline && !(storage = malloc(length + 1))) return false;
    if (length) memcpy(storage, name, length);
    storage[length] = '\0';
    if (record->name != record->name_inline) free(record->name);
    record->name = storage;
    return true;
}

bool otel_shim_span_record_start(const otel_tracer *tracer, const char *name, otel_span_kind kind,
                                 const otel_shim_current_span *parent, uint64_t start_time_ns, otel_span *span) {
    otel_shim_span_record *record = otel_shim_pool_take(&records);
    if (!record && !(record = malloc(sizeof *record))) return false;
    *record = (otel_shim_span_record){
        .tracer = (const otel_shim_tracer_handle *)tracer,
        .trace_id_high = span->trace_id_high,
        .trace_id_low = span->trace_id_low,
        .span_id = span->span_id,
        .parent_span_id = parent ? parent->span_id : 0,
        .start_time_ns = start_time_ns ? start_time_ns : otel_shim_realtime_ns(),
        .trace_flags = span->trace_flags,
        .parent_trace_flags = parent ? parent->trace_flags : 0,
        .parent_is_remote = parent ? parent->is_remote : 0,
        .kind = (uint8_t)kind,
        .name = record->name_inline,
    };
    if (!set_name(record, name)) {
        if (!otel_shim_pool_give(&records, record)) free(record);
        return false;
    }
    span->impl = (void *)((uintptr_t)record | OTEL_SHIM_SPAN_IMPL_RECORD);
    return true;
}

void otel_shim_span_record_free(otel_shim_span_record *record) {
    otel_shim_attribute_log_clear(&record->attributes);
    if (record->name != record->name_inline) free(record->name);
    free(record->status_description);
    if (!otel_shim_pool_give(&records, record)) free(record);
}

/* Under the record's lock. */
static void promote(otel_shim_span_record *record) {
    if (!record->promoted) record->promoted = otel_core_span_record_promote(record);
}

void otel_shim_span_record_promote(otel_shim_span_record *record) {
    lock(record);
    promote(record);
    unlock(record);
}

void otel_shim_span_record_end(otel_span *span, otel_shim_span_record *record, uint64_t end_time_ns) {
    lock(record);
    void *promoted = record->promoted;
    if (!promoted) {
        span->impl = NULL;
        /* trace SDK, "End": an end before the start is taken as the start; 0 means "not ended". */
        if (!end_time_ns) end_time_ns = otel_shim_realtime_ns();
        if (end_time_ns < record->start_time_ns) end_time_ns = record->start_time_ns;
        record->end_time_ns = end_time_ns ? end_time_ns : 1;
    }
    unlock(record);
    if (promoted) return otel_core_span_end_slow(span, end_time_ns); /* the SDK's span ends, the record is freed with it */
    void *sink = otel_shim_span_plan_record_sink(record->tracer->plan);
    if (sink) otel_core_span_record_ended(sink, record);
    else otel_shim_span_record_free(record); /* the provider has shut down: nothing more is exported */
}

/* ---- the C API's span functions ------------------------------------------ */

/* The record behind `span` locked, or NULL (not a record, or one promoted:
 * the SDK's then). */
static inline otel_shim_span_record *locked_record(const otel_span *span) {
    otel_shim_span_record *record = otel_shim_span_record_of(span);
    if (!record) return NULL;
    lock(record);
    if (!record->promoted) return record;
    unlock(record);
    return NULL;
}

/* Unlocks a record after its log was asked to take something: one that could
 * not (no memory, an array, more than a batch) is promoted first, so that the
 * SDK takes it instead. Returns `logged`. */
static inline bool unlock_logged(otel_shim_span_record *record, bool logged) {
    if (!logged) promote(record);
    unlock(record);
    return logged;
}

bool otel_span_is_recording(const otel_span *span) {
    if (!span || !span->impl) return false;
    otel_shim_span_record *record = otel_shim_span_record_of(span);
    if (record && !__atomic_load_n(&record->promoted, __ATOMIC_ACQUIRE)) return true; /* a handle holds a record until its end */
    return otel_core_span_is_recording_slow(span);
}

void otel_span_set_string_n(otel_span *span, const char *key, const char *value, size_t length) {
    if (!key || !value) return;
    otel_shim_span_record *record = locked_record(span);
    if (record && unlock_logged(record, otel_shim_attribute_log_append_string(&record->attributes, key, value, length))) return;
    otel_core_span_set_string_slow(span, key, value, length);
}

void otel_span_set_string(otel_span *span, const char *key, const char *value) {
    if (value) otel_span_set_string_n(span, key, value, strlen(value));
}

void otel_span_set_attributes(otel_span *span, const otel_attribute *attributes, size_t count) {
    if (!attributes || !count) return;
    otel_shim_span_record *record = locked_record(span);
    if (record && unlock_logged(record, otel_shim_attribute_log_append(&record->attributes, attributes, count))) return;
    otel_core_span_set_attributes_slow(span, attributes, count);
}

/* An otel_attributes_emit onto a span: arrays dropped, as the describer was promised. */
static void emit_onto_span(void *sink, const otel_attribute *attributes, size_t count) {
    for (size_t i = 0; attributes && i < count; i++)
        if (attributes[i].type <= OTEL_ATTRIBUTE_DOUBLE) otel_span_set_attributes(sink, &attributes[i], 1);
}

void otel_span_set_described(otel_span *span, otel_span_describer describe, const void *bytes, size_t length) {
    if (!describe || (!bytes && length)) return;
    otel_shim_span_record *record = locked_record(span);
    if (record && unlock_logged(record, otel_shim_attribute_log_append_described(&record->attributes, describe, bytes, length)))
        return;
    if (otel_span_is_recording(span)) describe(bytes, length, emit_onto_span, span); /* the SDK's span (a promoted record too): described now */
}

void otel_span_set_bool(otel_span *span, const char *key, bool value) {
    otel_attribute attribute = {.key = key, .type = OTEL_ATTRIBUTE_BOOL};
    attribute.value.bool_value = value;
    if (key) otel_span_set_attributes(span, &attribute, 1);
}

void otel_span_set_int(otel_span *span, const char *key, int64_t value) {
    otel_attribute attribute = otel_attribute_int(key, value);
    if (key) otel_span_set_attributes(span, &attribute, 1);
}

void otel_span_set_double(otel_span *span, const char *key, double value) {
    otel_attribute attribute = {.key = key, .type = OTEL_ATTRIBUTE_DOUBLE};
    attribute.value.double_value = value;
    if (key) otel_span_set_attributes(span, &attribute, 1);
}

void otel_span_set_status(otel_span *span, otel_status_code code, const char *description) {
    if (code > OTEL_STATUS_ERROR) return;
    otel_shim_span_record *record = locked_record(span);
    if (!record) return otel_core_span_set_status_slow(span, code, description);
    /* trace API, "Set Status": OK is final, UNSET never overrides; the
     * description is kept for ERROR only. */
    if (record->status_code != OTEL_STATUS_OK && code != OTEL_STATUS_UNSET) {
        record->status_code = (uint8_t)code;
        free(record->status_description);
        record->status_description = code == OTEL_STATUS_ERROR && description ? strdup(description) : NULL;
    }
    unlock(record);
}

void otel_span_update_name(otel_span *span, const char *name) {
    if (!name) return;
    otel_shim_span_record *record = locked_record(span);
    if (!record) return otel_core_span_update_name_slow(span, name);
    bool renamed = set_name(record, name);
    if (!renamed) promote(record); /* no memory for a long name here */
    unlock(record);
    if (!renamed) otel_core_span_update_name_slow(span, name);
}
