/* The C API's instrument functions that take no Swift value: whether an
 * instrument records, and a record for a prepared attribute set, decided and
 * stored here (the metrics API's rules as MetricInstrument applies them);
 * OTelCore is called only for an instrument's first record and for a
 * rejected value's warning. */
#include "otel_core_shims.h"

#include <math.h>

bool otel_shim_instrument_first_record(otel_shim_instrument_handle *handle) {
    return !__atomic_load_n(&handle->recorded, __ATOMIC_RELAXED) && !__atomic_exchange_n(&handle->recorded, 1, __ATOMIC_ACQ_REL);
}

/* A negative value the instrument does not take: warned about (once) and dropped. */
static inline bool rejects(const otel_shim_instrument_handle *handle, bool negative) {
    if (__builtin_expect(!negative, 1) || otel_shim_instrument_takes_negatives(handle)) return false;
    otel_core_instrument_rejected_negative(handle->swift_instrument);
    return true;
}

static inline void record_set(otel_shim_instrument_handle *handle, const otel_attribute_set *set, int64_t int_value,
                              double double_value) {
    if (__builtin_expect(otel_shim_instrument_first_record(handle), 0)) otel_core_instrument_start_reader(handle->swift_instrument);
    otel_shim_metric_record_set(handle->storage, (const otel_shim_attribute_set *)set, int_value, double_value);
}

OTEL_SHIM_HOT bool otel_instrument_enabled(const otel_instrument *instrument) {
    return instrument && ((const otel_shim_instrument_handle *)instrument)->storage;
}

OTEL_SHIM_HOT void otel_instrument_record_int_set(otel_instrument *instrument, int64_t value, const otel_attribute_set *set) {
    otel_shim_instrument_handle *handle = (otel_shim_instrument_handle *)instrument;
    if (!handle || !handle->storage || rejects(handle, value < 0)) return;
    if (handle->is_double) record_set(handle, set, 0, (double)value);
    else record_set(handle, set, value, 0);
}

OTEL_SHIM_HOT void otel_instrument_record_double_set(otel_instrument *instrument, double value, const otel_attribute_set *set) {
    otel_shim_instrument_handle *handle = (otel_shim_instrument_handle *)instrument;
    if (!handle || !handle->storage || isnan(value) || rejects(handle, value < 0)) return;
    if (handle->is_double) record_set(handle, set, 0, value);
    else record_set(handle, set, otel_shim_int64_toward_zero(value), 0);
}
