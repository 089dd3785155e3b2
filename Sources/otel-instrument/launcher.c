/* otel-instrument: the front end users run.
 *
 *   otel-instrument [--flag value | --flag=value]... [--] PROGRAM [ARGS...]
 *
 * It runs before every instrumented program, so it is C: it sets the OTEL_*
 * variables of the core's flags, prepends libotel_preload.so to LD_PRELOAD
 * and execs the program (same PID, same exit status). Anything else (help,
 * version, explain, flags that plugin manifests declare, usage errors) is
 * handed to otel-instrument-tool beside it, with the same arguments.
 *
 * The flag table is generated from the Swift tool at build time
 * (`otel-instrument-tool --print-flag-table`), so the two never disagree. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct { const char *flag, *variable; } otel_flags[] = {
#include "otel_instrument_flags.h"
};

static char otel_directory[PATH_MAX];

/* The directory of this executable. */
static void otel_find_directory(void) {
    ssize_t length = readlink("/proc/self/exe", otel_directory, sizeof otel_directory - 1);
    if (length <= 0) {
        strcpy(otel_directory, ".");
        return;
    }
    otel_directory[length] = 0;
    char *slash = strrchr(otel_directory, '/');
    if (slash) *slash = 0;
}

/* Execs otel-instrument-tool with our arguments; returns only on failure. */
static int otel_delegate(char **argv) {
    char tool[PATH_MAX + 64];
    snprintf(tool, sizeof tool, "%s/otel-instrument-tool", otel_directory);
    argv[0] = tool;
    execv(tool, argv);
    fprintf(stderr, "otel-instrument: cannot run %s: %s\n", tool, strerror(errno));
    return 126;
}

static const char *otel_variable_for(const char *flag, size_t length) {
    for (size_t i = 0; i < sizeof otel_flags / sizeof otel_flags[0]; i++) {
        if (strlen(otel_flags[i].flag) == length && strncmp(otel_flags[i].flag, flag, length) == 0) return otel_flags[i].variable;
    }
    return NULL;
}

/* Where the preload and runtime libraries are: beside us (build tree) or ../lib/otel-native. */
static void otel_library_path(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/%s", otel_directory, name);
    if (access(out, F_OK) == 0) return;
    snprintf(out, size, "%s/../lib/otel-native/%s", otel_directory, name);
}

int main(int argc, char **argv) {
    otel_find_directory();
    int index = 1;
    /* Parse once without side effects: anything unusual goes to the tool. */
    for (; index < argc; index++) {
        const char *argument = argv[index];
        if (strcmp(argument, "--") == 0) {
            index++;
            break;
        }
        if (strncmp(argument, "--", 2) != 0) break;
        const char *name = argument + 2;
        const char *equals = strchr(name, '=');
        size_t length = equals ? (size_t)(equals - name) : strlen(name);
        if (!otel_variable_for(name, length)) return otel_delegate(argv);
        if (!equals && ++index >= argc) return otel_delegate(argv);
    }
    if (index >= argc) return otel_delegate(argv);

    for (int i = 1; i < index; i++) {
        const char *argument = argv[i];
        if (strcmp(argument, "--") == 0) break;
        const char *name = argument + 2;
        const char *equals = strchr(name, '=');
        size_t length = equals ? (size_t)(equals - name) : strlen(name);
        const char *value = equals ? equals + 1 : argv[++i];
        setenv(otel_variable_for(name, length), value, 1);
    }

    char preload[PATH_MAX + 64], runtime[PATH_MAX + 64];
    otel_library_path(preload, sizeof preload, "libotel_preload.so");
    otel_library_path(runtime, sizeof runtime, "libOTelRuntime.so");
    const char *existing = getenv("LD_PRELOAD");
    if (existing && *existing) {
        size_t size = strlen(preload) + strlen(existing) + 2;
        char *combined = malloc(size);
        if (!combined) return 126;
        snprintf(combined, size, "%s:%s", preload, existing);
        setenv("LD_PRELOAD", combined, 1);
    } else {
        setenv("LD_PRELOAD", preload, 1);
    }
    setenv("OTEL_NATIVE_RUNTIME_LIBRARY", runtime, 1);

    /* execvp: PATH search and the shell's fallback for scripts without #!. */
    execvp(argv[index], argv + index);
    if (errno == ENOENT) {
        fprintf(stderr, "otel-instrument: %s: command not found\n", argv[index]);
        return 127;
    }
    fprintf(stderr, "otel-instrument: %s: %s\n", argv[index], strerror(errno));
    return 126;
}
