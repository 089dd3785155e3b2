/* The SQLite instrumentation: a CLIENT span per statement execution, following
 * the database semantic conventions (stable, v1.33: db.system.name,
 * db.query.text, db.operation.name, db.collection.name, db.query.summary,
 * db.namespace, db.response.status_code, error.type).
 *
 * Wrapped through the GOT of the program and of its other libraries (never
 * libsqlite3's calls to itself, so sqlite3_exec's internal prepare/step make
 * no second span): sqlite3_step (the span runs from the first step to
 * SQLITE_DONE or an error), sqlite3_reset and sqlite3_finalize (end a span
 * still open), sqlite3_exec (one span for the call), sqlite3_prepare_v2/v3
 * (an error span for a statement that fails to prepare). */
#define _GNU_SOURCE
#include "otel_sqlite3.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
static struct {
    int (*stmt_busy)(sqlite3_stmt *);
    const char *(*sql)(sqlite3_stmt *);
    sqlite3 *(*db_handle)(sqlite3_stmt *);
    const char *(*db_filename)(sqlite3 *, const char *);
    int (*bind_parameter_count)(sqlite3_stmt *);
    const char *(*errstr)(int);
    const char *(*errmsg)(sqlite3 *);
    int resolved;
} lib;
static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;
static void *hooks[6];

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
            dlclose(handle);
        }
        int ok = lib.stmt_busy && lib.sql && lib.db_handle;
        __atomic_store_n(&lib.resolved, ok ? 1 : -1, __ATOMIC_RELEASE);
        if (!ok) host->log(OTEL_LOG_WARNING, "sqlite3: the library lacks sqlite3_stmt_busy, sqlite3_sql or sqlite3_db_handle; statements are not traced");
    }
    pthread_mutex_unlock(&lib_lock);
    return lib.resolved > 0;
}

/* Sets the semantic-convention attributes of a statement's span. */
static otel_attribute text_attribute(const char *key, const char *value) {
    otel_attribute attribute = {.key = key, .type = OTEL_ATTRIBUTE_STRING};
    attribute.value.string_value = value;
    return attribute;
}

/* Sets the semantic-convention attributes of a statement's span (one call into the host). */
static void describe(otel_span *span, const char *sql, int parameterized, sqlite3 *db) {
    otel_sql_summary summary;
    otel_sql_summarize(sql ? sql : "", &summary);
    char name[256];
    if (summary.operation[0] && summary.collection[0]) snprintf(name, sizeof name, "%s %s", summary.operation, summary.collection);
    else snprintf(name, sizeof name, "%s", summary.operation[0] ? summary.operation : "sqlite");
    host->span_update_name(span, name);
    otel_attribute attributes[6];
    size_t count = 0;
    attributes[count++] = text_attribute("db.system.name", "sqlite");
    if (summary.operation[0]) attributes[count++] = text_attribute("db.operation.name", summary.operation);
    if (summary.collection[0]) attributes[count++] = text_attribute("db.collection.name", summary.collection);
    attributes[count++] = text_attribute("db.query.summary", name);
    char stack[1024];
    char *sanitized = NULL;
    if (sql) {
        if (parameterized) {
            attributes[count++] = text_attribute("db.query.text", sql);
        } else {
            size_t size = strlen(sql) + 1;
            sanitized = size <= sizeof stack ? stack : malloc(size);
            if (sanitized) {
                otel_sql_sanitize(sql, sanitized, size);
                attributes[count++] = text_attribute("db.query.text", sanitized);
            }
        }
    }
    const char *file = db && lib.db_filename ? lib.db_filename(db, "main") : NULL;
    if (file && *file) {
        const char *base = strrchr(file, '/');
        attributes[count++] = text_attribute("db.namespace", base ? base + 1 : file);
    }
    host->span_set_attributes(span, attributes, count);
    if (sanitized && sanitized != stack) free(sanitized);
}

/* Ends a statement's span with the outcome `code` (an SQLite result code);
 * on error the status description is SQLite's message for `db` (names, no values). */
static void finish(otel_span *span, int code, sqlite3 *db) {
    if (code != SQLITE_OK && code != SQLITE_ROW && code != SQLITE_DONE && host->span_is_recording(span)) {
        char number[16];
        snprintf(number, sizeof number, "%d", code);
        host->span_set_string(span, "db.response.status_code", number);
        host->span_set_string(span, "error.type", number);
        const char *message = db && lib.errmsg ? lib.errmsg(db) : lib.errstr ? lib.errstr(code) : NULL;
        host->span_set_status(span, OTEL_STATUS_ERROR, message);
    }
    host->span_end(span);
}

/* Spans of statements that returned rows and are not done yet, by statement. */
typedef struct open_span { sqlite3_stmt *stmt; otel_span span; } open_span;
static open_span *open_spans;
static size_t open_count, open_capacity;
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

static void remember(sqlite3_stmt *stmt, const otel_span *span) {
    pthread_mutex_lock(&open_lock);
    if (open_count == open_capacity) {
        size_t capacity = open_capacity ? open_capacity * 2 : 16;
        open_span *grown = realloc(open_spans, capacity * sizeof *grown);
        if (!grown) { pthread_mutex_unlock(&open_lock); otel_span copy = *span; host->span_end(&copy); return; }
        open_spans = grown;
        open_capacity = capacity;
    }
    open_spans[open_count++] = (open_span){stmt, *span};
    pthread_mutex_unlock(&open_lock);
}

static int take(sqlite3_stmt *stmt, otel_span *span) {
    int found = 0;
    pthread_mutex_lock(&open_lock);
    for (size_t i = 0; i < open_count; i++) {
        if (open_spans[i].stmt == stmt) {
            *span = open_spans[i].span;
            open_spans[i] = open_spans[--open_count];
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&open_lock);
    return found;
}

static int wrapped_step(sqlite3_stmt *stmt) {
    if (!host->hook_enter() || !resolve_library((void *)real_step) || lib.stmt_busy(stmt)) {
        host->hook_exit();
        int code = real_step(stmt);
        if (code != SQLITE_ROW && __atomic_load_n(&open_count, __ATOMIC_RELAXED)) {
            otel_span span;
            if (take(stmt, &span)) finish(&span, code, lib.db_handle ? lib.db_handle(stmt) : NULL);
        }
        return code;
    }
    /* The first step of an execution: the span starts here. */
    otel_span span;
    host->span_start(tracer, "sqlite", OTEL_SPAN_KIND_CLIENT, NULL, &span);
    if (host->span_is_recording(&span)) {
        describe(&span, lib.sql(stmt), lib.bind_parameter_count && lib.bind_parameter_count(stmt) > 0, lib.db_handle(stmt));
    }
    host->hook_exit();
    int code = real_step(stmt);
    if (code == SQLITE_ROW && host->span_is_recording(&span)) remember(stmt, &span);
    else finish(&span, code, lib.db_handle(stmt));
    return code;
}

static int end_open_span(sqlite3_stmt *stmt, int (*original)(sqlite3_stmt *)) {
    int code = original(stmt);
    if (__atomic_load_n(&open_count, __ATOMIC_RELAXED)) {
        otel_span span;
        if (take(stmt, &span)) finish(&span, SQLITE_DONE, NULL);
    }
    return code;
}

static int wrapped_reset(sqlite3_stmt *stmt) { return end_open_span(stmt, real_reset); }
static int wrapped_finalize(sqlite3_stmt *stmt) { return end_open_span(stmt, real_finalize); }

static int wrapped_exec(sqlite3 *db, const char *sql, int (*callback)(void *, int, char **, char **), void *argument, char **error) {
    if (!host->hook_enter()) {
        host->hook_exit();
        return real_exec(db, sql, callback, argument, error);
    }
    otel_span span;
    host->span_start(tracer, "sqlite", OTEL_SPAN_KIND_CLIENT, NULL, &span);
    if (host->span_is_recording(&span)) {
        resolve_library((void *)real_exec);
        describe(&span, sql, 0, db);
    }
    host->hook_exit();
    int code = real_exec(db, sql, callback, argument, error);
    finish(&span, code, db);
    return code;
}

/* A statement that fails to prepare (syntax, unknown table…) never steps:
 * it gets an error span of its own. */
static void prepare_failed(sqlite3 *db, const char *sql, int length, int code) {
    if (!host->hook_enter()) {
        host->hook_exit();
        return;
    }
    otel_span span;
    host->span_start(tracer, "sqlite", OTEL_SPAN_KIND_CLIENT, NULL, &span);
    if (host->span_is_recording(&span)) {
        char *text = NULL;
        if (sql) {
            size_t size = length < 0 ? strlen(sql) : strnlen(sql, (size_t)length);
            text = strndup(sql, size);
        }
        describe(&span, text, 0, db);
        free(text);
    }
    finish(&span, code, db);
    host->hook_exit();
}

static int wrapped_prepare_v2(sqlite3 *db, const char *sql, int length, sqlite3_stmt **stmt, const char **tail) {
    int code = real_prepare_v2(db, sql, length, stmt, tail);
    if (code != SQLITE_OK) {
        resolve_library((void *)real_prepare_v2);
        prepare_failed(db, sql, length, code);
    }
    return code;
}

static int wrapped_prepare_v3(sqlite3 *db, const char *sql, int length, unsigned flags, sqlite3_stmt **stmt, const char **tail) {
    int code = real_prepare_v3(db, sql, length, flags, stmt, tail);
    if (code != SQLITE_OK) {
        resolve_library((void *)real_prepare_v3);
        prepare_failed(db, sql, length, code);
    }
    return code;
}

static int instrument(void *state, const otel_host_api *the_host) {
    (void)state;
    host = the_host;
    if (host->size < sizeof(otel_host_api) || !host->hook_wrap) return 1;
    tracer = host->tracer_get("otel-native.sqlite3", "0.1.0", "https://opentelemetry.io/schemas/1.33.0");
    hooks[0] = host->hook_wrap("sqlite3_step", (void *)wrapped_step, (void **)&real_step, 0);
    hooks[1] = host->hook_wrap("sqlite3_reset", (void *)wrapped_reset, (void **)&real_reset, 0);
    hooks[2] = host->hook_wrap("sqlite3_finalize", (void *)wrapped_finalize, (void **)&real_finalize, 0);
    hooks[3] = host->hook_wrap("sqlite3_exec", (void *)wrapped_exec, (void **)&real_exec, 0);
    hooks[4] = host->hook_wrap("sqlite3_prepare_v2", (void *)wrapped_prepare_v2, (void **)&real_prepare_v2, 0);
    hooks[5] = host->hook_wrap("sqlite3_prepare_v3", (void *)wrapped_prepare_v3, (void **)&real_prepare_v3, 0);
    for (int i = 0; i < 6; i++) {
        if (!hooks[i]) return 1;
    }
    return 0;
}

static int uninstrument(void *state, const otel_host_api *the_host) {
    (void)state;
    for (int i = 0; i < 6; i++) {
        if (hooks[i]) the_host->hook_unwrap(hooks[i]);
        hooks[i] = NULL;
    }
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
