/* A child process's environment (otel_child_environment.h). */
#include "otel_child_environment.h"

#include <stdlib.h>
#include <string.h>

#define PRELOAD_NAME "libotel_preload.so"

static bool starts_with(const char *text, const char *prefix) {
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* Whether the environment entries `a` and `b` ("NAME=value") name the same variable. */
static bool same_name(const char *a, const char *b) {
    while (*a && *a != '=' && *a == *b) a++, b++;
    return (*a == '=' || !*a) && (*b == '=' || !*b);
}

/* Whether the LD_PRELOAD list `list` (ld.so: separated by colons or spaces) holds `path`. */
static bool list_holds(const char *list, const char *path) {
    size_t length = strlen(path);
    for (const char *item = list; *item;) {
        size_t item_length = strcspn(item, ": ");
        if (item_length == length && strncmp(item, path, length) == 0) return true;
        item += item_length;
        if (*item) item++;
    }
    return false;
}

/* The element of LD_PRELOAD `list` that is our preload, copied; NULL when none. */
static char *preload_in(const char *list) {
    for (const char *item = list; *item;) {
        size_t item_length = strcspn(item, ": ");
        size_t name_length = sizeof PRELOAD_NAME - 1;
        if (item_length >= name_length && strncmp(item + item_length - name_length, PRELOAD_NAME, name_length) == 0 &&
            (item_length == name_length || item[item_length - name_length - 1] == '/'))
            return strndup(item, item_length);
        item += item_length;
        if (*item) item++;
    }
    return NULL;
}

void otel_child_inheritance_take(otel_child_inheritance *inheritance, char *const environment[]) {
    memset(inheritance, 0, sizeof *inheritance);
    size_t count = 0;
    for (char *const *entry = environment; entry && *entry; entry++) count += starts_with(*entry, "OTEL_");
    inheritance->settings = calloc(count ? count : 1, sizeof *inheritance->settings);
    for (char *const *entry = environment; entry && *entry; entry++) {
        const char *text = *entry;
        if (starts_with(text, "OTEL_") && inheritance->settings) {
            char *copy = strdup(text);
            if (copy) inheritance->settings[inheritance->setting_count++] = copy;
        } else if (starts_with(text, "LD_PRELOAD=")) {
            inheritance->preload = preload_in(text + 11);
        } else if (starts_with(text, "TRACESTATE=")) {
            inheritance->tracestate = strdup(text);
        } else if (starts_with(text, "BAGGAGE=")) {
            inheritance->baggage = strdup(text);
        } else if (starts_with(text, "TRACEPARENT=") && strlen(text) >= 12 + 35 && text[14] == '-') {
            memcpy(inheritance->started_trace_id, text + 15, 32); /* version "00-" then 32 hex digits */
            inheritance->started_trace_id[32] = '\0';
        }
    }
}

size_t otel_child_environment_slots(const otel_child_inheritance *inheritance, char *const environment[], size_t *text_bytes) {
    size_t count = 0;
    size_t longest_preload = 0;
    for (char *const *entry = environment; entry && *entry; entry++) {
        count++;
        if (starts_with(*entry, "LD_PRELOAD=")) {
            size_t length = strlen(*entry);
            if (length > longest_preload) longest_preload = length;
        }
    }
    size_t preload = inheritance->preload ? strlen(inheritance->preload) : 0;
    /* LD_PRELOAD=<ours>:<theirs>, TRACEPARENT=<55>, each NUL-terminated. */
    *text_bytes = (longest_preload + preload + 2) + (sizeof "LD_PRELOAD=" + preload) + (sizeof "TRACEPARENT=" + 55);
    return count + inheritance->setting_count + 4 + 1;
}

char **otel_child_environment_build(const otel_child_inheritance *inheritance, char *const environment[], const char *traceparent,
                                    char **slots, char *text) {
    size_t used = 0;
    bool has_preload = false;
    for (char *const *entry = environment; entry && *entry; entry++) {
        char *item = *entry;
        if (starts_with(item, "TRACEPARENT=") || starts_with(item, "TRACESTATE=") || starts_with(item, "BAGGAGE=")) continue;
        if (starts_with(item, "LD_PRELOAD=")) {
            if (has_preload) continue; /* the loader reads the first */
            has_preload = true;
            if (inheritance->preload && !list_holds(item + 11, inheritance->preload)) {
                /* Ours first, then the caller's own. */
                char *merged = text;
                text = stpcpy(stpcpy(stpcpy(text, "LD_PRELOAD="), inheritance->preload), item[11] ? ":" : "");
                text = stpcpy(text, item + 11) + 1;
                item = merged;
            }
        }
        slots[used++] = item;
    }
    for (size_t i = 0; i < inheritance->setting_count; i++) {
        bool present = false;
        for (char *const *entry = environment; entry && *entry && !present; entry++) present = same_name(*entry, inheritance->settings[i]);
        if (!present) slots[used++] = (char *)inheritance->settings[i];
    }
    if (!has_preload && inheritance->preload) {
        slots[used++] = text;
        text = stpcpy(stpcpy(text, "LD_PRELOAD="), inheritance->preload) + 1;
    }
    if (traceparent) {
        slots[used++] = text;
        text = stpcpy(stpcpy(text, "TRACEPARENT="), traceparent) + 1;
        /* What the process was started with goes on within the same trace only. */
        if (inheritance->started_trace_id[0] && strncmp(traceparent + 3, inheritance->started_trace_id, 32) == 0) {
            if (inheritance->tracestate) slots[used++] = (char *)inheritance->tracestate;
            if (inheritance->baggage) slots[used++] = (char *)inheritance->baggage;
        }
    }
    slots[used] = NULL;
    return slots;
}
