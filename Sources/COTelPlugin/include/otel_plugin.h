/* otel_plugin.h: the plugin ABI of otel-native.
 *
 * A plugin is a shared library plus a manifest (docs/plugins.md). The
 * runtime dlopens the library, reads `otel_plugin_abi` to check the ABI
 * before calling anything, then calls the entry symbol named in the manifest
 * with the host table. The entry returns the plugin's descriptor.
 *
 * Versioning: the major number changes when a field moves or changes
 * meaning; the minor number when fields are appended. Both tables carry
 * their size, so either side can tell which fields the other knows.
 *
 * A C plugin needs nothing but this header:
 *
 *     #include <otel_plugin.h>
 *     OTEL_PLUGIN_DECLARE_ABI();
 *     static int instrument(void *state, const otel_host_api *host) { ... return 0; }
 *     const otel_plugin_descriptor *otel_example_entry(const otel_host_api *host) {
 *         static otel_plugin_descriptor descriptor = {
 *             OTEL_PLUGIN_DESCRIPTOR_HEADER, .name = "example", .version = "1.0",
 *             .instrument = instrument };
 *         return &descriptor;
 *     }
 */
#ifndef OTEL_PLUGIN_H
#define OTEL_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otel_core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTEL_PLUGIN_ABI_MAJOR 1
#define OTEL_PLUGIN_ABI_MINOR 5
/** major << 16 | minor */
#define OTEL_PLUGIN_ABI_VERSION ((uint32_t)((OTEL_PLUGIN_ABI_MAJOR << 16) | OTEL_PLUGIN_ABI_MINOR))

/** Every plugin library exports the ABI it was built against under this name. */
#define OTEL_PLUGIN_DECLARE_ABI() \
    __attribute__((visibility("default"))) const uint32_t otel_plugin_abi = OTEL_PLUGIN_ABI_VERSION

/** Diagnostic levels for host->log. */
typedef enum otel_log_level {
    OTEL_LOG_DEBUG = 0,
    OTEL_LOG_INFO = 1,
    OTEL_LOG_WARNING = 2,
    OTEL_LOG_ERROR = 3,
} otel_log_level;

/** What the host gives every plugin. Fields are only ever appended. */
typedef struct otel_host_api {
    uint32_t size;       /**< sizeof(otel_host_api) as the host built it */
    uint32_t abi;        /**< OTEL_PLUGIN_ABI_VERSION of the host */

    /* Diagnostics: one line on stderr, prefixed and de-duplicated by the host. */
    void (*log)(otel_log_level level, const char *message);
    /* Configuration: the value of an OTEL_* setting (flags and environment),
     * or NULL when unset or empty. */
    const char *(*config_get)(const char *name);
    /* Sets an OTEL_* setting only where the user has not (for distros). */
    void (*config_set_default)(const char *name, const char *value);

    /* Tracing: the functions of otel_core.h. */
    otel_tracer *(*tracer_get)(const char *name, const char *version, const char *schema_url);
    void (*span_start)(otel_tracer *tracer, const char *name, otel_span_kind kind,
                       const otel_context *parent, otel_span *out);
    void (*span_start_at)(otel_tracer *tracer, const char *name, otel_span_kind kind,
                          const otel_context *parent, uint64_t start_time_ns, otel_span *out);
    bool (*span_is_recording)(const otel_span *span);
    void (*span_set_string)(otel_span *span, const char *key, const char *value);
    void (*span_set_string_n)(otel_span *span, const char *key, const char *value, size_t length);
    void (*span_set_bool)(otel_span *span, const char *key, bool value);
    void (*span_set_int)(otel_span *span, const char *key, int64_t value);
    void (*span_set_double)(otel_span *span, const char *key, double value);
    void (*span_set_attributes)(otel_span *span, const otel_attribute *attributes, size_t count);
    void (*span_add_event)(otel_span *span, const char *name, const otel_attribute *attributes, size_t count);
    void (*span_add_link)(otel_span *span, const otel_span *linked, const otel_attribute *attributes, size_t count);
    void (*span_record_exception)(otel_span *span, const char *type, const char *message, const char *stacktrace);
    void (*span_set_status)(otel_span *span, otel_status_code code, const char *description);
    void (*span_update_name)(otel_span *span, const char *name);
    void (*span_end)(otel_span *span);
    void (*span_end_at)(otel_span *span, uint64_t end_time_ns);

    /* Context and propagation. */
    otel_context_token (*span_make_current)(const otel_span *span);
    otel_context_token (*context_attach)(const otel_context *context);
    void (*context_restore)(otel_context_token token);
    otel_context *(*context_current)(void);
    const otel_context *(*context_root)(void);
    otel_context *(*context_with_span)(const otel_context *base, const otel_span *span);
    void (*context_release)(otel_context *context);
    void (*propagation_inject)(const otel_context *context, const otel_carrier *carrier);
    otel_context *(*propagation_extract)(const otel_context *base, const otel_carrier *carrier);

    /* The hooking engine (ABI 1.1): redirect a function called through the GOT
     * of every loaded object (and of objects loaded later) to a replacement;
     * `*original` receives the real function. flags: 1 = also the defining
     * object. hook_enter/hook_exit: the per-thread guard wrappers start with
     * (false: already inside a wrapper or suppressed: just call the original). */
    void *(*hook_wrap)(const char *symbol, void *replacement, void **original, unsigned flags);
    void (*hook_unwrap)(void *hook);
    bool (*hook_enter)(void);
    void (*hook_exit)(void);
    /* Lifecycle (ABI 1.2): true once the process has begun to exit (the SDK's
     * exit flush runs): an exporter then makes one bounded attempt, no retries. */
    bool (*process_exiting)(void);
    /* Processes (ABI 1.3). process_traceparent: the W3C traceparent of the
     * calling thread's current span (the process's when none is), for a child
     * process's TRACEPARENT; takes no lock and allocates nothing, so it is
     * safe in a vfork child; false when there is none. process_exit_status:
     * the status the process is about to exit with (exit, _exit, main's
     * return), for its process span. process_ending: the process image is
     * about to end without its exit handlers (exec, _exit): the process span
     * ends and pending telemetry is exported, bounded; it does nothing in a
     * process the runtime did not start in (a vfork or fork child). */
    bool (*process_traceparent)(char out[56]);
    void (*process_exit_status)(int status);
    void (*process_ending)(void);
    /* Tracing (ABI 1.5): otel_span_set_described of otel_core.h; NULL in an older host. */
    void (*span_set_described)(otel_span *span, otel_span_describer describe, const void *bytes, size_t length);
    void *reserved_hooking[7];

    /* Metrics (ABI 1.2): the functions of otel_core.h. */
    otel_meter *(*meter_get)(const char *name, const char *version, const char *schema_url);
    otel_instrument *(*instrument_create)(otel_meter *meter, otel_instrument_kind kind, bool is_double, const char *name,
                                          const char *unit, const char *description, const double *boundaries,
                                          size_t boundary_count);
    void (*instrument_record_int)(otel_instrument *instrument, int64_t value, const otel_attribute *attributes, size_t count);
    void (*instrument_record_double)(otel_instrument *instrument, double value, const otel_attribute *attributes, size_t count);
    bool (*instrument_enabled)(const otel_instrument *instrument);
    /* Attribute sets made once, recorded with many times (ABI 1.4): NULL in an older host. */
    otel_attribute_set *(*attribute_set_create)(const otel_attribute *attributes, size_t count);
    void (*attribute_set_release)(otel_attribute_set *set);
    void (*instrument_record_int_set)(otel_instrument *instrument, int64_t value, const otel_attribute_set *set);
    void (*instrument_record_double_set)(otel_instrument *instrument, double value, const otel_attribute_set *set);
    void *reserved_metrics[7];

    /* Logs (ABI 1.2): the functions of otel_core.h. */
    otel_logger *(*logger_get)(const char *name, const char *version, const char *schema_url);
    void (*log_emit)(otel_logger *logger, int severity_number, const char *severity_text, const char *body,
                     const otel_attribute *attributes, size_t count);
    void *reserved_logs[14];
} otel_host_api;

/** Whether `span` records, with no call at all for a span that holds
 *  nothing (`impl` NULL): the question every wrapper asks of a span that
 *  is usually not sampled. */
static inline bool otel_plugin_span_is_recording(const otel_host_api *host, const otel_span *span) {
    return span->impl && host->span_is_recording(span);
}

/** One GOT hook an instrumentor asks for: calls to `symbol` go to
 *  `wrapper`; the real function is left in `*original` (which must stay
 *  valid: the engine keeps the pointer). */
typedef struct otel_plugin_hook {
    const char *symbol;
    void *wrapper;
    void **original;
} otel_plugin_hook;

/** Applies `count` hooks, their handles kept in `handles` (for
 *  otel_plugin_unwrap_all): 0 when all were applied, 1 when one was not
 *  (those that were stay, so that uninstrument undoes them). */
static inline int otel_plugin_wrap_all(const otel_host_api *host, const otel_plugin_hook *hooks, size_t count, void **handles) {
    int status = 0;
    for (size_t i = 0; i < count; i++) {
        handles[i] = host->hook_wrap(hooks[i].symbol, hooks[i].wrapper, hooks[i].original, 0);
        if (!handles[i]) status = 1;
    }
    return status;
}

/** Undoes what otel_plugin_wrap_all applied (an instrumentor's uninstrument). */
static inline void otel_plugin_unwrap_all(const otel_host_api *host, void **handles, size_t count) {
    for (size_t i = 0; i < count; i++) {
        if (handles[i]) host->hook_unwrap(handles[i]);
        handles[i] = NULL;
    }
}

/** Ends `span` through `host`, with no call at all for a span that holds
 *  nothing (`impl` NULL, otel_core.h): a wrapper's span that is not sampled. */
static inline void otel_plugin_span_end(const otel_host_api *host, otel_span *span) {
    if (span->impl) host->span_end(span);
}

/** What a plugin's entry symbol returns. Unused function slots are NULL.
 *  Functions return 0 on success and a non-zero error otherwise; a failure
 *  is reported by the host and only that plugin is skipped. */
typedef struct otel_plugin_descriptor {
    uint32_t size;       /**< sizeof(otel_plugin_descriptor) as the plugin built it */
    uint32_t abi;        /**< OTEL_PLUGIN_ABI_VERSION the plugin was built against */
    const char *name;
    const char *version;
    /** NULL-terminated sonames with constraints, e.g. "libsqlite3.so.0 >= 3.7"; may be NULL. */
    const char *const *instruments;
    /** The plugin's own state, passed back to every function. */
    void *state;

    /* otel_instrumentor */
    int (*instrument)(void *state, const otel_host_api *host);
    int (*uninstrument)(void *state, const otel_host_api *host);
    /* otel_distro, otel_configurator, otel_pre_instrument, otel_post_instrument */
    int (*configure)(void *state, const otel_host_api *host);
    /* exporters: the host hands each batch encoded as an OTLP protobuf
     * ExportTraceServiceRequest / ExportMetricsServiceRequest / ExportLogsServiceRequest,
     * its bytes valid during the call only (the host writes the next request into them). */
    int (*exporter_create)(void *state, const otel_host_api *host);
    int (*exporter_export)(void *state, const uint8_t *otlp_protobuf, size_t length, uint32_t timeout_ms);
    int (*exporter_flush)(void *state, uint32_t timeout_ms);
    int (*exporter_shutdown)(void *state, uint32_t timeout_ms);
    /* otel_propagator */
    void (*inject)(void *state, const otel_context *context, const otel_carrier *carrier);
    otel_context *(*extract)(void *state, const otel_context *base, const otel_carrier *carrier);
    /* otel_traces_sampler: 0 drop, 1 record only, 2 record and sample */
    int (*should_sample)(void *state, const otel_span *parent, uint64_t trace_id_high, uint64_t trace_id_low,
                         const char *name, otel_span_kind kind);
    /* otel_resource_detector: calls `add` for each attribute it detects */
    int (*detect)(void *state, void *context, void (*add)(void *context, const char *key, const char *value));
    /* otel_id_generator: new non-zero ids */
    void (*generate_trace_id)(void *state, uint64_t *high, uint64_t *low);
    uint64_t (*generate_span_id)(void *state);

    /* exporters (ABI 1.2): the payload exporter_export receives, an
     * OTEL_EXPORTER_PAYLOAD_*; exporter_create may change it. */
    uint32_t exporter_payload;
    /* exporters (ABI 1.4): OTEL_EXPORTER_* flags (0 in older plugins). */
    uint32_t exporter_flags;
    void *reserved[7];
} otel_plugin_descriptor;

/** What an exporter plugin's exporter_export receives. */
enum {
    OTEL_EXPORTER_PAYLOAD_PROTOBUF = 0, /**< the OTLP request in protobuf (the default) */
    OTEL_EXPORTER_PAYLOAD_JSON = 1,     /**< the OTLP request in the OTLP JSON encoding */
};

/** exporter_flags: every descriptor the exporter uses is opened and closed
 *  within one call of exporter_export, exporter_flush or exporter_shutdown,
 *  on the calling thread. The host may then call it from an export thread
 *  with a descriptor table of its own (docs/plugins.md). */
#define OTEL_EXPORTER_CONFINED_DESCRIPTORS 1u

/** The first fields of a descriptor built against this header. */
#define OTEL_PLUGIN_DESCRIPTOR_HEADER .size = sizeof(otel_plugin_descriptor), .abi = OTEL_PLUGIN_ABI_VERSION

/** The type of a manifest's entry symbol. */
typedef const otel_plugin_descriptor *(*otel_plugin_entry)(const otel_host_api *host);

#ifdef __cplusplus
}
#endif
#endif
