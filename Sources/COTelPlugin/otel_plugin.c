/* Header-only target: otel_plugin.h is the plugin ABI; the host implements it in OTelRuntime. */
