/* SQL text helpers for the database semantic conventions: literals replaced
 * by `?` (db.query.text must not carry values), and the operation and
 * collection of a statement (db.operation.name, db.collection.name,
 * db.query.summary). A small tokenizer, not a parser: it never fails, and
 * leaves anything it does not recognise as it is. */
#include "otel_sqlite3.h"

#include <strings.h>
#include <string.h>

/* Byte classes, as SQLite's tokenizer sees them (ASCII; no locale, and no
 * call into libc per byte): identifier characters, digits, hexadecimal
 * digits, blanks, and the bytes that may start something the sanitizer
 * rewrites or skips. A byte in no class is copied as it is. */
enum { OTEL_SQL_PLAIN = 0, OTEL_SQL_WORD = 1, OTEL_SQL_DIGIT = 2, OTEL_SQL_SPECIAL = 4, OTEL_SQL_SPACE = 8, OTEL_SQL_HEX = 16 };
static const unsigned char otel_sql_class[256] = {
    ['a' ... 'f'] = OTEL_SQL_WORD | OTEL_SQL_HEX, ['g' ... 'z'] = OTEL_SQL_WORD,
    ['A' ... 'F'] = OTEL_SQL_WORD | OTEL_SQL_HEX, ['G' ... 'Z'] = OTEL_SQL_WORD,
    ['_'] = OTEL_SQL_WORD, ['$'] = OTEL_SQL_WORD,
    ['0' ... '9'] = OTEL_SQL_WORD | OTEL_SQL_DIGIT | OTEL_SQL_HEX,
    ['-'] = OTEL_SQL_SPECIAL, ['/'] = OTEL_SQL_SPECIAL, ['\''] = OTEL_SQL_SPECIAL, ['"'] = OTEL_SQL_SPECIAL,
    ['`'] = OTEL_SQL_SPECIAL, ['['] = OTEL_SQL_SPECIAL, ['.'] = OTEL_SQL_SPECIAL,
    [' '] = OTEL_SQL_SPACE, ['\t'] = OTEL_SQL_SPACE, ['\n'] = OTEL_SQL_SPACE, ['\v'] = OTEL_SQL_SPACE,
    ['\f'] = OTEL_SQL_SPACE, ['\r'] = OTEL_SQL_SPACE,
};

static int otel_sql_identifier_char(char c) { return otel_sql_class[(unsigned char)c] & OTEL_SQL_WORD; }
static int otel_sql_digit(char c) { return otel_sql_class[(unsigned char)c] & OTEL_SQL_DIGIT; }
static int otel_sql_hex_digit(char c) { return otel_sql_class[(unsigned char)c] & OTEL_SQL_HEX; }
static int otel_sql_space(char c) { return otel_sql_class[(unsigned char)c] & OTEL_SQL_SPACE; }
static char otel_sql_upper_char(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c; }

/* The end of the numeric literal starting at `p` (decimal with fraction and exponent, or 0x hex). */
static const char *otel_sql_number_end(const char *p) {
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
        while (otel_sql_hex_digit(*p)) p++;
        return p;
    }
    while (otel_sql_digit(*p) || *p == '.') p++;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        while (otel_sql_digit(*p)) p++;
    }
    return p;
}

void otel_sql_sanitize(const char *sql, char *out, size_t size) {
    if (!size) return;
    size_t used = 0, limit = size - 1;
    const char *p = sql;
    /* The argument is evaluated once, whether or not it fits: it may advance p. */
#define OTEL_EMIT(c) do { char emitted_ = (c); if (used < limit) out[used++] = emitted_; } while (0)
    while (*p) {
        char c = *p;
        unsigned char kind = otel_sql_class[(unsigned char)c];
        if (!(kind & ~OTEL_SQL_SPACE)) { /* blanks, operators, punctuation; the text starts at its first token */
            if (used > 0 || kind != OTEL_SQL_SPACE) OTEL_EMIT(c);
            p++;
            continue;
        }
        if ((kind & (OTEL_SQL_WORD | OTEL_SQL_DIGIT)) == OTEL_SQL_WORD && !((c == 'x' || c == 'X') && p[1] == '\'')) {
            /* A word, copied whole, so the digits inside it stay. */
            const char *end = p + 1;
            while (otel_sql_identifier_char(*end)) end++;
            size_t length = (size_t)(end - p);
            if (length > limit - used) length = limit - used;
            memcpy(out + used, p, length);
            used += length;
            p = end;
            continue;
        }
        if (kind & OTEL_SQL_DIGIT || (c == '.' && otel_sql_digit(p[1]) && (p == sql || !otel_sql_identifier_char(p[-1])))) {
            p = otel_sql_number_end(p); /* a number starts a token here: words take their own digits */
            OTEL_EMIT('?');
            continue;
        }
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
        if (c == 'x' || c == 'X') p++; /* blob literal x'…': the quote follows */
        if (*p == '\'') { /* string or blob literal, '' escapes a quote */
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
        OTEL_EMIT(*p++); /* '-', '/' or '.' alone */
    }
    out[used] = 0;
#undef OTEL_EMIT
}

/* The next word or quoted identifier after `*p`, skipping blanks and comments. */
static int otel_sql_next_word(const char **p, char *word, size_t size) {
    const char *s = *p;
    for (;;) {
        while (otel_sql_space(*s)) s++;
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

/* Copies `first`, then a space and `second` when it is not empty, into `out` (bounded, NUL-terminated). */
static void otel_sql_join(char *out, size_t size, const char *first, const char *second) {
    size_t used = 0;
    for (const char *c = first; *c && used + 1 < size; c++) out[used++] = *c;
    if (*second && used + 1 < size) out[used++] = ' ';
    for (const char *c = second; *c && used + 1 < size; c++) out[used++] = *c;
    out[used] = 0;
}

void otel_sql_summary_text(const otel_sql_summary *summary, char *out, size_t size) {
    if (!size) return;
    otel_sql_join(out, size, summary->operation[0] ? summary->operation : "sqlite", summary->operation[0] ? summary->collection : "");
}

static void otel_sql_upper(char *s) { for (; *s; s++) *s = otel_sql_upper_char(*s); }

/* Whether `word` is `keyword` (upper case) in any case; the first letter is compared inline. */
static int otel_sql_is(const char *word, const char *keyword) {
    return otel_sql_upper_char(word[0]) == keyword[0] && strcasecmp(word, keyword) == 0;
}

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
    while (otel_sql_space(*rest)) rest++;
    if (*rest == ',') return;
    char next[32];
    const char *look = rest;
    if (otel_sql_next_word(&look, next, sizeof next) &&
        (otel_sql_is(next, "JOIN") || otel_sql_is(next, "NATURAL") || otel_sql_is(next, "LEFT") || otel_sql_is(next, "INNER") ||
         otel_sql_is(next, "CROSS") || otel_sql_is(next, "RIGHT") || otel_sql_is(next, "FULL"))) return;
    otel_sql_join(collection, size, word, "");
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
            otel_sql_join(summary->operation, sizeof summary->operation, word, object);
            if (!strcmp(object, "TABLE")) otel_sql_single_table(q, summary->collection, sizeof summary->collection);
            return;
        }
    }
    otel_sql_join(summary->operation, sizeof summary->operation, word, "");
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
