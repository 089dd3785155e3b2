/* Freed blocks kept for the program's next allocations while it has one
 * thread (otel_hook.h, otel_hook_direct_calls_start).
 *
 * glibc serves blocks of up to 1 032 bytes from a per-thread cache (tcache)
 * without a lock. Larger ones come from an arena, and once a process has a
 * second thread glibc locks that arena for every malloc and free of them
 * (malloc.c: SINGLE_THREAD_P is false from the first pthread_create on, and
 * never true again). The SDK's export threads make every instrumented process
 * such a one: a single-threaded nginx then takes the lock four times per
 * request, for the two 4 KiB pools it allocates and frees (measured:
 * docs/performance.md).
 *
 * So while the program has started no thread, the blocks its first thread
 * frees between 1 033 bytes and 64 KiB are kept, the last four, and that
 * thread's next allocation of about their size (a block at most a quarter
 * larger than asked for, aligned as asked, the newest first) takes one back:
 * no lock, and no search of glibc's bins, which costs more than the lock
 * (nginx: ~700 instructions fewer per request, docs/performance.md). A kept
 * block stays a glibc block in use, like any other, which realloc,
 * malloc_usable_size and free accept wherever it ends up. Other threads (the
 * SDK's, or one the program started unseen) never touch the kept blocks: they
 * are the first thread's own, in its thread-local storage. From the moment
 * the program starts a thread, every call goes to glibc again and what is
 * kept goes back to it.
 *
 * A block's size is read from the word glibc keeps before it (malloc.c, "Chunk
 * representations": its size with three flag bits), checked against
 * malloc_usable_size when the direct calls start: where they disagree
 * nothing is kept. Blocks glibc made with mmap, or from another thread's
 * arena, go back to glibc. A kept block carries a mark in its second word
 * (as glibc's tcache marks its blocks): only a block freed with that mark is
 * looked for among the kept ones, and one found there (freed twice) goes back
 * to glibc and is freed there again, which glibc reports as it would have.
 * Nothing is kept where the user asked glibc to check or perturb its blocks.
 * x86-64 only, as the direct calls. */
#define _GNU_SOURCE
#include "otel_hook_internal.h"

#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)

/* glibc's largest tcache block by default (tcache_max_bytes, 64 bins). */
#define TCACHE_LIMIT 1032u
/* The largest block kept: well below glibc's smallest mmap threshold (128 KiB). */
#define KEPT_LIMIT (64u * 1024u)
#define KEPT_COUNT 4u

/* The flag bits of a block's size word (malloc.c: PREV_INUSE, IS_MMAPPED, NON_MAIN_ARENA). */
#define SIZE_FLAGS 7u
#define MMAPPED 2u
#define NON_MAIN_ARENA 4u

void *(*otel_hook_libc_malloc)(size_t);
void (*otel_hook_libc_free)(void *);
int (*otel_hook_libc_posix_memalign)(void **, size_t, size_t);
void *(*otel_hook_libc_aligned_alloc)(size_t, size_t);
void *(*otel_hook_libc_memalign)(size_t, size_t);

/* The first thread's kept blocks (every other thread's `keeps` is false). */
static __thread struct {
    bool keeps;
    unsigned count; /* entries, oldest first */
    struct {
        void *block;
        size_t usable;
    } entries[KEPT_COUNT];
} kept __attribute__((tls_model("initial-exec")));

/* Bytes of a block in use that the program may use: glibc's malloc_usable_size for it. */
static inline size_t usable_size(size_t size_word) { return (size_word & ~(size_t)SIZE_FLAGS) - sizeof(size_t); }

/* Whether the user asked glibc to check or perturb its blocks (MALLOC_CHECK_,
 * MALLOC_PERTURB_, or their tunables): kept blocks would go round those checks. */
static bool malloc_debugging(void) {
    const char *tunables = getenv("GLIBC_TUNABLES");
    return getenv("MALLOC_CHECK_") || getenv("MALLOC_PERTURB_") ||
           (tunables && (strstr(tunables, "glibc.malloc.check") || strstr(tunables, "glibc.malloc.perturb")));
}

bool otel_hook_kept_blocks_start(void) {
    if (!otel_hook_libc_malloc || !otel_hook_libc_free || malloc_debugging()) return false;
    /* A block of each kind kept: its size word must say what glibc says. */
    static const size_t probes[] = {TCACHE_LIMIT + 1, 4096, KEPT_LIMIT};
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        void *block = otel_hook_libc_malloc(probes[i]);
        if (!block) return false;
        size_t word = ((const size_t *)block)[-1];
        bool agrees = !(word & (MMAPPED | NON_MAIN_ARENA)) && usable_size(word) == malloc_usable_size(block);
        otel_hook_libc_free(block);
        if (!agrees) return false;
    }
    kept.keeps = true;
    return true;
}

void otel_hook_kept_blocks_release(void) {
    while (kept.count) otel_hook_libc_free(kept.entries[--kept.count].block);
}

/* The mark a kept block carries in its second word (glibc's tcache marks
 * its blocks the same way): a block freed with it may be kept already, which
 * only then is looked for. Cleared when the block is taken. */
#define KEPT_MARK ((uintptr_t)0x6f74656c6b657074u) /* "otelkept" */

static inline uintptr_t *mark_of(void *block) { return (uintptr_t *)block + 1; }

/* The slow paths stay out of the wrappers, which then save no registers and
 * end in a jump to glibc's function. */

/* Removes the entry at `index`, the newer ones moving down a place. */
static void remove_entry(unsigned index) {
    kept.count--;
    for (unsigned i = index; i < kept.count; i++) kept.entries[i] = kept.entries[i + 1];
}

/* A block of the kept size that the usual path does not keep: the program
 * has started threads (what was kept goes back to glibc, then `block`), it
 * frees a kept block a second time (it goes back to glibc and is freed there
 * again, which glibc reports and stops the program for, as it would have
 * without the kept blocks), or every place is taken (the oldest goes back to
 * glibc: blocks the program freed once, at its start, do not hold places for ever). */
static __attribute__((noinline)) void keep_slowly(void *block, size_t usable) {
    if (otel_hook_program_has_threads()) {
        otel_hook_kept_blocks_release();
        return otel_hook_libc_free(block);
    }
    if (*mark_of(block) == KEPT_MARK) {
        for (unsigned i = 0; i < kept.count; i++) {
            if (kept.entries[i].block != block) continue;
            remove_entry(i);
            otel_hook_libc_free(block);
            return otel_hook_libc_free(block);
        }
    }
    void *oldest = NULL;
    if (kept.count == KEPT_COUNT) {
        oldest = kept.entries[0].block;
        remove_entry(0);
    }
    *mark_of(block) = KEPT_MARK;
    kept.entries[kept.count].block = block;
    kept.entries[kept.count].usable = usable;
    kept.count++;
    if (oldest) otel_hook_libc_free(oldest);
}

/* Whether a kept block of `usable` bytes at `block` serves `size` bytes aligned
 * to `alignment`: at most a quarter larger (usable - size wraps round for a
 * block too small). */
static inline bool serves(void *block, size_t usable, size_t size, size_t alignment) {
    return usable - size <= size / 4 && ((uintptr_t)block & (alignment - 1)) == 0;
}

/* An older kept block for `size` bytes aligned to `alignment` (the newest
 * did not serve), NULL if none. */
static __attribute__((noinline)) void *take_older(size_t size, size_t alignment) {
    for (unsigned i = kept.count - 1; i-- > 0;) {
        void *block = kept.entries[i].block;
        if (!serves(block, kept.entries[i].usable, size, alignment)) continue;
        remove_entry(i);
        *mark_of(block) = 0;
        return block;
    }
    return NULL;
}

/* Whether the kept blocks may serve an allocation of `size` bytes now (`count` of them). */
static inline bool may_take(size_t size, unsigned count) {
    return count && size - (TCACHE_LIMIT + 1) < KEPT_LIMIT - TCACHE_LIMIT && !otel_hook_program_has_threads();
}

/* The newest kept block if it serves `size` bytes aligned to `alignment`
 * (what the program freed last it most likely asks for again: nginx frees its
 * two request pools and asks for two again), else NULL. */
static inline void *take_newest(size_t size, size_t alignment, unsigned count) {
    void *block = kept.entries[count - 1].block;
    if (!serves(block, kept.entries[count - 1].usable, size, alignment)) return NULL;
    kept.count = count - 1;
    *mark_of(block) = 0;
    return block;
}

/* The newest did not serve: an older kept block, else glibc's. */
static __attribute__((noinline)) void *older_or_malloc(size_t size) {
    void *block = take_older(size, 1);
    return block ? block : otel_hook_libc_malloc(size);
}
static __attribute__((noinline)) int older_or_posix_memalign(void **out, size_t alignment, size_t size) {
    void *block = take_older(size, alignment);
    if (!block) return otel_hook_libc_posix_memalign(out, alignment, size);
    *out = block;
    return 0;
}
static __attribute__((noinline)) void *older_or_aligned(void *(*allocate)(size_t, size_t), size_t alignment, size_t size) {
    void *block = take_older(size, alignment);
    return block ? block : allocate(alignment, size);
}

static inline bool valid_alignment(size_t alignment) { return alignment && (alignment & (alignment - 1)) == 0; }

OTEL_HOOK_HOT void *otel_hook_keeping_malloc(size_t size) {
    unsigned count = kept.count;
    if (may_take(size, count)) {
        void *block = take_newest(size, 1, count);
        if (block) return block;
        if (count > 1) return older_or_malloc(size);
    }
    return otel_hook_libc_malloc(size);
}

OTEL_HOOK_HOT void otel_hook_keeping_free(void *block) {
    if (!block || !kept.keeps) return otel_hook_libc_free(block);
    size_t word = ((const size_t *)block)[-1];
    size_t usable = usable_size(word);
    if ((word & (MMAPPED | NON_MAIN_ARENA)) || usable <= TCACHE_LIMIT || usable > KEPT_LIMIT) return otel_hook_libc_free(block);
    unsigned count = kept.count;
    if (__builtin_expect(count == KEPT_COUNT || *mark_of(block) == KEPT_MARK || otel_hook_program_has_threads(), 0))
        return keep_slowly(block, usable);
    *mark_of(block) = KEPT_MARK;
    kept.entries[count].block = block;
    kept.entries[count].usable = usable;
    kept.count = count + 1;
}

/* posix_memalign's alignment: a power of two and a multiple of a pointer's size (POSIX); glibc says EINVAL otherwise. */
OTEL_HOOK_HOT int otel_hook_keeping_posix_memalign(void **out, size_t alignment, size_t size) {
    unsigned count = kept.count;
    if (may_take(size, count) && valid_alignment(alignment) && alignment % sizeof(void *) == 0) {
        void *block = take_newest(size, alignment, count);
        if (block) {
            *out = block;
            return 0;
        }
        if (count > 1) return older_or_posix_memalign(out, alignment, size);
    }
    return otel_hook_libc_posix_memalign(out, alignment, size);
}

/* aligned_alloc and memalign alike (glibc's `allocate`): any power of two as alignment. */
static inline void *keeping_aligned(void *(*allocate)(size_t, size_t), size_t alignment, size_t size) {
    unsigned count = kept.count;
    if (may_take(size, count) && valid_alignment(alignment)) {
        void *block = take_newest(size, alignment, count);
        if (block) return block;
        if (count > 1) return older_or_aligned(allocate, alignment, size);
    }
    return allocate(alignment, size);
}

OTEL_HOOK_HOT void *otel_hook_keeping_aligned_alloc(size_t alignment, size_t size) {
    return keeping_aligned(otel_hook_libc_aligned_alloc, alignment, size);
}

OTEL_HOOK_HOT void *otel_hook_keeping_memalign(size_t alignment, size_t size) {
    return keeping_aligned(otel_hook_libc_memalign, alignment, size);
}

#else

bool otel_hook_kept_blocks_start(void) { return false; }
void otel_hook_kept_blocks_release(void) {}

#endif
