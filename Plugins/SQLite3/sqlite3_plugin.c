/* The SQLite instrumentation: a CLIENT span per statement execution, following
 * the database semantic conventions (stable, v1.33: db.system.name,
 * db.query.text, db.operation.name, db.collection.name, db.query.summary,
 * db.namespace, db.response.status_code, error.type).
 *
 * Wrapped through the GOT of the program and of its other libraries (never
 * libsqlite3's calls to itself, so sqlite3_exec's internal prepare/step make
 * no second span): sqlite3_step (the span runs from the first step to
 * SQLITE_DONE or an error), sqlite3_reset and sqlite3_finalize (end a span
 * still open), sqlite3_exec (a span per statement it runs), and every
 * sqlite3_prepare variant, UTF-8 and UTF-16 (an error span for a statement
 * that fails to prepare), sqlite3_open* (to know when a cached
 * db.namespace may be stale). */
#define _GNU_SOURCE
#include "otel_sqlite3.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

OTEL_PLUGIN_DECLARE_ABI();

#define SQLITE_OK 0
#define SQLITE_ROW 100
#define SQLITE_DONE 101

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;

static const otel_host_api *host;
static otel_tracer *tracer;

/* The originals, and the libsqlite3 functions the wrappers ask for facts. */
static int (*real_step)(sqlite3_stmt *);
static int (*real_reset)(sqlite3_stmt *);
static int (*real_finalize)(sqlite3_stmt *);
static int (*real_exec)(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *, char **);
static int (*real_prepare_v2)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
static int (*real_prepare_v3)(sqlite3 *, const char *, int, unsigned, sqlite3_stmt **, const char **);
static int (*real_prepare)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
static int (*real_prepare16)(sqlite3 *, const void *, int, sqlite3_stmt **, const void **);
static int (*real_prepare16_v2)(sqlite3 *, const void *, int, sqlite3_stmt **, const void **);
static int (*real_prepare16_v3)(sqlite3 *, const void *, int, unsigned, sqlite3_stmt **, const void **);
static int (*real_open)(const char *, sqlite3 **);
static int (*real_open16)(const void *, sqlite3 **);
static int (*real_open_v2)(const char *, sqlite3 **, int, const char *);
typedef struct sqlite3_mutex sqlite3_mutex;
static struct {
    int (*stmt_busy)(sqlite3_stmt *);
    const char *(*sql)(sqlite3_stmt *);
    sqlite3 *(*db_handle)(sqlite3_stmt *);
    const char *(*db_filename)(sqlite3 *, const char *);
    int (*bind_parameter_count)(sqlite3_stmt *);
    const char *(*errstr)(int);
    const char *(*errmsg)(sqlite3 *);
    int (*prepare_v2)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
    int (*finalize)(sqlite3_stmt *);
    sqlite3_mutex *(*db_mutex)(sqlite3 *);
    void (*mutex_enter)(sqlite3_mutex *);
    void (*mutex_leave)(sqlite3_mutex *);
    int resolved;
} lib;
static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;
#define HOOK_COUNT 13
static void *hooks[HOOK_COUNT];

/* The helper functions, from the library that defines the wrapped ones (it
 * may be loaded RTLD_LOCAL, as python3 loads it, so not in the global scope). */
static int resolve_library(void *any_original) {
    if (__atomic_load_n(&lib.resolved, __ATOMIC_ACQUIRE)) return lib.resolved > 0;
    pthread_mutex_lock(&lib_lock);
    if (!lib.resolved) {
        Dl_info info;
        void *handle = any_original && dladdr(any_original, &info) ? dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD) : NULL;
        if (handle) {
            lib.stmt_busy = (int (*)(sqlite3_stmt *))dlsym(handle, "sqlite3_stmt_busy");
            lib.sql = (const char *(*)(sqlite3_stmt *))dlsym(handle, "sqlite3_sql");
            lib.db_handle = (sqlite3 *(*)(sqlite3_stmt *))dlsym(handle, "sqlite3_db_handle");
            lib.db_filename = (const char *(*)(sqlite3 *, const char *))dlsym(handle, "sqlite3_db_filename");
            lib.bind_parameter_count = (int (*)(sqlite3_stmt *))dlsym(handle, "sqlite3_bind_parameter_count");
            lib.errstr = (const char *(*)(int))dlsym(handle, "sqlite3_errstr");
            lib.errmsg = (const char *(*)(sqlite3 *))dlsym(handle, "sqlite3_errmsg");
            lib.prepare_v2 = (int (*)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **))dlsym(handle, "sqlite3_prepare_v2");
            lib.finalize = (int (*)(sqlite3_stmt *))dlsym(handle, "sqlite3_finalize");
            lib.db_mutex = (sqlite3_mutex *(*)(sqlite3 *))dlsym(handle, "sqlite3_db_mutex");
            lib.mutex_enter = (void (*)(sqlite3_mutex *))dlsym(handle, "sqlite3_mutex_enter");
            lib.mutex_leave = (void (*)(sqlite3_mutex *))dlsym(handle, "sqlite3_mutex_leave");
            dlclose(handle);
        }
        int ok = lib.stmt_busy && lib.sql && lib.db_handle;
        __atomic_store_n(&lib.resolved, ok ? 1 : -1, __ATOMIC_RELEASE);
        if (!ok) host->log(OTEL_LOG_WARNING, "sqlite3: the library lacks sqlite3_stmt_busy, sqlite3_sql or sqlite3_db_handle; statements are not traced");
    }
    pthread_mutex_unlock(&lib_lock);
    return lib.resolved > 0;
}

/* db.namespace, the file name of a connection's main database, is looked up
 * once per connection and thread: the main file of an open connection never
 * changes, and every sqlite3_open* bumps a generation that empties the
 * caches before the program sees the new connection (whose address may be
 * that of one closed meanwhile). */
static uint64_t open_generation = 1;
static __thread struct {
    sqlite3 *db;
    uint64_t generation;
    char name[128]; /* "" for an in-memory or temporary database */
} cached_namespace;

/* The connection's db.namespace, NULL when it has none. */
static const char *namespace_of(sqlite3 *db) {
    if (!db || !lib.db_filename) return NULL;
    uint64_t generation = __atomic_load_n(&open_generation, __ATOMIC_ACQUIRE);
    if (cached_namespace.db != db || cached_namespace.generation != generation) {
        const char *file = lib.db_filename(db, "main");
        const char *base = file ? strrchr(file, '/') : NULL;
        base = base ? base + 1 : file ? file : "";
        size_t length = strlen(base);
        if (length >= sizeof cached_namespace.name) {
            cached_namespace.db = NULL;
            return base; /* too long to keep: looked up each time */
        }
        memcpy(cached_namespace.name, base, length + 1);
        cached_namespace.db = db;
        cached_namespace.generation = generation;
    }
    return cached_namespace.name[0] ? cached_namespace.name : NULL;
}

static int opened(int code) {
    __atomic_add_fetch(&open_generation, 1, __ATOMIC_ACQ_REL);
    return code;
}

static int wrapped_open(const char *file, sqlite3 **db) { return opened(real_open(file, db)); }
static int wrapped_open16(const void *file, sqlite3 **db) { return opened(real_open16(file, db)); }
static int wrapped_open_v2(const char *file, sqlite3 **db, int flags, const char *vfs) {
    return opened(real_open_v2(file, db, flags, vfs));
}

/* A statement's summary and span name (db.query.summary), made before its
 * span starts: the name is one of a sampler's inputs (trace SDK,
 * "ShouldSample"), as in OpenTelemetry Python's instrumentations. */
typedef struct statement_name {
    otel_sql_summary summary;
    char text[256];
} statement_name;

/* Starts the CLIENT span of the statement `sql` (NULL: not known). */
static void start_statement_span(const char *sql, statement_name *name, otel_span *span) {
    otel_sql_summarize(sql ? sql : "", &name->summary);
    otel_sql_summary_text(&name->summary, name->text, sizeof name->text);
    host->span_start(tracer, name->text, OTEL_SPAN_KIND_CLIENT, NULL, span);
}

/* Sets the semantic-convention attributes of a statement's span (one call into the host). */
static void describe(otel_span *span, const statement_name *name, const char *sql, int parameterized, sqlite3 *db) {
    otel_attribute attributes[6];
    size_t count = 0;
    attributes[count++] = otel_attribute_string("db.system.name", "sqlite");
    if (name->summary.operation[0]) attributes[count++] = otel_attribute_string("db.operation.name", name->summary.operation);
    if (name->summary.collection[0]) attributes[count++] = otel_attribute_string("db.collection.name", name->summary.collection);
    attributes[count++] = otel_attribute_string("db.query.summary", name->text);
    char stack[1024];
    char *sanitized = NULL;
    if (sql) {
        if (parameterized) {
            attributes[count++] = otel_attribute_string("db.query.text", sql);
        } else {
            size_t size = strlen(sql) + 1;
            sanitized = size <= sizeof stack ? stack : malloc(size);
            if (sanitized) {
                otel_sql_sanitize(sql, sanitized, size);
                attributes[count++] = otel_attribute_string("db.query.text", sanitized);
            }
        }
    }
    const char *name_space = namespace_of(db);
    if (name_space) attributes[count++] = otel_attribute_string("db.namespace", name_space);
    host->span_set_attributes(span, attributes, count);
    if (sanitized && sanitized != stack) free(sanitized);
}

/* The metric db.client.operation.duration (database semantic conventions,
 * "Database client operation duration"): seconds, the conventions' buckets. */
static otel_instrument *duration;
static const double duration_buckets[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};

/* Nanoseconds on the monotonic clock when the duration metric is recorded, else 0. */
static uint64_t duration_start(void) {
    if (!host->instrument_enabled(duration)) return 0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* Whether an SQLite result code is a failure. */
static int failed(int code) { return code != SQLITE_OK && code != SQLITE_ROW && code != SQLITE_DONE; }

/* Records the duration of an operation that started at `started` (0: not timed). */
static void record_duration(uint64_t started, const statement_name *name, sqlite3 *db, int code) {
    if (!started) return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double seconds = (double)((uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec - started) / 1e9;
    otel_attribute attributes[7];
    size_t count = 0;
    attributes[count++] = otel_attribute_string("db.system.name", "sqlite");
    if (name->summary.operation[0]) attributes[count++] = otel_attribute_string("db.operation.name", name->summary.operation);
    if (name->summary.collection[0]) attributes[count++] = otel_attribute_string("db.collection.name", name->summary.collection);
    attributes[count++] = otel_attribute_string("db.query.summary", name->text);
    const char *name_space = namespace_of(db);
    if (name_space) attributes[count++] = otel_attribute_string("db.namespace", name_space);
    char number[16];
    if (failed(code)) {
        snprintf(number, sizeof number, "%d", code);
        attributes[count++] = otel_attribute_string("db.response.status_code", number);
        attributes[count++] = otel_attribute_string("error.type", number);
    }
    host->instrument_record_double(duration, seconds, attributes, count);
}

/* Ends a statement's span with the outcome `code` (an SQLite result code);
 * on error the status description is SQLite's message for `db` (names, no
 * values). Records the operation's duration when it was timed. */
static void finish(otel_span *span, int code, sqlite3 *db, const statement_name *name, uint64_t started) {
    record_duration(started, name, db, code);
    if (failed(code) && otel_plugin_span_is_recording(host, span)) {
        char number[16];
        snprintf(number, sizeof number, "%d", code);
        host->span_set_string(span, "db.response.status_code", number);
        host->span_set_string(span, "error.type", number);
        const char *message = db && lib.errmsg ? lib.errmsg(db) : lib.errstr ? lib.errstr(code) : NULL;
        host->span_set_status(span, OTEL_STATUS_ERROR, message);
    }
    otel_plugin_span_end(host, span);
}

/* Spans of statements that returned rows and are not done yet, by statement. */
typedef struct open_span { sqlite3_stmt *stmt; otel_span span; uint64_t started; } open_span;
static open_span *open_spans;
static size_t open_count, open_capacity;
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

/* Keeps the span and start time of a statement that returned a row (false: no memory). */
static int remember(sqlite3_stmt *stmt, const otel_span *span, uint64_t started) {
    pthread_mutex_lock(&open_lock);
    if (open_count == open_capacity) {
        size_t capacity = open_capacity ? open_capacity * 2 : 16;
        open_span *grown = realloc(open_spans, capacity * sizeof *grown);
        if (!grown) { pthread_mutex_unlock(&open_lock); return 0; }
        open_spans = grown;
        open_capacity = capacity;
    }
    open_spans[open_count++] = (open_span){stmt, *span, started};
    pthread_mutex_unlock(&open_lock);
    return 1;
}

static int take(sqlite3_stmt *stmt, otel_span *span, uint64_t *started) {
    int found = 0;
    pthread_mutex_lock(&open_lock);
    for (size_t i = 0; i < open_count; i++) {
        if (open_spans[i].stmt == stmt) {
            *span = open_spans[i].span;
            *started = open_spans[i].started;
            open_spans[i] = open_spans[--open_count];
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&open_lock);
    return found;
}

/* Ends the span a statement left open when it returned rows, with `code`. */
static void finish_open(sqlite3_stmt *stmt, int code) {
    otel_span span;
    uint64_t started;
    if (!take(stmt, &span, &started)) return;
    statement_name name; /* made again: open statements keep only their span and start */
    const char *sql = lib.sql ? lib.sql(stmt) : NULL;
    otel_sql_summarize(sql ? sql : "", &name.summary);
    otel_sql_summary_text(&name.summary, name.text, sizeof name.text);
    finish(&span, code, lib.db_handle ? lib.db_handle(stmt) : NULL, &name, started);
}

static int wrapped_step(sqlite3_stmt *stmt) {
    int saved = errno; /* the program sees errno as the real call leaves it */
    if (!host->hook_enter() || !resolve_library((void *)real_step) || lib.stmt_busy(stmt)) {
        host->hook_exit();
        errno = saved;
        int code = real_step(stmt);
        if (code != SQLITE_ROW && __atomic_load_n(&open_count, __ATOMIC_RELAXED)) {
            saved = errno;
            finish_open(stmt, code);
            errno = saved;
        }
        return code;
    }
    /* The first step of an execution: the span starts here. */
    const char *sql = lib.sql(stmt);
    statement_name name;
    otel_span span;
    start_statement_span(sql, &name, &span);
    if (otel_plugin_span_is_recording(host, &span)) {
        describe(&span, &name, sql, lib.bind_parameter_count && lib.bind_parameter_count(stmt) > 0, lib.db_handle(stmt));
    }
    uint64_t started = duration_start();
    host->hook_exit();
    errno = saved;
    int code = real_step(stmt);
    saved = errno;
    if (code != SQLITE_ROW || (!otel_plugin_span_is_recording(host, &span) && !started) || !remember(stmt, &span, started))
        finish(&span, code, lib.db_handle(stmt), &name, code == SQLITE_ROW ? 0 : started);
    errno = saved;
    return code;
}

static int end_open_span(sqlite3_stmt *stmt, int (*original)(sqlite3_stmt *)) {
    int code = original(stmt);
    if (__atomic_load_n(&open_count, __ATOMIC_RELAXED)) {
        int saved = errno;
        finish_open(stmt, SQLITE_DONE);
        errno = saved;
    }
    return code;
}

static int wrapped_reset(sqlite3_stmt *stmt) { return end_open_span(stmt, real_reset); }
static int wrapped_finalize(sqlite3_stmt *stmt) { return end_open_span(stmt, real_finalize); }

/* Runs `sql` through the real sqlite3_exec with a span of its own. */
static int exec_with_span(otel_span *span, const statement_name *name, sqlite3 *db, const char *sql,
                          int (*callback)(void *, int, char **, char **), void *argument, char **error) {
    int saved = errno;
    if (otel_plugin_span_is_recording(host, span)) describe(span, name, sql, 0, db);
    uint64_t started = duration_start();
    errno = saved;
    int code = real_exec(db, sql, callback, argument, error);
    saved = errno;
    finish(span, code, db, name, started);
    errno = saved;
    return code;
}

/* sqlite3_exec runs the statements of its text one after another; each gets
 * its own span, as if the program had prepared and stepped them itself. The
 * text is cut where sqlite3_prepare_v2 says a statement ends, each statement
 * is prepared only after the ones before it ran (they may create what it
 * uses), and each goes to the real sqlite3_exec in turn, under the
 * connection's recursive mutex so that no other thread's statement runs in
 * between, as in one sqlite3_exec call. Text the boundary search cannot
 * prepare goes to sqlite3_exec whole, which reports the error as it would
 * have. When the first span is not sampled the call runs unchanged, with
 * no span: the statements of one call share its sampling decision. */
static int wrapped_exec(sqlite3 *db, const char *sql, int (*callback)(void *, int, char **, char **), void *argument, char **error) {
    if (!host->hook_enter()) {
        host->hook_exit();
        return real_exec(db, sql, callback, argument, error);
    }
    int saved = errno;
    statement_name name; /* of the first statement (the one otel_sql_summarize reads) */
    otel_span span;
    start_statement_span(sql, &name, &span);
    int traced = (otel_plugin_span_is_recording(host, &span) || host->instrument_enabled(duration)) && resolve_library((void *)real_exec);
    host->hook_exit();
    if (!traced) {
        otel_plugin_span_end(host, &span);
        errno = saved;
        return real_exec(db, sql, callback, argument, error);
    }
    errno = saved;
    if (!sql || !lib.prepare_v2 || !lib.finalize || !lib.db_mutex || !lib.mutex_enter || !lib.mutex_leave)
        return exec_with_span(&span, &name, db, sql, callback, argument, error);
    sqlite3_mutex *mutex = lib.db_mutex(db);
    lib.mutex_enter(mutex);
    int code = SQLITE_OK, statements = 0; /* the first statement takes the span started above */
    const char *rest = sql;
    while (*rest) {
        sqlite3_stmt *probe = NULL;
        const char *tail = NULL;
        saved = errno;
        int prepared = lib.prepare_v2(db, rest, -1, &probe, &tail);
        if (prepared == SQLITE_OK) lib.finalize(probe);
        errno = saved;
        if (prepared == SQLITE_OK && !probe) break; /* only spaces and comments remain */
        size_t length = prepared == SQLITE_OK && tail ? (size_t)(tail - rest) : 0;
        char stack[1024];
        char *statement = !length ? NULL : length < sizeof stack ? stack : malloc(length + 1);
        if (statement) {
            memcpy(statement, rest, length);
            statement[length] = '\0';
        }
        /* Without a boundary (the rest does not prepare) or memory for a copy: the rest in one call. */
        const char *text = statement ? statement : rest;
        if (statements++) start_statement_span(text, &name, &span);
        code = exec_with_span(&span, &name, db, text, callback, argument, error);
        if (statement && statement != stack) free(statement);
        if (!statement || code != SQLITE_OK) break;
        rest = tail;
    }
    if (!statements) code = exec_with_span(&span, &name, db, sql, callback, argument, error); /* only spaces and comments */
    lib.mutex_leave(mutex);
    return code;
}

/* A statement that fails to prepare (syntax, unknown table…) never steps:
 * it gets an error span of its own. */
static void prepare_failed(sqlite3 *db, const char *sql, int length, int code) {
    if (!host->hook_enter()) {
        host->hook_exit();
        return;
    }
    char *text = NULL;
    if (sql) {
        size_t size = length < 0 ? strlen(sql) : strnlen(sql, (size_t)length);
        text = strndup(sql, size);
    }
    statement_name name;
    otel_span span;
    start_statement_span(text, &name, &span);
    if (otel_plugin_span_is_recording(host, &span)) describe(&span, &name, text, 0, db);
    free(text);
    finish(&span, code, db, &name, 0); /* not timed: the duration metric counts executions */
    host->hook_exit();
}

/* UTF-8 for UTF-16 text in the machine's byte order, as sqlite3_prepare16*
 * take it (`bytes` < 0: up to a NUL character); NULL without memory. A lone
 * surrogate becomes U+FFFD. */
static char *utf8_from_utf16(const void *text, int bytes) {
    const uint16_t *units = text;
    size_t count = 0;
    while ((bytes < 0 || count < (size_t)bytes / 2) && units[count]) count++;
    char *out = malloc(count * 3 + 1); /* at most 3 bytes per unit (4 per surrogate pair) */
    if (!out) return NULL;
    size_t used = 0;
    for (size_t i = 0; i < count; i++) {
        uint32_t c = units[i];
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < count && units[i + 1] >= 0xdc00 && units[i + 1] <= 0xdfff) {
            c = 0x10000 + ((c - 0xd800) << 10) + (units[++i] - 0xdc00);
        } else if (c >= 0xd800 && c <= 0xdfff) {
            c = 0xfffd;
        }
        if (c < 0x80) {
            out[used++] = (char)c;
        } else if (c < 0x800) {
            out[used++] = (char)(0xc0 | (c >> 6));
            out[used++] = (char)(0x80 | (c & 0x3f));
        } else if (c < 0x10000) {
            out[used++] = (char)(0xe0 | (c >> 12));
            out[used++] = (char)(0x80 | ((c >> 6) & 0x3f));
            out[used++] = (char)(0x80 | (c & 0x3f));
        } else {
            out[used++] = (char)(0xf0 | (c >> 18));
            out[used++] = (char)(0x80 | ((c >> 12) & 0x3f));
            out[used++] = (char)(0x80 | ((c >> 6) & 0x3f));
            out[used++] = (char)(0x80 | (c & 0x3f));
        }
    }
    out[used] = '\0';
    return out;
}

/* What every prepare wrapper does once the real one returned `code`. */
static int after_prepare(void *original, sqlite3 *db, const char *sql, int length, int code) {
    if (code != SQLITE_OK) {
        int saved = errno;
        resolve_library(original);
        prepare_failed(db, sql, length, code);
        errno = saved;
    }
    return code;
}

static int after_prepare16(void *original, sqlite3 *db, const void *sql, int bytes, int code) {
    if (code != SQLITE_OK) {
        int saved = errno;
        char *text = sql ? utf8_from_utf16(sql, bytes) : NULL;
        resolve_library(original);
        prepare_failed(db, text, -1, code);
        free(text);
        errno = saved;
    }
    return code;
}

static int wrapped_prepare(sqlite3 *db, const char *sql, int length, sqlite3_stmt **stmt, const char **tail) {
    return after_prepare((void *)real_prepare, db, sql, length, real_prepare(db, sql, length, stmt, tail));
}

static int wrapped_prepare_v2(sqlite3 *db, const char *sql, int length, sqlite3_stmt **stmt, const char **tail) {
    return after_prepare((void *)real_prepare_v2, db, sql, length, real_prepare_v2(db, sql, length, stmt, tail));
}

static int wrapped_prepare_v3(sqlite3 *db, const char *sql, int length, unsigned flags, sqlite3_stmt **stmt, const char **tail) {
    return after_prepare((void *)real_prepare_v3, db, sql, length, real_prepare_v3(db, sql, length, flags, stmt, tail));
}

static int wrapped_prepare16(sqlite3 *db, const void *sql, int bytes, sqlite3_stmt **stmt, const void **tail) {
    return after_prepare16((void *)real_prepare16, db, sql, bytes, real_prepare16(db, sql, bytes, stmt, tail));
}

static int wrapped_prepare16_v2(sqlite3 *db, const void *sql, int bytes, sqlite3_stmt **stmt, const void **tail) {
    return after_prepare16((void *)real_prepare16_v2, db, sql, bytes, real_prepare16_v2(db, sql, bytes, stmt, tail));
}

static int wrapped_prepare16_v3(sqlite3 *db, const void *sql, int bytes, unsigned flags, sqlite3_stmt **stmt, const void **tail) {
    return after_prepare16((void *)real_prepare16_v3, db, sql, bytes, real_prepare16_v3(db, sql, bytes, flags, stmt, tail));
}

static int instrument(void *state, const otel_host_api *the_host) {
    (void)state;
    host = the_host;
    if (host->size < sizeof(otel_host_api) || !host->hook_wrap || !host->meter_get) return 1;
    tracer = host->tracer_get("otel-native.sqlite3", "0.1.0", "https://opentelemetry.io/schemas/1.33.0");
    otel_meter *meter = host->meter_get("otel-native.sqlite3", "0.1.0", "https://opentelemetry.io/schemas/1.33.0");
    duration = host->instrument_create(meter, OTEL_INSTRUMENT_HISTOGRAM, true, "db.client.operation.duration", "s",
                                       "Duration of database client operations.", duration_buckets,
                                       sizeof duration_buckets / sizeof duration_buckets[0]);
    static const otel_plugin_hook table[HOOK_COUNT] = {
        {"sqlite3_step", (void *)wrapped_step, (void **)&real_step},
        {"sqlite3_reset", (void *)wrapped_reset, (void **)&real_reset},
        {"sqlite3_finalize", (void *)wrapped_finalize, (void **)&real_finalize},
        {"sqlite3_exec", (void *)wrapped_exec, (void **)&real_exec},
        {"sqlite3_prepare_v2", (void *)wrapped_prepare_v2, (void **)&real_prepare_v2},
        {"sqlite3_prepare_v3", (void *)wrapped_prepare_v3, (void **)&real_prepare_v3},
        {"sqlite3_prepare", (void *)wrapped_prepare, (void **)&real_prepare},
        {"sqlite3_prepare16", (void *)wrapped_prepare16, (void **)&real_prepare16},
        {"sqlite3_prepare16_v2", (void *)wrapped_prepare16_v2, (void **)&real_prepare16_v2},
        {"sqlite3_prepare16_v3", (void *)wrapped_prepare16_v3, (void **)&real_prepare16_v3},
        {"sqlite3_open", (void *)wrapped_open, (void **)&real_open},
        {"sqlite3_open16", (void *)wrapped_open16, (void **)&real_open16},
        {"sqlite3_open_v2", (void *)wrapped_open_v2, (void **)&real_open_v2},
    };
    return otel_plugin_wrap_all(host, table, HOOK_COUNT, hooks);
}

static int uninstrument(void *state, const otel_host_api *the_host) {
    (void)state;
    otel_plugin_unwrap_all(the_host, hooks, HOOK_COUNT);
    /* Statements still returning rows would never end their spans now: end them here. */
    pthread_mutex_lock(&open_lock);
    while (open_count) {
        open_span open = open_spans[--open_count];
        otel_plugin_span_end(the_host, &open.span);
    }
    pthread_mutex_unlock(&open_lock);
    return 0;
}

__attribute__((visibility("default")))
const otel_plugin_descriptor *otel_sqlite3_entry(const otel_host_api *the_host) {
    static const char *const instruments[] = {"libsqlite3.so.0 >= 3.7", NULL};
    static otel_plugin_descriptor descriptor = {
        OTEL_PLUGIN_DESCRIPTOR_HEADER,
        .name = "otel-native-sqlite3",
        .version = "0.1.0",
        .instruments = instruments,
        .instrument = instrument,
        .uninstrument = uninstrument,
    };
    if (the_host->size < sizeof(otel_host_api)) return NULL;
    return &descriptor;
}
