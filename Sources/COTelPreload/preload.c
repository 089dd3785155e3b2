/* The preload bootstrap: the sitecustomize of native programs (otel_preload.h). */
#define _GNU_SOURCE
#include "otel_preload.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;

/* The value of `name` read from the environment block itself: the program may
 * replace getenv (bash does, and its table is empty while constructors run). */
static const char *otel_preload_getenv(const char *name) {
    size_t length = strlen(name);
    for (char **entry = environ; entry && *entry; entry++) {
        if (strncmp(*entry, name, length) == 0 && (*entry)[length] == '=') return *entry + length + 1;
    }
    return NULL;
}

/* One diagnostic line on stderr, unless OTEL_LOG_LEVEL silences errors. */
static void otel_preload_report(const char *what, const char *detail) {
    const char *level = otel_preload_getenv("OTEL_LOG_LEVEL");
    if (level && (strcmp(level, "none") == 0 || strcmp(level, "off") == 0)) return;
    const char *parts[] = {"otel-native: error: ", what, detail ? ": " : "", detail ? detail : "",
                           "; the program runs uninstrumented\n"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        size_t length = strlen(parts[i]);
        while (length > 0) {
            ssize_t written = write(2, parts[i], length);
            if (written < 0 && errno == EINTR) continue;
            if (written <= 0) break;
            parts[i] += written;
            length -= (size_t)written;
        }
    }
}

/* The runtime library's path into `buffer`; false when it cannot be formed. */
static int otel_preload_runtime_path(char *buffer, size_t size) {
    const char *configured = otel_preload_getenv(OTEL_PRELOAD_RUNTIME_VARIABLE);
    if (configured && *configured) {
        if (strlen(configured) >= size) return 0;
        strcpy(buffer, configured);
        return 1;
    }
    Dl_info info;
    if (!dladdr((void *)otel_preload_runtime_path, &info) || !info.dli_fname) return 0;
    const char *slash = strrchr(info.dli_fname, '/');
    size_t directory = slash ? (size_t)(slash - info.dli_fname + 1) : 0;
    if (directory + strlen(OTEL_PRELOAD_RUNTIME_NAME) >= size) return 0;
    memcpy(buffer, info.dli_fname, directory);
    strcpy(buffer + directory, OTEL_PRELOAD_RUNTIME_NAME);
    return 1;
}

/* The runtime, once loaded (RTLD_LOCAL: its symbols stay out of the program's scope). */
static void *otel_preload_runtime;

/* Undoes the instrumentation `name` (`sqlite3`) while the program runs, as
 * OpenTelemetry Python's Instrumentor().uninstrument() does: 0 when done, -1
 * when no such instrumentation is active or the runtime is not loaded. The
 * one symbol this object exports besides its constructor's work, for
 * programs and tests that find it with dlsym(RTLD_DEFAULT, "otel_uninstrument"). */
__attribute__((visibility("default"))) int otel_uninstrument(const char *name) {
    if (!otel_preload_runtime || !name) return -1;
    int (*uninstrument)(const char *) = (int (*)(const char *))dlsym(otel_preload_runtime, "otel_runtime_uninstrument");
    return uninstrument ? uninstrument(name) : -1;
}

/* Default priority: a prioritised constructor would run before the Swift
 * runtime registers its images (DESIGN.md, "Facts measured here"). */
__attribute__((constructor)) static void otel_preload_initialize(void) {
    int saved_errno = errno;
    /* Secure execution (setuid, setgid, capabilities): never load code
     * chosen by the environment into a privileged process. */
    if (getauxval(AT_SECURE)) goto done;
    /* Processes the runtime starts for itself are never instrumented. */
    const char *inert = otel_preload_getenv("OTEL_NATIVE_INERT");
    if (inert && *inert) goto done;

    char path[4096];
    if (!otel_preload_runtime_path(path, sizeof path)) {
        otel_preload_report("cannot locate " OTEL_PRELOAD_RUNTIME_NAME, NULL);
        goto done;
    }
    /* The runtime links the Swift standard library statically, which installs
     * no crash handlers: the program's signal dispositions stay its own. */
    void *runtime = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!runtime) {
        otel_preload_report("cannot load the otel-native runtime", dlerror());
        goto done;
    }
    void (*initialize)(void) = (void (*)(void))dlsym(runtime, "otel_runtime_initialize");
    if (!initialize) {
        otel_preload_report("the otel-native runtime has no otel_runtime_initialize", path);
        goto done;
    }
    otel_preload_runtime = runtime;
    initialize();
done:
    errno = saved_errno;
}
