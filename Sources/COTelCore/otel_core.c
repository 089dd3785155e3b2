/* Header-only target: the declarations in otel_core.h are implemented by OTelCore. */
