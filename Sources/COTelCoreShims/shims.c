#define _GNU_SOURCE
#include "otel_core_shims.h"

#include <stdlib.h>
#include <string.h>

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <unistd.h>

__thread otel_shim_rng otel_shim_tls_rng __attribute__((tls_model("initial-exec")));
__thread void *otel_shim_tls_thread_state __attribute__((tls_model("initial-exec")));
/* Starts at 1 so a zeroed TLS block always counts as unseeded. */
uint64_t otel_shim_fork_generation = 1;

static pthread_once_t otel_shim_atfork_once = PTHREAD_ONCE_INIT;
static void otel_shim_register_atfork(void);

/* What runs around fork, in registration order (prepare in reverse), each
 * slot written once while the SDK initialises. */
#define OTEL_SHIM_FORK_CALLBACKS 8
static struct { void (*prepare)(void), (*parent)(void), (*child)(void); } otel_shim_fork_callbacks[OTEL_SHIM_FORK_CALLBACKS];
static unsigned otel_shim_fork_callback_count;

static void otel_shim_before_fork(void) {
    unsigned count = __atomic_load_n(&otel_shim_fork_callback_count, __ATOMIC_ACQUIRE);
    for (unsigned i = count; i-- > 0;)
        if (otel_shim_fork_callbacks[i].prepare) otel_shim_fork_callbacks[i].prepare();
}

static void otel_shim_after_fork_in_parent(void) {
    unsigned count = __atomic_load_n(&otel_shim_fork_callback_count, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < count; i++)
        if (otel_shim_fork_callbacks[i].parent) otel_shim_fork_callbacks[i].parent();
}

static void otel_shim_after_fork_in_child(void) {
    __atomic_add_fetch(&otel_shim_fork_generation, 1, __ATOMIC_RELAXED);
    otel_shim_metric_storages_after_fork();
    otel_shim_span_record_pool_after_fork();
    otel_shim_attribute_log_pool_after_fork();
    unsigned count = __atomic_load_n(&otel_shim_fork_callback_count, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < count; i++)
        if (otel_shim_fork_callbacks[i].child) otel_shim_fork_callbacks[i].child();
}

void otel_shim_rehearse_fork_child(void) {
    unsigned count = __atomic_load_n(&otel_shim_fork_callback_count, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < count; i++)
        if (otel_shim_fork_callbacks[i].child) otel_shim_fork_callbacks[i].child();
}

bool otel_shim_on_fork(void (*prepare)(void), void (*parent)(void), void (*child)(void)) {
    pthread_once(&otel_shim_atfork_once, otel_shim_register_atfork);
    unsigned at = __atomic_load_n(&otel_shim_fork_callback_count, __ATOMIC_RELAXED);
    if (at == OTEL_SHIM_FORK_CALLBACKS) return false;
    otel_shim_fork_callbacks[at].prepare = prepare;
    otel_shim_fork_callbacks[at].parent = parent;
    otel_shim_fork_callbacks[at].child = child;
    __atomic_store_n(&otel_shim_fork_callback_count, at + 1, __ATOMIC_RELEASE);
    return true;
}

static void otel_shim_register_atfork(void) {
    pthread_atfork(otel_shim_before_fork, otel_shim_after_fork_in_parent, otel_shim_after_fork_in_child);
}

static uint64_t otel_shim_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void otel_shim_rng_seed(otel_shim_rng *rng) {
    int saved = errno;
    pthread_once(&otel_shim_atfork_once, otel_shim_register_atfork);
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
        /* No entropy yet (early boot): mix clock, pid and the address of
         * the thread's state; ids stay unique enough, never blocks. */
        uint64_t x = otel_shim_realtime_ns() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)rng;
        seed = otel_shim_splitmix64(&x);
    }
    rng->state = seed;
    rng->generation = __atomic_load_n(&otel_shim_fork_generation, __ATOMIC_RELAXED);
    errno = saved;
}

bool otel_shim_process_exiting;
void (*otel_shim_sdk_thread_start)(void);

static pthread_key_t otel_shim_thread_key;
static pthread_once_t otel_shim_thread_key_once = PTHREAD_ONCE_INIT;
static void (*otel_shim_thread_release)(void *);

static void otel_shim_thread_exit(void *state) {
    otel_shim_tls_thread_state = NULL;
    if (otel_shim_thread_release) otel_shim_thread_release(state);
}

static void otel_shim_make_thread_key(void) {
    pthread_key_create(&otel_shim_thread_key, otel_shim_thread_exit);
}

void otel_shim_set_thread_state(void *state, void (*release)(void *)) {
    pthread_once(&otel_shim_thread_key_once, otel_shim_make_thread_key);
    otel_shim_thread_release = release;
    otel_shim_tls_thread_state = state;
    pthread_setspecific(otel_shim_thread_key, state);
}

void otel_shim_set_thread_name(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof truncated - 1);
    truncated[sizeof truncated - 1] = 0;
    pthread_setname_np(pthread_self(), truncated);
}

bool otel_shim_is_secure_execution(void) {
    return getauxval(AT_SECURE) != 0;
}

extern char **environ;

/* Defaults set by distros: kept here, never written into the program's
 * environment (a program may own getenv/setenv: bash keeps its variables in
 * its own table, and they are not even set up while our constructor runs). */
typedef struct otel_shim_default { char *name, *value; } otel_shim_default;
static otel_shim_default *otel_shim_defaults;
static size_t otel_shim_default_count;
static pthread_mutex_t otel_shim_defaults_lock = PTHREAD_MUTEX_INITIALIZER;

/* The value of `name` in the process's environment block, read directly
 * (not through getenv, which the program may replace). */
static const char *otel_shim_environment_value(const char *name) {
    size_t length = strlen(name);
    for (char **entry = environ; entry && *entry; entry++) {
        if (strncmp(*entry, name, length) == 0 && (*entry)[length] == '=') return *entry + length + 1;
    }
    return NULL;
}

const char *otel_shim_config_get(const char *name) {
    if (!name) return NULL;
    const char *value = otel_shim_environment_value(name);
    if (value && *value) return value;
    const char *fallback = NULL;
    pthread_mutex_lock(&otel_shim_defaults_lock);
    for (size_t i = 0; i < otel_shim_default_count; i++) {
        if (strcmp(otel_shim_defaults[i].name, name) == 0) fallback = otel_shim_defaults[i].value;
    }
    pthread_mutex_unlock(&otel_shim_defaults_lock);
    return fallback;
}

void otel_shim_config_set_default(const char *name, const char *value) {
    if (!name || !value || otel_shim_config_get(name)) return;
    pthread_mutex_lock(&otel_shim_defaults_lock);
    otel_shim_default *grown = realloc(otel_shim_defaults, (otel_shim_default_count + 1) * sizeof *grown);
    if (grown) {
        otel_shim_defaults = grown;
        otel_shim_defaults[otel_shim_default_count].name = strdup(name);
        otel_shim_defaults[otel_shim_default_count].value = strdup(value);
        if (otel_shim_defaults[otel_shim_default_count].name && otel_shim_defaults[otel_shim_default_count].value)
            otel_shim_default_count++;
    }
    pthread_mutex_unlock(&otel_shim_defaults_lock);
}

bool otel_shim_object_path(const void *address, char *buffer, size_t size) {
    Dl_info info;
    if (!dladdr(address, &info) || !info.dli_fname || !size) return false;
    size_t length = strlen(info.dli_fname);
    if (length >= size) return false;
    memcpy(buffer, info.dli_fname, length + 1);
    return true;
}

typedef struct otel_shim_object_search {
    const char *soname;
    char *buffer;
    size_t size;
    bool found;
} otel_shim_object_search;

static int otel_shim_match_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    otel_shim_object_search *search = data;
    const char *path = info->dlpi_name;
    if (!path || !*path) return 0;
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    size_t length = strlen(search->soname);
    if (strncmp(name, search->soname, length) != 0 || (name[length] != 0 && name[length] != '.')) return 0;
    if (strlen(path) >= search->size) return 0;
    strcpy(search->buffer, path);
    search->found = true;
    return 1;
}

bool otel_shim_loaded_object(const char *soname, char *buffer, size_t size) {
    otel_shim_object_search search = {soname, buffer, size, false};
    dl_iterate_phdr(otel_shim_match_object, &search);
    return search.found;
}

void otel_shim_spin_wait(bool *locked) {
    unsigned spins = 0;
    do {
        while (__atomic_load_n(locked, __ATOMIC_RELAXED)) {
            if (++spins % 128 == 0) sched_yield();
        }
    } while (__atomic_exchange_n(locked, true, __ATOMIC_ACQUIRE));
}
