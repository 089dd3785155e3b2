/* The environment a child process gets: the one its parent passed, with the
 * trace context of the parent's current span (context/env-carriers.md:
 * TRACEPARENT, TRACESTATE, BAGGAGE), our preload kept in LD_PRELOAD, and the
 * OTEL_* settings this process was started with where the caller's
 * environment lacks them, so the child is instrumented alike.
 *
 * Built without allocating or locking, into memory the caller provides:
 * exec in a vfork child runs on its parent's memory. */
#ifndef OTEL_CHILD_ENVIRONMENT_H
#define OTEL_CHILD_ENVIRONMENT_H
#include <stdbool.h>
#include <stddef.h>

/** What children inherit from this process, taken once from its environment at start. */
typedef struct otel_child_inheritance {
    const char **settings;          /**< "OTEL_…=…" entries */
    size_t setting_count;
    const char *preload;            /**< our preload's path (an LD_PRELOAD element), or NULL */
    const char *tracestate;         /**< "TRACESTATE=…" as started, or NULL */
    const char *baggage;            /**< "BAGGAGE=…" as started, or NULL */
    char started_trace_id[33];      /**< TRACEPARENT's trace id as started, "" when none */
} otel_child_inheritance;

/** Reads what children inherit from `environment` (allocates; call at start). */
void otel_child_inheritance_take(otel_child_inheritance *inheritance, char *const environment[]);

/** The pointer slots (the final NULL included) and text bytes the child
 *  environment of `environment` needs at most. */
size_t otel_child_environment_slots(const otel_child_inheritance *inheritance, char *const environment[], size_t *text_bytes);

/** Fills `slots` with the child environment of `environment` (NULL counts as
 *  empty), writing new entries into `text`; `traceparent` is the current
 *  span's (55 characters) or NULL. Sizes as otel_child_environment_slots said. */
char **otel_child_environment_build(const otel_child_inheritance *inheritance, char *const environment[], const char *traceparent,
                                    char **slots, char *text);
#endif
