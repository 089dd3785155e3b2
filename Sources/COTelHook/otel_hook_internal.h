/* What the hooking engine's files share (not part of otel_hook.h). */
#ifndef OTEL_HOOK_INTERNAL_H
#define OTEL_HOOK_INTERNAL_H

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
/* Objects loaded from now on are patched as they load (the engine's dlopen hooks). */
void otel_hook_follow_loads(void);

#endif
