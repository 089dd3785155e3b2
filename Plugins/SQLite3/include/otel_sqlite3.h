/* The SQLite instrumentation (otel_instrumentor "sqlite3"). */
#ifndef OTEL_SQLITE3_H
#define OTEL_SQLITE3_H
#include <stddef.h>
#include <otel_plugin.h>

const otel_plugin_descriptor *otel_sqlite3_entry(const otel_host_api *host);

/* What the database semantic conventions want from a statement's text. */
typedef struct otel_sql_summary {
    char operation[100];  /* db.operation.name: SELECT, INSERT, CREATE TABLE, … ("" if unknown) */
    char collection[128]; /* db.collection.name when one table is evident, else "" */
} otel_sql_summary;

/* Copies `sql` into `out` (at most `size` bytes, NUL-terminated) with string,
 * numeric and blob literals replaced by `?`; comments and leading blanks are dropped. */
void otel_sql_sanitize(const char *sql, char *out, size_t size);

/* The operation and the single collection of the first statement of `sql`. */
void otel_sql_summarize(const char *sql, otel_sql_summary *summary);

/* db.query.summary and the span name: "{operation} {collection}", the
 * operation alone, or "sqlite" when the operation is unknown (bounded, NUL-terminated). */
void otel_sql_summary_text(const otel_sql_summary *summary, char *out, size_t size);
#endif
