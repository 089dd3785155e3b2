/* What the hooking engine's files share (not part of otel_hook.h). */
#ifndef OTEL_HOOK_INTERNAL_H
#define OTEL_HOOK_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* Marks what runs on the program's own calls (the direct functions, the
 * wrappers' enter and exit): gathered in .text.hot, in few cache lines and pages. */
#define OTEL_HOOK_HOT __attribute__((hot))

/* A hook that leaves the objects holding wrappers alone (the engine's own
 * dlopen, dlsym and dlvsym hooks: a plugin looking up a function must get the real one). */
#define OTEL_HOOK_SKIP_WRAPPER_OBJECTS 0x100u

/* A hook that lies underneath the others: it takes a slot only when no other
 * hook holds it, and its original is never the substitute below. */
#define OTEL_HOOK_UNDERNEATH 0x200u

/* The function to call instead of glibc's `function` (direct_calls.c): its
 * direct one while routed, else `function` itself. */
void *otel_hook_direct_substitute(void *function);
/* The glibc function a direct one stands for, else `function` itself. */
void *otel_hook_direct_libc_function(void *function);
/* After a dlopen: a thread its constructors started ends the direct calls. */
void otel_hook_direct_calls_after_load(void);
/* Whether the program may have started a thread (direct_calls.c): the direct calls and the kept blocks are over. */
extern atomic_bool otel_hook_program_threads;
static inline bool otel_hook_program_has_threads(void) {
    return atomic_load_explicit(&otel_hook_program_threads, memory_order_relaxed);
}

/* kept_blocks.c: glibc's allocation functions (set by the direct calls' start),
 * and the program's first thread's versions of them, which keep large freed blocks. */
extern void *(*otel_hook_libc_malloc)(size_t);
extern void (*otel_hook_libc_free)(void *);
extern int (*otel_hook_libc_posix_memalign)(void **, size_t, size_t);
extern void *(*otel_hook_libc_aligned_alloc)(size_t, size_t);
extern void *(*otel_hook_libc_memalign)(size_t, size_t);
void *otel_hook_keeping_malloc(size_t size);
void otel_hook_keeping_free(void *block);
int otel_hook_keeping_posix_memalign(void **out, size_t alignment, size_t size);
void *otel_hook_keeping_aligned_alloc(size_t alignment, size_t size);
void *otel_hook_keeping_memalign(size_t alignment, size_t size);
/* On the program's first thread: whether its size words read as glibc's (then it keeps blocks). */
bool otel_hook_kept_blocks_start(void);
/* What the calling thread kept goes back to glibc. */
void otel_hook_kept_blocks_release(void);

/* Objects loaded from now on are patched as they load (the engine's dlopen hooks). */
void otel_hook_follow_loads(void);

#endif
