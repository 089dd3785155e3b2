/* A plugin wrapping target_add. OTEL_NATIVE_HOOK_BENCH_MODE: "guard" (the
 * re-entrancy guard only) or "span" (a span per call, sampled or not as the
 * sampler says). */
#include <otel_plugin.h>
#include <string.h>
OTEL_PLUGIN_DECLARE_ABI();
static const otel_host_api *host;
static int (*original)(int, int);
static int spans;
static otel_tracer *tracer;

static int wrapped(int a, int b) {
    if (!host->hook_enter()) { host->hook_exit(); return original(a, b); }
    if (!spans) { host->hook_exit(); return original(a, b); }
    otel_span span;
    host->span_start(tracer, "target_add", OTEL_SPAN_KIND_INTERNAL, NULL, &span);
    int result = original(a, b);
    otel_plugin_span_end(host, &span);
    host->hook_exit();
    return result;
}

static int instrument(void *state, const otel_host_api *h) {
    (void)state;
    host = h;
    const char *mode = host->config_get("OTEL_NATIVE_HOOK_BENCH_MODE");
    spans = mode && strcmp(mode, "span") == 0;
    /* Like the instrumentations: one tracer handle, fetched once. */
    tracer = host->tracer_get("otel-native.hook-bench", NULL, NULL);
    return host->hook_wrap("target_add", (void *)wrapped, (void **)&original, 0) ? 0 : 1;
}

const otel_plugin_descriptor *otel_hook_bench_entry(const otel_host_api *h) {
    (void)h;
    static otel_plugin_descriptor d = {OTEL_PLUGIN_DESCRIPTOR_HEADER, .name = "hook-bench", .instrument = instrument};
    return &d;
}
