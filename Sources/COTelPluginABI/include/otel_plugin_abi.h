/* The plugin ABI version symbol, for plugin libraries built with SwiftPM:
 * OTelPluginKit links it into every Swift plugin, and libOTelRuntime.so has
 * it too (its built-in configurator is a plugin). A C plugin writes
 * OTEL_PLUGIN_DECLARE_ABI(); instead. */
#ifndef OTEL_PLUGIN_ABI_H
#define OTEL_PLUGIN_ABI_H
#include <stdint.h>
extern const uint32_t otel_plugin_abi;
#endif
