/* An example otel-native plugin in C, built against otel_plugin.h alone.
 *
 * It is an instrumentor that, when the runtime instruments the process,
 * records one span saying so, and a log record inside that span (so it
 * carries the span's trace and span ids). Real instrumentors hook a
 * library's functions with host->hook_wrap (see Plugins/SQLite3).
 *
 *   cc -shared -fPIC -I<include dir> -o libexample_c_plugin.so example_plugin.c
 */
#include <otel_plugin.h>

OTEL_PLUGIN_DECLARE_ABI();

static int instrument(void *state, const otel_host_api *host) {
    (void)state;
    otel_tracer *tracer = host->tracer_get("example-c-plugin", "1.0.0", NULL);
    otel_span span;
    host->span_start(tracer, "example-c-plugin instrumented", OTEL_SPAN_KIND_INTERNAL, NULL, &span);
    const char *greeting = host->config_get("OTEL_NATIVE_EXAMPLE_GREETING");
    host->span_set_string(&span, "example.greeting", greeting ? greeting : "hello");
    otel_logger *logger = host->logger_get("example-c-plugin", "1.0.0", NULL);
    otel_context_token token = host->span_make_current(&span);
    otel_attribute attribute = {.key = "example.greeting", .type = OTEL_ATTRIBUTE_STRING};
    attribute.value.string_value = greeting ? greeting : "hello";
    host->log_emit(logger, 9, "INFO", "example-c-plugin instrumented", &attribute, 1);
    host->context_restore(token);
    otel_plugin_span_end(host, &span);
    host->log(OTEL_LOG_DEBUG, "example-c-plugin: instrumented");
    return 0;
}

static int uninstrument(void *state, const otel_host_api *host) {
    (void)state;
    (void)host;
    return 0;
}

__attribute__((visibility("default")))
const otel_plugin_descriptor *otel_example_c_plugin_entry(const otel_host_api *host) {
    static const char *const instruments[] = {"libc.so.6 >= 2.17", NULL};
    static otel_plugin_descriptor descriptor = {
        OTEL_PLUGIN_DESCRIPTOR_HEADER,
        .name = "example-c-plugin",
        .version = "1.0.0",
        .instruments = instruments,
        .instrument = instrument,
        .uninstrument = uninstrument,
    };
    /* A host older than the header we were built with lacks fields we use. */
    if (host->size < sizeof(otel_host_api)) return NULL;
    return &descriptor;
}
