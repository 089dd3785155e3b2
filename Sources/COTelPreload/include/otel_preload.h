/* libotel_preload.so: the object otel-instrument puts in LD_PRELOAD.
 *
 * Its constructor decides whether to run at all, then dlopens the Swift
 * runtime library and calls otel_runtime_initialize(). It depends on libc
 * and libdl alone (it is built with cc, not as a Swift product), so a
 * missing Swift runtime can never stop a program from starting: the worst
 * case is one diagnostic and an uninstrumented program. */
#ifndef OTEL_PRELOAD_H
#define OTEL_PRELOAD_H

/* The runtime library's path: OTEL_NATIVE_RUNTIME_LIBRARY, else
 * libOTelRuntime.so beside this object. */
#define OTEL_PRELOAD_RUNTIME_VARIABLE "OTEL_NATIVE_RUNTIME_LIBRARY"
#define OTEL_PRELOAD_RUNTIME_NAME "libOTelRuntime.so"

/* Undoes the instrumentation `name` while the program runs (0: done, -1: none active). */
int otel_uninstrument(const char *name);

#endif
