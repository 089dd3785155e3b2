/* The hooking engine (otel_hook.h): GOT slot patching over dl_iterate_phdr. */
#define _GNU_SOURCE
#include "otel_hook.h"
#include "otel_hook_internal.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__)
#define OTEL_R_JUMP_SLOT R_X86_64_JUMP_SLOT
#define OTEL_R_GLOB_DAT R_X86_64_GLOB_DAT
#elif defined(__aarch64__)
#define OTEL_R_JUMP_SLOT R_AARCH64_JUMP_SLOT
#define OTEL_R_GLOB_DAT R_AARCH64_GLOB_DAT
#else
#error "otel_hook: unsupported architecture"
#endif

typedef struct otel_hook_patch {
    void **slot;
    void *previous;
    int relro; /* the slot's page is read-only outside patching */
} otel_hook_patch;

struct otel_hook {
    uintptr_t replacement_base; /* the object defining the replacement (never patched) */
    uintptr_t original_base;    /* the object defining the original, once known */
    char *symbol;
    void *replacement;
    void **original;
    unsigned flags;
    int active;
    int pending; /* wrapped inside a batch, not patched yet */
    otel_hook_patch *patches;
    unsigned patch_count, patch_capacity;
    struct otel_hook *next;
};

static pthread_mutex_t otel_hook_lock = PTHREAD_MUTEX_INITIALIZER;
static otel_hook *otel_hooks;
static int otel_hook_batch_depth;

/* The hooks one pass applies, to the loaded objects from the `first` on
 * (dl_iterate_phdr's order: the order they were loaded in). */
typedef struct otel_hook_set {
    otel_hook **hooks;
    unsigned count;
    unsigned first;
    unsigned at; /* the object the pass is at */
} otel_hook_set;
/* dl_iterate_phdr's adds/subs counters when the objects were last patched. */
static unsigned long long otel_hook_seen_adds, otel_hook_seen_subs;
/* How many objects every active hook has been applied to (by otel_hook_refresh). */
static unsigned otel_hook_refreshed_objects;

static __thread int otel_hook_depth __attribute__((tls_model("initial-exec")));
static __thread int otel_hook_suppressed __attribute__((tls_model("initial-exec")));

OTEL_HOOK_HOT bool otel_hook_enter(void) {
    if (otel_hook_depth++ > 0 || otel_hook_suppressed > 0) return false;
    return true;
}

OTEL_HOOK_HOT void otel_hook_exit(void) { otel_hook_depth--; }
void otel_hook_suppress(void) { otel_hook_suppressed++; }
void otel_hook_unsuppress(void) { otel_hook_suppressed--; }

/* An address, and the load address of the object whose segments hold it. */
typedef struct otel_hook_base_query {
    uintptr_t address;
    uintptr_t base;
} otel_hook_base_query;

static int otel_hook_find_base(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    otel_hook_base_query *query = data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *phdr = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + phdr->p_vaddr;
        if (phdr->p_type == PT_LOAD && query->address >= start && query->address - start < phdr->p_memsz) {
            query->base = info->dlpi_addr;
            return 1;
        }
    }
    return 0;
}

/* The load address (dlpi_addr, what the passes compare) of the object
 * containing `address`, 0 when unknown: found from the objects' segments
 * (dladdr would search a symbol table of thousands of names each time). */
static uintptr_t otel_hook_object_base(const void *address) {
    otel_hook_base_query query = {(uintptr_t)address, 0};
    if (address) dl_iterate_phdr(otel_hook_find_base, &query);
    return query.base;
}

static uintptr_t otel_hook_engine_base;

/* What a hook calls for the function `real`: the direct function standing for
 * a glibc one (direct_calls.c), except in the hooks that are those functions. */
static void *otel_hook_original_for(const otel_hook *hook, void *real) {
    return hook->flags & OTEL_HOOK_UNDERNEATH ? real : otel_hook_direct_substitute(real);
}

/* Whether `function` is another active hook's replacement (called with the lock held). */
static int otel_hook_is_replacement(const otel_hook *hook, const void *function) {
    for (const otel_hook *other = otel_hooks; other; other = other->next) {
        if (other != hook && other->active && other->replacement == function) return 1;
    }
    return 0;
}

static int otel_hook_holds_wrappers(uintptr_t base) {
    for (otel_hook *other = otel_hooks; other; other = other->next) {
        if (other->active && other->replacement_base == base) return 1;
    }
    return 0;
}

/* Objects never patched: the vDSO, the dynamic loader, and ours (the object
 * containing the replacement, and this engine's own). */
static int otel_hook_skip_object(const struct dl_phdr_info *info, otel_hook *hook) {
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    if (strstr(name, "linux-vdso") || strstr(name, "ld-linux") || strstr(name, "/ld-")) return 1;
    uintptr_t base = (uintptr_t)info->dlpi_addr;
    if (base == hook->replacement_base || base == otel_hook_engine_base) return 1;
    if ((hook->flags & OTEL_HOOK_SKIP_WRAPPER_OBJECTS) && otel_hook_holds_wrappers(base)) return 1;
    if (!hook->original_base && *hook->original)
        hook->original_base = otel_hook_object_base(otel_hook_direct_libc_function(*hook->original));
    return !(hook->flags & OTEL_HOOK_INCLUDE_DEFINING_OBJECT) && hook->original_base && base == hook->original_base;
}

/* Whether [address, address+8) lies in the object's PT_GNU_RELRO range. */
static int otel_hook_in_relro(const struct dl_phdr_info *info, uintptr_t address) {
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *phdr = &info->dlpi_phdr[i];
        if (phdr->p_type != PT_GNU_RELRO) continue;
        uintptr_t start = info->dlpi_addr + phdr->p_vaddr;
        if (address >= start && address < start + phdr->p_memsz) return 1;
    }
    return 0;
}

/* Writes `value` into `slot`, making a read-only (RELRO) page writable only
 * meanwhile; a page that is writable anyway (lazy binding's .got.plt) is left as it is. */
static int otel_hook_write_slot(int relro, void **slot, void *value) {
    long page_size = sysconf(_SC_PAGESIZE);
    void *page = (void *)((uintptr_t)slot & ~(uintptr_t)(page_size - 1));
    if (relro && mprotect(page, (size_t)page_size, PROT_READ | PROT_WRITE) != 0) return -1;
    __atomic_store_n(slot, value, __ATOMIC_RELEASE);
    if (relro) mprotect(page, (size_t)page_size, PROT_READ);
    return 0;
}

static void otel_hook_record(otel_hook *hook, void **slot, void *previous, int relro) {
    for (unsigned i = 0; i < hook->patch_count; i++) {
        if (hook->patches[i].slot == slot) return;
    }
    if (hook->patch_count == hook->patch_capacity) {
        unsigned capacity = hook->patch_capacity ? hook->patch_capacity * 2 : 8;
        otel_hook_patch *grown = realloc(hook->patches, capacity * sizeof *grown);
        if (!grown) return;
        hook->patches = grown;
        hook->patch_capacity = capacity;
    }
    hook->patches[hook->patch_count++] = (otel_hook_patch){slot, previous, relro};
}

/* A dynamic-section pointer: relocated in memory by ld.so for most objects, not for all. */
static uintptr_t otel_hook_pointer(const struct dl_phdr_info *info, ElfW(Addr) value) {
    return value < info->dlpi_addr ? info->dlpi_addr + value : value;
}

/* The dynamic-section tables of one loaded object. */
typedef struct otel_hook_object {
    const struct dl_phdr_info *info;
    const ElfW(Sym) *symbols;
    const char *strings;
    const uint32_t *sysv_hash; /* DT_HASH: every symbol */
    const uint32_t *gnu_hash;  /* DT_GNU_HASH: defined symbols only */
    const ElfW(Half) *versions; /* DT_VERSYM */
    const ElfW(Verneed) *needed_versions;
    size_t needed_version_count;
    const ElfW(Rela) *relocation_tables[2]; /* DT_JMPREL, DT_RELA */
    size_t relocation_sizes[2];
    void *handle; /* dlopen(RTLD_NOLOAD) of the object, opened when first needed */
    int handle_opened;
} otel_hook_object;

/* The most import entries one object may have for one name (one per symbol version it uses). */
#define OTEL_HOOK_MAX_IMPORTS 4

/* The hooks that apply to one object, with the symbol indices their imports have there. */
typedef struct otel_hook_target {
    otel_hook *hook;
    size_t indices[OTEL_HOOK_MAX_IMPORTS];
    unsigned count;
} otel_hook_target;

/* Records `index` for every target whose symbol it imports (an undefined symbol of that name). */
static void otel_hook_consider_import(const otel_hook_object *object, size_t index, otel_hook_target *targets, unsigned count) {
    const ElfW(Sym) *symbol = &object->symbols[index];
    if (symbol->st_shndx != SHN_UNDEF) return;
    const char *name = object->strings + symbol->st_name;
    for (unsigned t = 0; t < count; t++) {
        otel_hook_target *target = &targets[t];
        if (target->hook->symbol[0] != name[0] || target->count >= OTEL_HOOK_MAX_IMPORTS || strcmp(name, target->hook->symbol) != 0) continue;
        int known = 0;
        for (unsigned k = 0; k < target->count; k++) known |= target->indices[k] == index;
        if (!known) target->indices[target->count++] = index;
    }
}

/* Finds the symbol-table indices of the targets' imports: what the object's
 * relocations for those functions refer to. With DT_HASH, the SysV table that
 * lists every symbol, one hash chain per target is walked. DT_GNU_HASH lists
 * only the symbols an object defines and orders the undefined ones first,
 * below its symoffset, so that import range is scanned once for all targets
 * (a first-byte comparison per target). An object with neither table is read
 * through its relocations. */
static void otel_hook_find_imports(const otel_hook_object *object, otel_hook_target *targets, unsigned count) {
    if (object->sysv_hash) {
        uint32_t bucket_count = object->sysv_hash[0];
        const uint32_t *buckets = &object->sysv_hash[2];
        const uint32_t *chains = &buckets[bucket_count];
        for (unsigned t = 0; t < count; t++) {
            uint32_t hash = 0;
            for (const unsigned char *c = (const unsigned char *)targets[t].hook->symbol; *c; c++) {
                hash = (hash << 4) + *c;
                uint32_t high = hash & 0xf0000000u;
                if (high) hash ^= high >> 24;
                hash &= ~high;
            }
            for (uint32_t index = buckets[hash % bucket_count]; index != STN_UNDEF; index = chains[index])
                otel_hook_consider_import(object, index, &targets[t], 1);
        }
    } else if (object->gnu_hash) {
        uint32_t first_hashed = object->gnu_hash[1];
        for (uint32_t index = 1; index < first_hashed; index++) otel_hook_consider_import(object, index, targets, count);
    } else {
        for (int table = 0; table < 2; table++) {
            const ElfW(Rela) *relocations = object->relocation_tables[table];
            for (size_t i = 0; relocations && i < object->relocation_sizes[table] / sizeof *relocations; i++) {
                size_t index = ELF64_R_SYM(relocations[i].r_info);
                if (index) otel_hook_consider_import(object, index, targets, count);
            }
        }
    }
}

/* The object as a dlopen handle (NULL for one that cannot be reopened). */
static void *otel_hook_object_handle(otel_hook_object *object) {
    if (!object->handle_opened) {
        const char *name = object->info->dlpi_name;
        object->handle = dlopen(name && *name ? name : NULL, RTLD_LAZY | RTLD_NOLOAD);
        object->handle_opened = 1;
    }
    return object->handle;
}

/* The name of the symbol version an import requires (NULL: none, any will do),
 * from DT_VERSYM and DT_VERNEED. */
static const char *otel_hook_required_version(const otel_hook_object *object, size_t index) {
    if (!object->versions || !object->needed_versions) return NULL;
    ElfW(Half) version = object->versions[index] & 0x7fff;
    if (version < 2) return NULL; /* local or global: unversioned */
    const ElfW(Verneed) *needed = object->needed_versions;
    for (size_t i = 0; i < object->needed_version_count; i++) {
        const ElfW(Vernaux) *auxiliary = (const ElfW(Vernaux) *)((const char *)needed + needed->vn_aux);
        for (unsigned k = 0; k < needed->vn_cnt; k++) {
            if (auxiliary->vna_other == version) return object->strings + auxiliary->vna_name;
            auxiliary = (const ElfW(Vernaux) *)((const char *)auxiliary + auxiliary->vna_next);
        }
        if (!needed->vn_next) break;
        needed = (const ElfW(Verneed) *)((const char *)needed + needed->vn_next);
    }
    return NULL;
}

/* Whether calls through this import may go to the hook's replacement: the
 * original it calls must be the very function the import binds to. An import
 * of another version than the default one (an old binary's memcpy@GLIBC_2.2.5,
 * say) binds to another function, which the wrapper would not call, so it is
 * left alone. Sets the hook's original from the object's scope when unknown
 * (a library dlopened RTLD_LOCAL is not in the global scope). */
static int otel_hook_import_matches(otel_hook_object *object, otel_hook *hook, size_t index) {
    void *handle = NULL;
    if (!*hook->original) {
        handle = otel_hook_object_handle(object);
        void *real = handle ? dlsym(handle, hook->symbol) : NULL;
        if (!real || real == hook->replacement) return 0;
        __atomic_store_n(hook->original, otel_hook_original_for(hook, real), __ATOMIC_RELEASE);
    }
    const char *version = otel_hook_required_version(object, index);
    if (!version) return 1;
    handle = otel_hook_object_handle(object);
    return handle && otel_hook_original_for(hook, dlvsym(handle, hook->symbol, version)) == *hook->original;
}

static void otel_hook_patch_slot(const struct dl_phdr_info *info, otel_hook *hook, void **slot) {
    void *current = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (current == hook->replacement) return;
    /* A hook underneath never takes a slot from another one (whose original it is). */
    if ((hook->flags & OTEL_HOOK_UNDERNEATH) && otel_hook_is_replacement(hook, current)) return;
    int relro = otel_hook_in_relro(info, (uintptr_t)slot);
    if (otel_hook_write_slot(relro, slot, hook->replacement) == 0) otel_hook_record(hook, slot, current, relro);
}

/* Patches the slots of the object's relocations that refer to a target's
 * imports: one integer comparison per relocation and target. */
static void otel_hook_patch_relocations(const otel_hook_object *object, const otel_hook_target *targets, unsigned count) {
    for (int table = 0; table < 2; table++) {
        const ElfW(Rela) *relocations = object->relocation_tables[table];
        for (size_t i = 0; relocations && i < object->relocation_sizes[table] / sizeof *relocations; i++) {
            unsigned long type = ELF64_R_TYPE(relocations[i].r_info);
            if (type != OTEL_R_JUMP_SLOT && type != OTEL_R_GLOB_DAT) continue;
            size_t index = ELF64_R_SYM(relocations[i].r_info);
            for (unsigned t = 0; t < count; t++) {
                for (unsigned k = 0; k < targets[t].count; k++) {
                    if (targets[t].indices[k] == index)
                        otel_hook_patch_slot(object->info, targets[t].hook, (void **)(object->info->dlpi_addr + relocations[i].r_offset));
                }
            }
        }
    }
}

/* Reads the object's dynamic section; 0 when it has no symbol table. */
static int otel_hook_read_object(struct dl_phdr_info *info, otel_hook_object *object) {
    memset(object, 0, sizeof *object);
    object->info = info;
    const ElfW(Dyn) *dynamic = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC) dynamic = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    }
    if (!dynamic) return 0;
    for (const ElfW(Dyn) *entry = dynamic; entry->d_tag != DT_NULL; entry++) {
        uintptr_t pointer = otel_hook_pointer(info, entry->d_un.d_ptr);
        switch (entry->d_tag) {
        case DT_SYMTAB: object->symbols = (const ElfW(Sym) *)pointer; break;
        case DT_STRTAB: object->strings = (const char *)pointer; break;
        case DT_HASH: object->sysv_hash = (const uint32_t *)pointer; break;
        case DT_GNU_HASH: object->gnu_hash = (const uint32_t *)pointer; break;
        case DT_VERSYM: object->versions = (const ElfW(Half) *)pointer; break;
        case DT_VERNEED: object->needed_versions = (const ElfW(Verneed) *)pointer; break;
        case DT_VERNEEDNUM: object->needed_version_count = entry->d_un.d_val; break;
        case DT_JMPREL: object->relocation_tables[0] = (const ElfW(Rela) *)pointer; break;
        case DT_PLTRELSZ: object->relocation_sizes[0] = entry->d_un.d_val; break;
        case DT_RELA: object->relocation_tables[1] = (const ElfW(Rela) *)pointer; break;
        case DT_RELASZ: object->relocation_sizes[1] = entry->d_un.d_val; break;
        default: break;
        }
    }
    return object->symbols && object->strings;
}

static int otel_hook_patch_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    otel_hook_set *set = data;
    if (set->at++ < set->first) return 0;
    otel_hook_target targets[64];
    unsigned count = 0;
    otel_hook_object object;
    int readable = -1;
    for (unsigned k = 0; k < set->count && count < 64; k++) {
        otel_hook *hook = set->hooks[k];
        if (otel_hook_skip_object(info, hook)) continue;
        if (readable < 0) readable = otel_hook_read_object(info, &object);
        if (!readable) return 0;
        targets[count++] = (otel_hook_target){.hook = hook};
    }
    if (!count) return 0;
    otel_hook_find_imports(&object, targets, count);
    /* Keep the imports each hook may take over (its original is the function they bind to). */
    unsigned kept = 0;
    for (unsigned t = 0; t < count; t++) {
        otel_hook_target target = targets[t];
        unsigned matching = 0;
        for (unsigned i = 0; i < target.count; i++) {
            if (otel_hook_import_matches(&object, target.hook, target.indices[i])) target.indices[matching++] = target.indices[i];
        }
        target.count = matching;
        if (matching) targets[kept++] = target;
    }
    if (kept) otel_hook_patch_relocations(&object, targets, kept);
    if (readable > 0 && object.handle) dlclose(object.handle);
    return 0;
}

/* Applies hooks, 64 at a time, to the loaded objects from the `first` on:
 * the pending ones (`pending_only`), else every active one — but for a pass
 * over the newest objects alone (`first` > 0), which leaves pending hooks to
 * their own pass over all. Called with the lock held. */
static void otel_hook_apply(int pending_only, unsigned first) {
    otel_hook *selected[64];
    otel_hook_set set = {selected, 0, first, 0};
    for (otel_hook *hook = otel_hooks; hook; hook = hook->next) {
        if (!hook->active || (pending_only && !hook->pending) || (first && hook->pending)) continue;
        hook->pending = 0;
        selected[set.count++] = hook;
        if (set.count == 64) {
            dl_iterate_phdr(otel_hook_patch_object, &set);
            set.count = 0;
            set.at = 0;
        }
    }
    if (set.count) dl_iterate_phdr(otel_hook_patch_object, &set);
}

/* dl_iterate_phdr's counters (the same in every entry) and the number of
 * loaded objects, read in one pass: a consistent view. */
static int otel_hook_read_counters(struct dl_phdr_info *info, size_t size, void *data) {
    unsigned long long *counters = data;
    if (counters[2]++ == 0 && size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
        counters[0] = info->dlpi_adds;
        counters[1] = info->dlpi_subs;
    }
    return 0;
}

/* Objects loaded later are patched as they load: dlopen and dlmopen are
 * themselves wrapped, once, when the first hook is made. */
static void *(*otel_hook_real_dlopen)(const char *, int);
static void *(*otel_hook_real_dlmopen)(Lmid_t, const char *, int);
static pthread_once_t otel_hook_dlopen_once = PTHREAD_ONCE_INIT;

/* Patches what a successful load brought in, invisibly to the program. */
static void otel_hook_after_load(void) {
    int saved = errno;
    otel_hook_refresh();
    otel_hook_direct_calls_after_load();
    (void)dlerror(); /* the program sees no error from our own lookups */
    errno = saved;
}

static void *otel_hook_dlopen(const char *file, int mode) {
    void *handle = otel_hook_real_dlopen ? otel_hook_real_dlopen(file, mode) : NULL;
    if (handle) otel_hook_after_load();
    return handle;
}

/* Objects loaded into another link-map namespace are left alone: that
 * namespace has its own copy of each library, a wrapper there would call
 * ours, and dl_iterate_phdr reports only the caller's namespace anyway. */
static void *otel_hook_dlmopen(Lmid_t namespace, const char *file, int mode) {
    void *handle = otel_hook_real_dlmopen ? otel_hook_real_dlmopen(namespace, file, mode) : NULL;
    if (handle && namespace == LM_ID_BASE) otel_hook_after_load();
    return handle;
}

/* dlsym and dlvsym hand out the wrapper for a wrapped function, so calls
 * through pointers looked up at run time are traced too. */
static void *(*otel_hook_real_dlsym)(void *, const char *);
static void *(*otel_hook_real_dlvsym)(void *, const char *, const char *);

static void *otel_hook_wrapper_for(void *address) {
    if (!address) return NULL;
    void *wrapper = NULL, *underneath = NULL, *substitute = otel_hook_direct_substitute(address);
    pthread_mutex_lock(&otel_hook_lock);
    for (otel_hook *hook = otel_hooks; hook; hook = hook->next) {
        if (!hook->active || hook->replacement_base == 0) continue;
        if (hook->flags & OTEL_HOOK_UNDERNEATH) {
            if (*hook->original == address) underneath = hook->replacement;
        } else if (*hook->original == substitute) {
            wrapper = hook->replacement;
        }
    }
    pthread_mutex_unlock(&otel_hook_lock);
    return wrapper ? wrapper : underneath ? underneath : address;
}

static void *otel_hook_dlsym(void *handle, const char *symbol) {
    void *address = otel_hook_real_dlsym ? otel_hook_real_dlsym(handle, symbol) : NULL;
    return otel_hook_wrapper_for(address);
}

static void *otel_hook_dlvsym(void *handle, const char *symbol, const char *version) {
    void *address = otel_hook_real_dlvsym ? otel_hook_real_dlvsym(handle, symbol, version) : NULL;
    return otel_hook_wrapper_for(address);
}

/* A forked child has one thread: the engine's lock is free again, whoever held it. */
static void otel_hook_after_fork_in_child(void) {
    pthread_mutex_init(&otel_hook_lock, NULL);
}

static void otel_hook_follow_dlopen(void) {
    pthread_atfork(NULL, NULL, otel_hook_after_fork_in_child);
    otel_hook_wrap("dlopen", (void *)otel_hook_dlopen, (void **)&otel_hook_real_dlopen, OTEL_HOOK_SKIP_WRAPPER_OBJECTS);
    otel_hook_wrap("dlmopen", (void *)otel_hook_dlmopen, (void **)&otel_hook_real_dlmopen, OTEL_HOOK_SKIP_WRAPPER_OBJECTS);
    otel_hook_wrap("dlsym", (void *)otel_hook_dlsym, (void **)&otel_hook_real_dlsym, OTEL_HOOK_SKIP_WRAPPER_OBJECTS);
    otel_hook_wrap("dlvsym", (void *)otel_hook_dlvsym, (void **)&otel_hook_real_dlvsym, OTEL_HOOK_SKIP_WRAPPER_OBJECTS);
}

void otel_hook_follow_loads(void) { pthread_once(&otel_hook_dlopen_once, otel_hook_follow_dlopen); }

otel_hook *otel_hook_wrap(const char *symbol, void *replacement, void **original, unsigned flags) {
    if (!symbol || !replacement || !original) return NULL;
    otel_hook *hook = calloc(1, sizeof *hook);
    if (!hook || !(hook->symbol = strdup(symbol))) {
        free(hook);
        return NULL;
    }
    hook->replacement = replacement;
    hook->replacement_base = otel_hook_object_base(replacement);
    if (!otel_hook_engine_base) otel_hook_engine_base = otel_hook_object_base((void *)otel_hook_wrap);
    hook->original = original;
    hook->flags = flags;
    hook->active = 1;
    if (!*original) {
        void *real = dlsym(RTLD_DEFAULT, symbol);
        if (real != replacement) *original = otel_hook_original_for(hook, real);
    }
    pthread_mutex_lock(&otel_hook_lock);
    unsigned long long counters[3] = {0, 0, 0};
    dl_iterate_phdr(otel_hook_read_counters, counters);
    otel_hook_seen_adds = counters[0];
    otel_hook_seen_subs = counters[1];
    hook->pending = 1;
    hook->next = otel_hooks;
    otel_hooks = hook;
    if (otel_hook_batch_depth == 0) otel_hook_apply(1, 0);
    pthread_mutex_unlock(&otel_hook_lock);
    /* After the hook is listed, so that its object counts as holding wrappers. */
    /* The engine's own hooks (dlopen, dlmopen, dlsym, dlvsym) are made inside that once. */
    if (hook->replacement_base != otel_hook_engine_base) pthread_once(&otel_hook_dlopen_once, otel_hook_follow_dlopen);
    return hook;
}

void otel_hook_refresh(void) {
    unsigned long long counters[3] = {0, 0, 0};
    dl_iterate_phdr(otel_hook_read_counters, counters);
    pthread_mutex_lock(&otel_hook_lock);
    if (counters[0] != otel_hook_seen_adds || counters[1] != otel_hook_seen_subs) {
        /* Nothing unloaded since the last refresh: the objects it saw come first, patched already
         * (a hook made since was applied to all at once); the others are patched, not all again. */
        unsigned objects = (unsigned)counters[2];
        unsigned first = counters[1] == otel_hook_seen_subs && objects >= otel_hook_refreshed_objects ? otel_hook_refreshed_objects : 0;
        otel_hook_seen_adds = counters[0];
        otel_hook_seen_subs = counters[1];
        otel_hook_refreshed_objects = objects;
        otel_hook_apply(0, first);
    }
    pthread_mutex_unlock(&otel_hook_lock);
}

void otel_hook_unwrap(otel_hook *hook) {
    if (!hook) return;
    pthread_mutex_lock(&otel_hook_lock);
    if (hook->active) {
        for (unsigned i = 0; i < hook->patch_count; i++) {
            void **slot = hook->patches[i].slot;
            /* Only slots still pointing at us (an object unloaded since is not touched). */
            Dl_info where;
            if (!dladdr(slot, &where)) continue;
            if (__atomic_load_n(slot, __ATOMIC_ACQUIRE) == hook->replacement)
                otel_hook_write_slot(hook->patches[i].relro, slot, hook->patches[i].previous);
        }
        hook->patch_count = 0;
        hook->active = 0;
    }
    pthread_mutex_unlock(&otel_hook_lock);
}

unsigned otel_hook_patched_slots(const otel_hook *hook) {
    return hook ? hook->patch_count : 0;
}

void otel_hook_batch_begin(void) {
    pthread_mutex_lock(&otel_hook_lock);
    otel_hook_batch_depth++;
    pthread_mutex_unlock(&otel_hook_lock);
}

void otel_hook_batch_end(void) {
    pthread_mutex_lock(&otel_hook_lock);
    if (otel_hook_batch_depth > 0 && --otel_hook_batch_depth == 0) otel_hook_apply(1, 0);
    pthread_mutex_unlock(&otel_hook_lock);
}
