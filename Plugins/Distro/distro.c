/* The default distro plugin (otel_distro group): like OpenTelemetry Python's
 * opentelemetry-distro, it chooses OTLP over HTTP/protobuf for the three
 * signals unless the user chose something else. */
#include "otel_distro.h"

OTEL_PLUGIN_DECLARE_ABI();

static int configure(void *state, const otel_host_api *host) {
    (void)state;
    host->config_set_default("OTEL_TRACES_EXPORTER", "otlp");
    host->config_set_default("OTEL_METRICS_EXPORTER", "otlp");
    host->config_set_default("OTEL_LOGS_EXPORTER", "otlp");
    host->config_set_default("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
    return 0;
}

__attribute__((visibility("default")))
const otel_plugin_descriptor *otel_distro_entry(const otel_host_api *host) {
    static otel_plugin_descriptor descriptor = {
        OTEL_PLUGIN_DESCRIPTOR_HEADER,
        .name = "otel-native-distro",
        .version = "0.1.0",
        .configure = configure,
    };
    if (host->size < sizeof(otel_host_api)) return NULL;
    return &descriptor;
}
