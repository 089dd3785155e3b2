/* libOTelRuntime.so is also a plugin (its built-in configurator is an
 * otel_configurator entry in plugins.d/otel-native.ini), so it exports the
 * plugin ABI version like any plugin library. */
#ifndef OTEL_RUNTIME_ABI_H
#define OTEL_RUNTIME_ABI_H
#include <stdint.h>
extern const uint32_t otel_plugin_abi;
#endif
