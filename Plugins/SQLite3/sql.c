/* SQL text helpers for the database semantic conventions: literals replaced
 * by `?` (db.query.text must not carry values), and the operation and
 * collection of a statement (db.operation.name, db.collection.name,
 * db.query.summary). A small tokenizer, not a parser: it never fails, and
 * leaves anything it does not recognise as it is. */
#include "otel_sqlite3.h"

#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>

static int otel_sql_identifier_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '$'; }

void otel_sql_sanitize(const char *sql, char *out, size_t size) {
    if (!size) return;
    size_t used = 0;
    const char *p = sql;
#define OTEL_EMIT(c) do { if (used + 1 < size) out[used++] = (c); } while (0)
    while (*p) {
        char c = *p;
        if (c == '-' && p[1] == '-') { /* line comment */
            while (*p && *p != '\n') p++;
            continue;
        }
        if (c == '/' && p[1] == '*') { /* block comment */
            p += 2;
            while (*p && !(p[0] == '*' && p[1] == '/')) p++;
            if (*p) p += 2;
            continue;
        }
        if ((c == 'x' || c == 'X') && p[1] == '\'' && (p == sql || !otel_sql_identifier_char(p[-1]))) { /* blob */
            p++;
            c = '\'';
        }
        if (c == '\'') { /* string literal, '' escapes a quote */
            p++;
            while (*p) {
                if (*p == '\'' && p[1] == '\'') { p += 2; continue; }
                if (*p == '\'') { p++; break; }
                p++;
            }
            OTEL_EMIT('?');
            continue;
        }
        if (c == '"' || c == '`' || c == '[') { /* quoted identifier: kept */
            char close = c == '[' ? ']' : c;
            OTEL_EMIT(*p++);
            while (*p && *p != close) OTEL_EMIT(*p++);
            if (*p) OTEL_EMIT(*p++);
            continue;
        }
        if ((isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)p[1]))) && (p == sql || !otel_sql_identifier_char(p[-1]))) {
            if (c == '0' && (p[1] == 'x' || p[1] == 'X')) {
                p += 2;
                while (isxdigit((unsigned char)*p)) p++;
            } else {
                while (isdigit((unsigned char)*p) || *p == '.') p++;
                if (*p == 'e' || *p == 'E') {
                    p++;
                    if (*p == '+' || *p == '-') p++;
                    while (isdigit((unsigned char)*p)) p++;
                }
            }
            OTEL_EMIT('?');
            continue;
        }
        if (otel_sql_identifier_char(c)) { /* a word: copied whole, so digits inside it stay */
            while (otel_sql_identifier_char(*p)) OTEL_EMIT(*p++);
            continue;
        }
        if (used == 0 && isspace((unsigned char)c)) { /* the text starts at its first token */
            p++;
            continue;
        }
        OTEL_EMIT(*p++);
    }
    out[used] = 0;
#undef OTEL_EMIT
}

/* The next word or quoted identifier after `*p`, skipping blanks and comments. */
static int otel_sql_next_word(const char **p, char *word, size_t size) {
    const char *s = *p;
    for (;;) {
        while (isspace((unsigned char)*s)) s++;
        if (s[0] == '-' && s[1] == '-') { while (*s && *s != '\n') s++; continue; }
        if (s[0] == '/' && s[1] == '*') { s += 2; while (*s && !(s[0] == '*' && s[1] == '/')) s++; if (*s) s += 2; continue; }
        break;
    }
    size_t n = 0;
    if (*s == '"' || *s == '`' || *s == '[') {
        char close = *s == '[' ? ']' : *s;
        s++;
        while (*s && *s != close) { if (n + 1 < size) word[n++] = *s; s++; }
        if (*s) s++;
    } else {
        while (otel_sql_identifier_char(*s) || *s == '.') { if (n + 1 < size) word[n++] = *s; s++; }
    }
    word[n] = 0;
    *p = s;
    return n > 0;
}

static void otel_sql_upper(char *s) { for (; *s; s++) *s = (char)toupper((unsigned char)*s); }

static int otel_sql_is(const char *word, const char *keyword) { return strcasecmp(word, keyword) == 0; }

/* The table after `FROM`/`INTO`/… unless a join or a list follows (then no single collection). */
static void otel_sql_single_table(const char *p, char *collection, size_t size) {
    char word[128];
    if (!otel_sql_next_word(&p, word, sizeof word)) return;
    if (otel_sql_is(word, "IF")) { /* IF [NOT] EXISTS */
        otel_sql_next_word(&p, word, sizeof word);
        if (otel_sql_is(word, "NOT")) otel_sql_next_word(&p, word, sizeof word);
        if (!otel_sql_next_word(&p, word, sizeof word)) return;
    }
    const char *rest = p;
    while (isspace((unsigned char)*rest)) rest++;
    if (*rest == ',') return;
    char next[32];
    const char *look = rest;
    if (otel_sql_next_word(&look, next, sizeof next) &&
        (otel_sql_is(next, "JOIN") || otel_sql_is(next, "NATURAL") || otel_sql_is(next, "LEFT") || otel_sql_is(next, "INNER") ||
         otel_sql_is(next, "CROSS") || otel_sql_is(next, "RIGHT") || otel_sql_is(next, "FULL"))) return;
    strncpy(collection, word, size - 1);
    collection[size - 1] = 0;
}

void otel_sql_summarize(const char *sql, otel_sql_summary *summary) {
    summary->operation[0] = 0;
    summary->collection[0] = 0;
    const char *p = sql;
    char word[64];
    if (!otel_sql_next_word(&p, word, sizeof word)) return;
    otel_sql_upper(word);
    if (!strcmp(word, "CREATE") || !strcmp(word, "DROP") || !strcmp(word, "ALTER")) {
        char object[32];
        const char *q = p;
        if (otel_sql_next_word(&q, object, sizeof object)) {
            otel_sql_upper(object);
            if (!strcmp(object, "TEMP") || !strcmp(object, "TEMPORARY") || !strcmp(object, "UNIQUE") || !strcmp(object, "VIRTUAL")) {
                otel_sql_next_word(&q, object, sizeof object);
                otel_sql_upper(object);
            }
            snprintf(summary->operation, sizeof summary->operation, "%s %s", word, object);
            if (!strcmp(object, "TABLE")) otel_sql_single_table(q, summary->collection, sizeof summary->collection);
            return;
        }
    }
    snprintf(summary->operation, sizeof summary->operation, "%s", word);
    const char *keyword = !strcmp(word, "INSERT") || !strcmp(word, "REPLACE") ? "INTO"
                        : !strcmp(word, "SELECT") || !strcmp(word, "DELETE") ? "FROM"
                        : !strcmp(word, "UPDATE") ? "" : NULL;
    if (!keyword) return;
    if (!*keyword) { /* UPDATE [OR …] table */
        const char *q = p;
        char next[64];
        if (otel_sql_next_word(&q, next, sizeof next) && otel_sql_is(next, "OR")) { otel_sql_next_word(&q, next, sizeof next); p = q; }
        otel_sql_single_table(p, summary->collection, sizeof summary->collection);
        return;
    }
    /* Find the keyword at nesting depth 0. */
    int depth = 0;
    while (*p) {
        if (*p == '(') { depth++; p++; continue; }
        if (*p == ')') { depth--; p++; continue; }
        if (*p == '\'') { p++; while (*p && *p != '\'') p++; if (*p) p++; continue; }
        if (depth == 0 && otel_sql_identifier_char(*p) && (p == sql || !otel_sql_identifier_char(p[-1]))) {
            const char *start = p;
            char candidate[16];
            size_t n = 0;
            while (otel_sql_identifier_char(*p)) { if (n + 1 < sizeof candidate) candidate[n++] = *p; p++; }
            candidate[n] = 0;
            if (otel_sql_is(candidate, keyword)) {
                (void)start;
                otel_sql_single_table(p, summary->collection, sizeof summary->collection);
                return;
            }
            continue;
        }
        p++;
    }
}
