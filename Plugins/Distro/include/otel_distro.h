/* The default distro: sets what OpenTelemetry Python's distro sets, where unset. */
#ifndef OTEL_DISTRO_H
#define OTEL_DISTRO_H
#include <otel_plugin.h>
const otel_plugin_descriptor *otel_distro_entry(const otel_host_api *host);
#endif
