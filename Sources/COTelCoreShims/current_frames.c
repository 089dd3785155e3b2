/* Spans made current from C, above OTelCore's context stack (see
 * otel_core_shims.h, "Spans made current from C"). */
#include "otel_core_shims.h"

__thread otel_shim_current_frames otel_shim_tls_current_frames __attribute__((tls_model("initial-exec")));

/* Whether making `span` current here is what the SDK would do: its Swift
 * form would be its bare context (a span recorded in C, or one that records
 * nothing and carries no trace state). */
static inline bool held_in_c(const otel_span *span) {
    return !span->impl || otel_shim_span_record_of(span);
}

otel_context_token otel_span_make_current(const otel_span *span) {
    otel_shim_current_frames *frames = &otel_shim_tls_current_frames;
    if (!span || !held_in_c(span) || frames->count == OTEL_SHIM_CURRENT_FRAMES_MAX ||
        (span->trace_id_high | span->trace_id_low) == 0 || span->span_id == 0) /* an invalid context: the SDK's rules */
        return otel_core_span_make_current_slow(span);
    otel_shim_current_span *current = &otel_shim_tls_current_span;
    frames->below[frames->count] = *current;
    otel_context_token token = (otel_context_token)frames->sdk_depth + frames->count++;
    otel_shim_set_current_span(OTEL_SHIM_CURRENT_SIMPLE, span->trace_flags, span->is_remote, span->trace_id_high,
                               span->trace_id_low, span->span_id);
    return token;
}

void otel_context_restore(otel_context_token token) {
    otel_shim_current_frames *frames = &otel_shim_tls_current_frames;
    /* The top frame's token restores the context below it; any other goes to
     * the SDK, which takes the frames first (and reports one out of order). */
    if (frames->count && token == (otel_context_token)frames->sdk_depth + frames->count - 1) {
        otel_shim_tls_current_span = frames->below[--frames->count];
        return;
    }
    otel_core_context_restore_slow(token);
}

otel_shim_current_span otel_shim_current_frame(uint32_t index) {
    const otel_shim_current_frames *frames = &otel_shim_tls_current_frames;
    return index + 1 < frames->count ? frames->below[index + 1] : otel_shim_tls_current_span;
}
