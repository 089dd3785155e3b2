/* otel_hook.h: the hooking engine (the wrapt of native code).
 *
 * otel_hook_wrap redirects the calls to a function that loaded objects make
 * through their GOT (JUMP_SLOT and GLOB_DAT relocations) to a replacement,
 * in every object loaded now and every object loaded later; otel_hook_unwrap
 * restores every slot it changed. Calls a library makes to itself are not
 * redirected (they do not go through its GOT for its own symbols, or would
 * double-count when they do): the defining object is skipped unless asked.
 *
 * Plugins reach these through the host table (hook_wrap, hook_unwrap,
 * hook_enter, hook_exit). Every symbol is prefixed otel_hook_. */
#ifndef OTEL_HOOK_H
#define OTEL_HOOK_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct otel_hook otel_hook;

/** Also patch the object that defines the symbol (its calls to itself). */
#define OTEL_HOOK_INCLUDE_DEFINING_OBJECT 1u

/** Redirects `symbol` to `replacement`; `*original` receives the real
 *  function (NULL until an object defining it is loaded). NULL on error. */
otel_hook *otel_hook_wrap(const char *symbol, void *replacement, void **original, unsigned flags);

/** Restores every slot the hook changed, in every object; idempotent. */
void otel_hook_unwrap(otel_hook *hook);

/** Patches objects loaded since the last look (called after dlopen; cheap when nothing changed). */
void otel_hook_refresh(void);

/** Between begin and end, wraps are recorded and applied together at the end,
 *  in one pass over the loaded objects (the runtime brackets the instrumentors). */
void otel_hook_batch_begin(void);
void otel_hook_batch_end(void);

/** How many GOT slots the hook has patched so far (for tests and diagnostics). */
unsigned otel_hook_patched_slots(const otel_hook *hook);

/** While the program has one thread, its calls to glibc's blocking
 *  system-call wrappers (read, recv, writev, epoll_wait, close, open …) make
 *  the system call directly, as glibc does in a single-threaded process,
 *  though the SDK's threads exist (direct_calls.c). Call before any other
 *  hook and before the SDK starts a thread; returns how many function names
 *  are routed (0: none — the process has threads already, or not x86-64).
 *  `ended` (may be NULL) is called once, on the thread that made them end,
 *  when the program starts a thread or cancels one. With `keep_blocks`, the
 *  program's first thread also keeps the blocks it frees above glibc's
 *  per-thread cache (1 033 bytes to 64 KiB, the last four) for its next
 *  allocations, sparing it the arena lock glibc takes for them once the
 *  SDK's threads exist (kept_blocks.c); the allocation functions then count
 *  among the routed names. */
unsigned otel_hook_direct_calls_start(bool keep_blocks, void (*ended)(void));

/** Per-thread re-entrancy guard for wrappers: true when the caller may
 *  record (not already inside a wrapper, not suppressed). Pair with exit. */
bool otel_hook_enter(void);
void otel_hook_exit(void);

/** Suppresses recording on this thread (the SDK's own work); nests. */
void otel_hook_suppress(void);
void otel_hook_unsuppress(void);

/** Called first by every thread the SDK starts: it records nothing
 *  (otel_hook_suppress), and until it ends the direct calls know it for
 *  one of ours, not the program's (by its thread id, not its name). */
void otel_hook_sdk_thread_start(void);

#ifdef __cplusplus
}
#endif
#endif
