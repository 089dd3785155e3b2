/* The incremental HTTP/1.x parser (RFC 9112). See otel_http_parser.h. */
#include "otel_http_parser.h"

#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

enum {
    IDLE,              /* between messages (empty lines skipped, RFC 9112 §2.2) */
    METHOD,            /* request line */
    TARGET,
    REQUEST_VERSION,
    STATUS_VERSION,    /* status line */
    STATUS_CODE,
    REASON,
    START_LINE_LF,     /* after the start line's CR */
    HEADER_LINE_START,
    HEADER_NAME,
    HEADER_VALUE,
    HEADERS_END_LF,    /* after the empty line's CR */
    DONE_PENDING,      /* a message without body: done with its header section (otel_http_parse) */
    BODY,              /* Content-Length bytes */
    BODY_UNTIL_CLOSE,
    CHUNK_SIZE,
    CHUNK_EXTENSION,
    CHUNK_DATA,
    CHUNK_DATA_END,
    TRAILER_LINE_START,
    TRAILER_LINE,
    FAILED,
};

enum {
    CAPTURE_NONE,
    CAPTURE_HOST,
    CAPTURE_USER_AGENT,
    CAPTURE_FORWARDED_FOR,
    CAPTURE_TRACEPARENT,
    CAPTURE_TRACESTATE,
    CAPTURE_BAGGAGE,
    CAPTURE_CONTENT_LENGTH,
    CAPTURE_TRANSFER_ENCODING,
    CAPTURE_TARGET, /* the request line's target, deferred (request_line) */
};

#define HEADER_LIMIT (64u * 1024u) /* header section (and trailers) of one message */
#define EXTENSION_LIMIT 4096u      /* chunk extensions of one chunk */
#define VERSION_PREFIX "HTTP/1."

void otel_http_parser_init(otel_http_parser *parser, bool is_request) {
    memset(parser, 0, sizeof *parser);
    parser->is_request = is_request;
    parser->state = IDLE;
}

/* RFC 9110 §5.6.2 tchar: digits, letters and "!#$%&'*+-.^_`|~". */
static const bool token_byte[256] = {
    ['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true,
    ['!'] = true, ['#'] = true, ['$'] = true, ['%'] = true, ['&'] = true, ['\''] = true, ['*'] = true, ['+'] = true,
    ['-'] = true, ['.'] = true, ['^'] = true, ['_'] = true, ['`'] = true, ['|'] = true, ['~'] = true,
};

static inline bool is_token(uint8_t c) { return token_byte[c]; }

/* Bytes a captured field value may hold (RFC 9110 §5.5): not the control
 * characters, but the tab, and the CR that the line's end trims. */
static const bool value_byte[256] = {
    ['\t'] = true, ['\r'] = true,
    [0x20 ... 0x7e] = true,
    [0x80 ... 0xff] = true,
};

static int hex_value(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
    return -1;
}

/* ---- word-at-a-time scanning ---------------------------------------------- */

/* Eight bytes at once, in whatever order the machine keeps them: asked
 * whether any byte of the eight is of a kind; which one only where the
 * first byte is the lowest (target_run, on a little-endian machine). */
static inline uint64_t load8(const uint8_t *bytes) {
    uint64_t word;
    memcpy(&word, bytes, sizeof word);
    return word;
}

/* Four bytes the same way, in the low half of a word. */
static inline uint64_t load4(const uint8_t *bytes) {
    uint32_t word;
    memcpy(&word, bytes, sizeof word);
    return word;
}

#define EVERY_BYTE(b) (0x0101010101010101ull * (uint8_t)(b))

/* Non-zero when a byte of `word` is below `n` (n <= 128) ("hasless",
 * Bit Twiddling Hacks: exact for "any", not for which). */
static inline uint64_t any_byte_below(uint64_t word, uint8_t n) {
    return (word - EVERY_BYTE(n)) & ~word & EVERY_BYTE(0x80);
}

/* Non-zero when a byte of `word` is `b`. */
static inline uint64_t any_byte_is(uint64_t word, uint8_t b) { return any_byte_below(word ^ EVERY_BYTE(b), 1); }

/* Whether `word` holds a control byte (a tab included) or DEL. */
static inline bool word_has_control(uint64_t word) { return (any_byte_below(word, 0x20) | any_byte_is(word, 0x7f)) != 0; }

/* How many bytes of `bytes` from the start a field value may hold (value_byte). */
static size_t value_run(const uint8_t *bytes, size_t count) {
    size_t plain = count && bytes[count - 1] == '\r' ? count - 1 : count; /* the line's CR is a value byte */
    size_t i = 0;
    while (i + 8 <= plain && !word_has_control(load8(bytes + i))) i += 8;
    if (i + 8 > plain) { /* every whole word was clean: the rest lies within the last eight (read again) */
        if (i == plain || (plain >= 8 && !word_has_control(load8(bytes + plain - 8)))) return count;
    }
    while (i < count && value_byte[bytes[i]]) i++;
    return i;
}

/* How many bytes of `bytes` from the start a request target may hold (visible ASCII and any byte above it). */
static size_t target_run(const uint8_t *bytes, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        uint64_t word = load8(bytes + i);
        uint64_t stops = any_byte_below(word, 0x21) | any_byte_is(word, 0x7f); /* a space, a control byte or DEL */
        if (stops) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            /* The lowest flag is exact (a borrow only runs upwards from a true one): the first such byte. */
            return i + (size_t)__builtin_ctzll(stops) / 8;
#else
            break;
#endif
        }
    }
    while (i < count && bytes[i] > ' ' && bytes[i] != 0x7f) i++;
    return i;
}

/* The line feeds of one buffer in order, found 64 bytes at a time (SSE2; a
 * bit per byte) where memchr would be called once per line. */
typedef struct lf_finder {
    const uint8_t *data;
    size_t length;
    size_t block; /* where the bytes of `bits` start */
    uint64_t bits; /* the line feeds of the block not returned yet */
} lf_finder;

#define LF_BLOCK 64

#if defined(__SSE2__)
/* The line feeds of 16 readable bytes. */
static inline uint64_t lf_bits16(const uint8_t *bytes) {
    return (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)bytes), _mm_set1_epi8('\n')));
}

/* The line feeds of 64 readable bytes. */
static inline uint64_t lf_bits(const uint8_t *bytes) {
    return lf_bits16(bytes) | lf_bits16(bytes + 16) << 16 | lf_bits16(bytes + 32) << 32 | lf_bits16(bytes + 48) << 48;
}
#endif

/* The line feeds of the fewer than 64 bytes left at `block` (`block` < `length`),
 * never reading outside the buffer. Out of line: a buffer's last block. */
static OTEL_HTTP_HOT __attribute__((noinline)) uint64_t lf_tail(const uint8_t *data, size_t length, size_t block) {
    size_t rest = length - block;
#if defined(__SSE2__)
    if (length >= LF_BLOCK) return lf_bits(data + length - LF_BLOCK) >> (LF_BLOCK - rest); /* the buffer's last 64 bytes */
    if (length >= 16) { /* a short buffer: 16 bytes at a time, the last 16 overlapping */
        uint64_t bits = 0;
        size_t k = 0;
        for (; k + 16 <= rest; k += 16) bits |= lf_bits16(data + block + k) << k;
        if (k < rest) bits |= (lf_bits16(data + length - 16) >> (16 - (rest - k))) << k;
        return bits;
    }
#endif
    uint64_t bits = 0;
    for (size_t k = 0; k < rest; k++) bits |= (uint64_t)(data[block + k] == '\n') << k;
    return bits;
}

/* The line feeds of the (up to) 64 bytes at `block` (`block` < `length`): a
 * whole block where it is read, without a call. */
static inline __attribute__((always_inline)) uint64_t lf_block(const uint8_t *data, size_t length, size_t block) {
#if defined(__SSE2__)
    if (length - block >= LF_BLOCK) return lf_bits(data + block);
#else
    if (length - block >= LF_BLOCK) {
        uint64_t bits = 0;
        for (size_t k = 0; k < LF_BLOCK; k++) bits |= (uint64_t)(data[block + k] == '\n') << k;
        return bits;
    }
#endif
    return lf_tail(data, length, block);
}

/* A finder of the line feeds of `data` from `from` on. */
static inline lf_finder lf_from(const uint8_t *data, size_t length, size_t from) {
    return (lf_finder){data, length, from, from < length ? lf_block(data, length, from) : 0};
}

/* The next line feed, or SIZE_MAX past the last. */
static inline size_t lf_next(lf_finder *finder) {
    while (!finder->bits) {
        if (finder->length - finder->block <= LF_BLOCK) return SIZE_MAX;
        finder->block += LF_BLOCK;
        finder->bits = lf_block(finder->data, finder->length, finder->block);
    }
    size_t at = finder->block + (size_t)__builtin_ctzll(finder->bits);
    finder->bits &= finder->bits - 1;
    return at;
}

/* Where a field value starts in `bytes`: after its leading spaces and tabs (RFC 9110 §5.5). */
static inline size_t value_start(const uint8_t *bytes, size_t count) {
    size_t start = 0;
    while (start < count && (bytes[start] == ' ' || bytes[start] == '\t')) start++;
    return start;
}

/* Where a field value ends before `end`: without its trailing spaces, tabs
 * and the line's CR (RFC 9110 §5.5), not before `start`. */
static inline size_t value_end(const uint8_t *bytes, size_t start, size_t end) {
    while (end > start && (bytes[end - 1] == ' ' || bytes[end - 1] == '\t' || bytes[end - 1] == '\r')) end--;
    return end;
}

/* A Content-Length value: 1 to 18 decimal digits, nothing else (RFC 9112
 * §6.3: an invalid length is unrecoverable); false otherwise. */
static bool content_length_value(const uint8_t *digits, size_t count, uint64_t *length) {
    if (!count || count > 18) return false;
    uint64_t value = 0;
    for (size_t i = 0; i < count; i++) {
        if (digits[i] < '0' || digits[i] > '9') return false;
        value = value * 10 + (uint64_t)(digits[i] - '0');
    }
    *length = value;
    return true;
}

/* The fields all share one layout: text, length, truncated. */
typedef struct field_view {
    char *text;
    uint16_t *length;
    bool *truncated;
    size_t size;
} field_view;

#define VIEW(field) ((field_view){(field).text, &(field).length, &(field).truncated, sizeof (field).text})

static void field_append(field_view field, uint8_t c) {
    if (*field.truncated) return; /* what follows a cut is not kept */
    if ((size_t)*field.length + 1 < field.size) {
        field.text[(*field.length)++] = (char)c;
        field.text[*field.length] = '\0';
    } else {
        *field.truncated = true;
    }
}

/* memcpy for the short runs a header line holds (a method, a host): whole
 * words, the last one overlapping, without a call; memcpy past 16 bytes. */
static inline void copy_run(char *to, const uint8_t *from, size_t count) {
    if (count > 16) {
        memcpy(to, from, count);
    } else if (count >= 8) {
        uint64_t first = load8(from), last = load8(from + count - 8);
        memcpy(to, &first, 8);
        memcpy(to + count - 8, &last, 8);
    } else if (count >= 4) {
        uint32_t first, last;
        memcpy(&first, from, 4);
        memcpy(&last, from + count - 4, 4);
        memcpy(to, &first, 4);
        memcpy(to + count - 4, &last, 4);
    } else {
        for (size_t i = 0; i < count; i++) to[i] = (char)from[i];
    }
}

/* Appends `count` bytes, as field_append would one by one. */
static inline void field_append_run(field_view field, const uint8_t *bytes, size_t count) {
    if (*field.truncated || !count) return;
    size_t room = field.size - 1 - *field.length;
    size_t taken = count < room ? count : room;
    copy_run(field.text + *field.length, bytes, taken);
    *field.length = (uint16_t)(*field.length + taken);
    field.text[*field.length] = '\0';
    if (taken < count) *field.truncated = true;
}

/* Sets an empty field of at least eight bytes to the first `count` (< 8)
 * of `bytes`, which holds eight or more: one word copied, then cut. */
static inline void field_set_word(field_view field, const uint8_t *bytes, size_t count) {
    uint64_t word = load8(bytes);
    memcpy(field.text, &word, sizeof word);
    field.text[count] = '\0';
    *field.length = (uint16_t)count;
}

static void field_clear(field_view field) {
    *field.length = 0;
    field.text[0] = '\0';
    *field.truncated = false;
}

/* A field about to be read or written for the current message: emptied first
 * if it still holds the last message's value (its `stale` bit). */
static inline field_view fresh(otel_http_parser *parser, unsigned stale, field_view field) {
    if (parser->stale_fields & stale) {
        parser->stale_fields &= (uint16_t)~stale;
        field_clear(field);
    }
    return field;
}
#define FRESH(parser, field, stale) fresh((parser), (stale), VIEW((parser)->field))

/* Trailing spaces, tabs and a CR are not part of a field value (RFC 9110 §5.5). */
static void field_trim(field_view field) {
    *field.length = (uint16_t)value_end((const uint8_t *)field.text, 0, *field.length);
    field.text[*field.length] = '\0';
}

/* Forgets the last message: its fields marked stale (emptied at their first
 * use: emptying them all would touch a cache line each), its framing and
 * counters reset. A response parser only ever writes `framing`. */
static void begin_message(otel_http_parser *parser) {
    parser->stale_fields = OTEL_HTTP_STALE_METHOD | OTEL_HTTP_STALE_TARGET | OTEL_HTTP_STALE_HOST | OTEL_HTTP_STALE_USER_AGENT |
                           OTEL_HTTP_STALE_FORWARDED_FOR | OTEL_HTTP_STALE_TRACEPARENT | OTEL_HTTP_STALE_TRACESTATE |
                           OTEL_HTTP_STALE_BAGGAGE | OTEL_HTTP_STALE_FRAMING;
    parser->version_minor = parser->status = 0;
    parser->interim = parser->upgrade = parser->until_close = false;
    parser->capture = CAPTURE_NONE;
    parser->header_bytes = parser->name_length = 0;
    parser->name_too_long = parser->chunked = parser->has_length = parser->value_started = false;
    parser->remaining = 0;
    parser->hex_digits = 0;
    parser->state = parser->is_request ? METHOD : STATUS_VERSION;
}

/* ASCII capitals of a word in lower case, other bytes as they are (a word-wide
 * tolower: a byte's high bit marks A-Z, then becomes its 0x20). */
static inline uint64_t lower8(uint64_t word) {
    uint64_t seven_bits = word & EVERY_BYTE(0x7f);
    uint64_t above_z = seven_bits + EVERY_BYTE(0x7f - 'Z');
    uint64_t from_a = seven_bits + EVERY_BYTE(0x80 - 'A');
    uint64_t capitals = (from_a ^ above_z) & ~word & EVERY_BYTE(0x80);
    return word | (capitals >> 2);
}

/* Whether `bytes` spell the lower-case header name `lower`, in any case. */
static inline __attribute__((always_inline)) bool same_name(const uint8_t *bytes, const char *lower, size_t length) {
    if (length >= 8) { /* eight bytes at a time, the last eight overlapping */
        for (size_t i = 0; i + 8 < length; i += 8)
            if (lower8(load8(bytes + i)) != load8((const uint8_t *)lower + i)) return false;
        return lower8(load8(bytes + length - 8)) == load8((const uint8_t *)lower + length - 8);
    }
    if (length >= 4) /* four bytes twice, the last four overlapping */
        return lower8(load4(bytes)) == load4((const uint8_t *)lower) &&
               lower8(load4(bytes + length - 4)) == load4((const uint8_t *)lower + length - 4);
    for (size_t i = 0; i < length; i++) {
        uint8_t c = bytes[i];
        if (c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
        if (c != (uint8_t)lower[i]) return false;
    }
    return true;
}

/* The header names whose values are kept, in lower case (field names are
 * compared without case, RFC 9110 §5.1); responses keep only the framing ones. */
#define CAPTURED_NAME(lower, capture, requests_only) {lower, sizeof lower - 1, capture, requests_only}
static const struct captured_name {
    const char *lower;
    uint8_t length;
    uint8_t capture;
    bool requests_only;
} captured_names[] = {
    CAPTURED_NAME("content-length", CAPTURE_CONTENT_LENGTH, false),
    CAPTURED_NAME("transfer-encoding", CAPTURE_TRANSFER_ENCODING, false),
    CAPTURED_NAME("host", CAPTURE_HOST, true),
    CAPTURED_NAME("user-agent", CAPTURE_USER_AGENT, true),
    CAPTURED_NAME("traceparent", CAPTURE_TRACEPARENT, true),
    CAPTURED_NAME("tracestate", CAPTURE_TRACESTATE, true),
    CAPTURED_NAME("baggage", CAPTURE_BAGGAGE, true),
    CAPTURED_NAME("x-forwarded-for", CAPTURE_FORWARDED_FOR, true),
};
#undef CAPTURED_NAME
#define CAPTURED_NAMES (sizeof captured_names / sizeof captured_names[0])

/* Which field the value of the header named `name` goes to. */
static int capture_for_name(bool is_request, const uint8_t *name, size_t length) {
    for (size_t i = 0; i < CAPTURED_NAMES; i++) {
        const struct captured_name *candidate = &captured_names[i];
        if (candidate->length == length && (is_request || !candidate->requests_only) && same_name(name, candidate->lower, length))
            return candidate->capture;
    }
    return CAPTURE_NONE;
}

/* The same for the name gathered byte by byte (a line split across reads). */
static int capture_for(const otel_http_parser *parser) {
    if (parser->name_too_long) return CAPTURE_NONE;
    return capture_for_name(parser->is_request, (const uint8_t *)parser->name, parser->name_length);
}

/* The field the current capture goes to, made fresh for this message; false for none. */
static bool captured_view(otel_http_parser *parser, field_view *view) {
    switch (parser->capture) {
    case CAPTURE_HOST: *view = FRESH(parser, host, OTEL_HTTP_STALE_HOST); return true;
    case CAPTURE_USER_AGENT: *view = FRESH(parser, user_agent, OTEL_HTTP_STALE_USER_AGENT); return true;
    case CAPTURE_FORWARDED_FOR: *view = FRESH(parser, forwarded_for, OTEL_HTTP_STALE_FORWARDED_FOR); return true;
    case CAPTURE_TRACEPARENT: *view = FRESH(parser, traceparent, OTEL_HTTP_STALE_TRACEPARENT); return true;
    case CAPTURE_TRACESTATE: *view = FRESH(parser, tracestate, OTEL_HTTP_STALE_TRACESTATE); return true;
    case CAPTURE_BAGGAGE: *view = FRESH(parser, baggage, OTEL_HTTP_STALE_BAGGAGE); return true;
    case CAPTURE_CONTENT_LENGTH: case CAPTURE_TRANSFER_ENCODING: *view = FRESH(parser, framing, OTEL_HTTP_STALE_FRAMING); return true;
    default: return false;
    }
}

/* A header's value begins: lists (tracestate, baggage) continue with a
 * comma (RFC 9110 §5.3), X-Forwarded-For keeps its first header, others restart. */
static void begin_value(otel_http_parser *parser, field_view view) {
    if ((parser->capture == CAPTURE_TRACESTATE || parser->capture == CAPTURE_BAGGAGE) && *view.length) {
        field_append(view, ',');
    } else if (parser->capture == CAPTURE_FORWARDED_FOR && *view.length) {
        parser->capture = CAPTURE_NONE;
    } else {
        field_clear(view);
    }
}

/* Captures a run of the current header's value (no line end in it). */
static void capture_run(otel_http_parser *parser, field_view view, const uint8_t *bytes, size_t count) {
    size_t start = 0;
    if (!parser->value_started) { /* leading whitespace is not part of the value */
        start = value_start(bytes, count);
        if (start == count) return;
        parser->value_started = true;
    }
    size_t end = start;
    if (parser->capture != CAPTURE_FORWARDED_FOR) { /* the usual case: only a stray control byte stops it */
        end = start + value_run(bytes + start, count - start);
        field_append_run(view, bytes + start, end - start);
        if (end < count) *view.truncated = true;
        return;
    }
    while (end < count) {
        uint8_t c = bytes[end];
        /* Control characters (but the tab, and the CR trimmed at the line's end) are not
         * allowed in a field value: the value is cut there. X-Forwarded-For: its first entry. */
        if (!value_byte[c]) {
            field_append_run(view, bytes + start, end - start);
            *view.truncated = true;
            return;
        }
        if (c == ',') {
            field_append_run(view, bytes + start, end - start);
            parser->capture = CAPTURE_NONE;
            return;
        }
        end++;
    }
    field_append_run(view, bytes + start, end - start);
}

static bool ends_with_chunked(const char *text, size_t length) {
    static const char chunked[] = "chunked";
    if (length < 7) return false;
    for (size_t i = 0; i < 7; i++) {
        char c = text[length - 7 + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
        if (c != chunked[i]) return false;
    }
    return length == 7 || text[length - 8] == ' ' || text[length - 8] == ',' || text[length - 8] == '\t';
}

/* A header line ended; false when its value makes the message unparseable. */
static bool end_value(otel_http_parser *parser, field_view view) {
    field_trim(view);
    if (parser->capture == CAPTURE_CONTENT_LENGTH) {
        if (parser->framing.truncated ||
            !content_length_value((const uint8_t *)parser->framing.text, parser->framing.length, &parser->remaining))
            return false;
        parser->has_length = true;
    } else if (parser->capture == CAPTURE_TRANSFER_ENCODING) {
        if (parser->framing.truncated) return false;
        if (ends_with_chunked(parser->framing.text, parser->framing.length)) parser->chunked = true;
        else if (parser->is_request) return false; /* RFC 9112 §6.3: a request must then be rejected */
        else parser->until_close = true;
    } else if (*view.truncated && (parser->capture == CAPTURE_TRACEPARENT || parser->capture == CAPTURE_TRACESTATE ||
                                  parser->capture == CAPTURE_BAGGAGE || parser->capture == CAPTURE_HOST)) {
        field_clear(view); /* a cut context or authority would be wrong: none instead */
        *view.truncated = true;
    }
    parser->capture = CAPTURE_NONE;
    return true;
}

/* The header section ended: how the message's body is framed (RFC 9112 §6.3). */
static OTEL_HTTP_HOT void end_headers(otel_http_parser *parser) {
    parser->capture = CAPTURE_NONE;
    if (parser->is_request) {
        field_view method = FRESH(parser, method, OTEL_HTTP_STALE_METHOD); /* written by the request line */
        if (*method.length == 7 && memcmp(method.text, "CONNECT", 7) == 0) parser->upgrade = true;
        parser->state = parser->chunked ? CHUNK_SIZE : parser->has_length && parser->remaining ? BODY : DONE_PENDING;
        return;
    }
    if (parser->status == 101) parser->upgrade = true;
    if (parser->status >= 100 && parser->status < 200) {
        parser->interim = parser->status != 101;
        parser->state = DONE_PENDING;
    } else if (parser->no_body_expected || parser->status == 204 || parser->status == 304) {
        parser->until_close = false;
        parser->state = DONE_PENDING;
    } else if (parser->chunked) {
        parser->until_close = false;
        parser->state = CHUNK_SIZE;
    } else if (parser->has_length && !parser->until_close) {
        parser->state = parser->remaining ? BODY : DONE_PENDING;
    } else {
        parser->until_close = true;
        parser->state = BODY_UNTIL_CLOSE;
    }
}

/* The first bytes of captured_names, in either case: 1, in requests; 2, in
 * responses (the framing names). A line starting with no other byte is
 * skipped at once; the fuzzer's whole-versus-split comparison would see a
 * byte missing here (the byte-by-byte path looks every name up). */
#define LINE_END_FIRST 4 /* a line starting with CR or LF: the empty line, or not HTTP */
static const uint8_t captured_first_byte[256] = {
    ['c'] = 3, ['C'] = 3, ['t'] = 3, ['T'] = 3,
    ['h'] = 1, ['H'] = 1, ['b'] = 1, ['B'] = 1, ['u'] = 1, ['U'] = 1, ['x'] = 1, ['X'] = 1,
    ['\r'] = LINE_END_FIRST, ['\n'] = LINE_END_FIRST,
};

/* A whole Content-Length line's value (what follows the colon, up to the LF)
 * read where it lies: decides exactly what capturing it into `framing` and
 * end_value would (RFC 9112 §6.3: an invalid length is unrecoverable). */
static bool content_length_in_place(otel_http_parser *parser, const uint8_t *value, size_t count) {
    size_t start = value_start(value, count);
    if (count - start > sizeof parser->framing.text - 1) return false; /* `framing` would have cut it */
    size_t end = value_end(value, start, count);
    if (!content_length_value(value + start, end - start, &parser->remaining)) return false;
    parser->has_length = true;
    return true;
}

/* A whole line's value (what follows the colon, up to the LF) for a field
 * that neither joins headers nor keeps a first entry (host, user-agent,
 * traceparent): copied once, with exactly the value, length and cut that
 * begin_value, capture_run and end_value would leave. */
static void capture_whole_value(otel_http_parser *parser, field_view view, const uint8_t *value, size_t count) {
    size_t start = value_start(value, count);
    size_t run = value_run(value + start, count - start);
    bool cut = run < count - start || run > view.size - 1; /* a control byte, or no room */
    size_t kept = value_end(value + start, 0, run < view.size - 1 ? run : view.size - 1);
    if (cut && parser->capture != CAPTURE_USER_AGENT) kept = 0; /* a cut context or authority would be wrong: none instead */
    copy_run(view.text, value + start, kept);
    view.text[kept] = '\0';
    *view.length = (uint16_t)kept;
    *view.truncated = cut;
}

/* A whole host or user-agent line's value, kept where it lies in the buffer
 * until otel_http_parser_settle copies it (of two lines of one field, the last counts). */
static void defer_whole_value(otel_http_parser *parser, const uint8_t *value, size_t count) {
    unsigned at = 0;
    while (at < parser->deferred_count && parser->deferred[at].capture != parser->capture) at++;
    parser->deferred[at].value = value;
    parser->deferred[at].length = count;
    parser->deferred[at].capture = parser->capture;
    if (at == parser->deferred_count) parser->deferred_count++;
}

void otel_http_parser_settle(otel_http_parser *parser) {
    if (parser->stale_fields) {
        FRESH(parser, method, OTEL_HTTP_STALE_METHOD);
        FRESH(parser, target, OTEL_HTTP_STALE_TARGET);
        FRESH(parser, host, OTEL_HTTP_STALE_HOST);
        FRESH(parser, user_agent, OTEL_HTTP_STALE_USER_AGENT);
        FRESH(parser, forwarded_for, OTEL_HTTP_STALE_FORWARDED_FOR);
        FRESH(parser, traceparent, OTEL_HTTP_STALE_TRACEPARENT);
        FRESH(parser, tracestate, OTEL_HTTP_STALE_TRACESTATE);
        FRESH(parser, baggage, OTEL_HTTP_STALE_BAGGAGE);
        FRESH(parser, framing, OTEL_HTTP_STALE_FRAMING);
    }
    int capture = parser->capture;
    for (unsigned i = 0; i < parser->deferred_count; i++) {
        if (parser->deferred[i].capture == CAPTURE_TARGET) { /* taken whole as it lies (target_run) */
            field_append_run(VIEW(parser->target), parser->deferred[i].value, parser->deferred[i].length);
            continue;
        }
        field_view view;
        parser->capture = parser->deferred[i].capture;
        captured_view(parser, &view);
        capture_whole_value(parser, view, parser->deferred[i].value, parser->deferred[i].length);
    }
    parser->deferred_count = 0;
    parser->capture = capture;
}

/* The field a whole header line's value goes to: a captured name followed
 * by its colon (RFC 9112 §5.1: no space before it); `*name_length` its name's. */
static int capture_at_line(bool is_request, const uint8_t *line, size_t length, size_t *name_length) {
#pragma GCC unroll 8 /* each name's length and bytes then known to the compiler */
    for (size_t i = 0; i < CAPTURED_NAMES; i++) {
        const struct captured_name *candidate = &captured_names[i];
        if ((line[0] | 0x20) == candidate->lower[0] && candidate->length < length && line[candidate->length] == ':' &&
            (is_request || !candidate->requests_only) && same_name(line, candidate->lower, candidate->length)) {
            *name_length = candidate->length;
            return candidate->capture;
        }
    }
    return CAPTURE_NONE;
}

/* Whole header lines from `*position` while the buffer holds them (the
 * usual case): a line whose first byte starts no captured name is skipped at
 * once; otherwise its name is matched once and its value captured in one run.
 * Each line is counted against the header limit exactly as the byte-by-byte
 * states would count it (every byte but its LF, the first twice).
 * HEADERS_DONE: the empty line ending the section was consumed. ERROR: a
 * line breaks a limit or its value is invalid (`*position` at it).
 * NEED_MORE: the next line goes on past the buffer; `*position` at its start,
 * which the byte-by-byte states take. `line_feeds`: the buffer's line feeds
 * from `*position` on. */
static OTEL_HTTP_HOT __attribute__((noinline)) otel_http_events header_lines(otel_http_parser *parser, const uint8_t *data, size_t length, size_t *position,
                                    lf_finder line_feeds) {
    const size_t start = *position;
    size_t i = start;
    /* The finder's state in locals: the loop below is the usual request's
     * busiest (a line skipped costs its line feed and one table look-up). */
    size_t block = line_feeds.block;
    uint64_t bits = line_feeds.bits;
    /* Every line counts its bytes and its LF: through a line ending at `end`,
     * base + end + 1 - start, checked against the limit only when this buffer
     * could pass it (then every line takes the careful path). */
    const uint32_t base = parser->header_bytes;
    const bool may_pass_limit = (uint64_t)base + (length - start) > HEADER_LIMIT;
    const uint8_t wanted = parser->is_request ? 1 : 2;
    const uint8_t careful = may_pass_limit ? 0xff : wanted | LINE_END_FIRST;
    otel_http_events event = OTEL_HTTP_NEED_MORE;
    for (;;) {
        while (!bits) {
            if (length - block <= LF_BLOCK) goto out;
            block += LF_BLOCK;
            bits = lf_block(data, length, block);
        }
        size_t end = block + (size_t)__builtin_ctzll(bits);
        bits &= bits - 1;
        const uint8_t *line = data + i; /* at worst the LF itself: readable */
        uint8_t first_kind = captured_first_byte[line[0]];
        if (__builtin_expect(!(first_kind & careful), 1)) { /* most lines: nothing kept, no limit near */
            i = end + 1;
            continue;
        }
        size_t line_length = end - i;
        if (first_kind == LINE_END_FIRST) {
            /* The empty line (counted as one byte), or a line that starts with a CR but is not empty: not HTTP. */
            if (line_length > 1 || (uint64_t)base + (i - start) + 1 > HEADER_LIMIT) {
                event = OTEL_HTTP_ERROR;
                break;
            }
            parser->header_bytes = base + (uint32_t)(i - start) + 1;
            *position = end + 1;
            return OTEL_HTTP_HEADERS_DONE;
        }
        if (may_pass_limit && (uint64_t)base + (end + 1 - start) > HEADER_LIMIT) {
            event = OTEL_HTTP_ERROR;
            break;
        }
        i = end + 1;
        if (!(first_kind & wanted)) continue;
        size_t name_length;
        parser->capture = capture_at_line(parser->is_request, line, line_length, &name_length);
        if (parser->capture == CAPTURE_NONE) continue;
        const uint8_t *value = line + name_length + 1;
        size_t value_length = line_length - name_length - 1; /* with the line's CR, as the byte-by-byte states see it */
        if (parser->capture == CAPTURE_CONTENT_LENGTH) { /* every response has one: read where it lies */
            parser->capture = CAPTURE_NONE;
            if (content_length_in_place(parser, value, value_length)) continue;
            i = (size_t)(line - data);
            event = OTEL_HTTP_ERROR;
            break;
        }
        if (parser->capture == CAPTURE_HOST || parser->capture == CAPTURE_USER_AGENT) { /* read for sampled spans only */
            defer_whole_value(parser, value, value_length);
            parser->capture = CAPTURE_NONE;
            continue;
        }
        field_view view;
        captured_view(parser, &view);
        if (parser->capture == CAPTURE_TRACEPARENT) {
            capture_whole_value(parser, view, value, value_length);
            parser->capture = CAPTURE_NONE;
            continue;
        }
        parser->value_started = false;
        begin_value(parser, view);
        if (parser->capture != CAPTURE_NONE) capture_run(parser, view, value, value_length);
        if (parser->capture != CAPTURE_NONE && !end_value(parser, view)) {
            i = (size_t)(line - data);
            event = OTEL_HTTP_ERROR;
            break;
        }
    }
out:
    parser->header_bytes = base + (uint32_t)(i - start);
    *position = i;
    /* The section goes on in later bytes (or failed): what waits is copied while its buffer is there. */
    otel_http_parser_settle(parser);
    return event;
}

/* A whole request line (without its LF): method, target and version taken
 * at once, with what the byte-by-byte states would keep and count. False,
 * changing nothing, for anything else (a method too long, bytes that are not
 * HTTP/1.x): those states then decide, error included. */
static bool request_line(otel_http_parser *parser, const uint8_t *line, size_t length) {
    size_t method = 0;
    while (method < length && is_token(line[method])) method++;
    if (!method || method > sizeof parser->method.text - 1 || method == length || line[method] != ' ') return false;
    size_t target_start = method + 1, target_end = target_start + target_run(line + target_start, length - target_start);
    size_t target = target_end - target_start, digit = target_end + sizeof VERSION_PREFIX;
    if (!target || target > HEADER_LIMIT || digit >= length || line[target_end] != ' ' ||
        memcmp(line + target_end + 1, VERSION_PREFIX, sizeof VERSION_PREFIX - 1) != 0 ||
        line[digit] < '0' || line[digit] > '9' || !(length == digit + 1 || (length == digit + 2 && line[digit + 1] == '\r')))
        return false;
    field_view method_field = FRESH(parser, method, OTEL_HTTP_STALE_METHOD);
    if (method < 8) field_set_word(method_field, line, method); /* the usual methods; the line goes on past them */
    else field_append_run(method_field, line, method);
    /* The target stays where it lies until otel_http_parser_settle (sampled
     * spans alone read it); the call's first deferral (otel_http_parse
     * forgets the last call's). */
    parser->deferred[0].value = line + target_start;
    parser->deferred[0].length = target;
    parser->deferred[0].capture = CAPTURE_TARGET;
    parser->deferred_count = 1;
    parser->header_bytes += (uint32_t)target;
    parser->version_minor = line[digit] - '0';
    return true;
}

/* A whole status line, as request_line. */
static bool status_line(otel_http_parser *parser, const uint8_t *line, size_t length) {
    if (length < 12 || memcmp(line, VERSION_PREFIX, sizeof VERSION_PREFIX - 1) != 0 || line[8] != ' ') return false;
    for (size_t i = 9; i < 12; i++)
        if (line[i] < '0' || line[i] > '9') return false;
    if (line[7] < '0' || line[7] > '9') return false;
    if (length == 12 || (length == 13 && line[12] == '\r')) {
        /* no reason phrase */
    } else if (line[12] == ' ' && length - 12 <= HEADER_LIMIT) {
        parser->header_bytes += (uint32_t)(length - 12); /* the reason phrase and its line end, as REASON counts */
    } else {
        return false;
    }
    parser->version_minor = line[7] - '0';
    parser->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    return true;
}

/* The start line at `*position` when the buffer holds it whole (the usual
 * case), taken at once; `line_feeds` then at the header lines' line feeds. */
static bool start_line(otel_http_parser *parser, const uint8_t *data, size_t available, size_t *position, lf_finder *line_feeds) {
    lf_finder finder = lf_from(data, available, *position);
    size_t line_end = lf_next(&finder);
    if (line_end == SIZE_MAX) return false;
    const uint8_t *line = data + *position;
    size_t length = line_end - *position;
    if (!(parser->is_request ? request_line(parser, line, length) : status_line(parser, line, length))) return false;
    parser->state = HEADER_LINE_START;
    *position += length + 1;
    *line_feeds = finder;
    return true;
}

static __attribute__((cold, noinline)) otel_http_events fail(otel_http_parser *parser, size_t at, size_t *consumed) {
    parser->state = FAILED;
    *consumed = at;
    return OTEL_HTTP_ERROR;
}

/* The state machine over `length` > 0 bytes (otel_http_parse without its shortcuts). */
static __attribute__((noinline)) otel_http_events parse_bytes(otel_http_parser *parser, const uint8_t *data, size_t length,
                                                         size_t *consumed) {
    size_t i = 0;
    while (i < length) {
        uint8_t c = data[i];
        int state = parser->state;
        /* Start line and header section are bounded (HEADER_LIMIT): the states that
         * consume runs count them; the others take a bounded number of bytes each. */
        switch (state) {
        case IDLE:
            if (c == '\r' || c == '\n') {
                i++;
                break;
            }
            begin_message(parser);
            *consumed = i;
            return OTEL_HTTP_MESSAGE_BEGIN;
        case METHOD: {
            field_view method = FRESH(parser, method, OTEL_HTTP_STALE_METHOD);
            if (c == ' ' && *method.length) parser->state = TARGET;
            else if (is_token(c) && !*method.truncated) field_append(method, c);
            else return fail(parser, i, consumed); /* not a token, or no method this long */
            i++;
            break;
        }
        case TARGET: {
            field_view target = FRESH(parser, target, OTEL_HTTP_STALE_TARGET);
            /* A run of target bytes at once; the byte that ends it is handled below, next. */
            size_t start = i;
            while (i < length && data[i] > ' ' && data[i] != 0x7f) i++;
            if (i > start) {
                field_append_run(target, data + start, i - start);
                parser->header_bytes += (uint32_t)(i - start);
                if (parser->header_bytes > HEADER_LIMIT) return fail(parser, start, consumed);
                break;
            }
            if (c != ' ' || !*target.length) return fail(parser, i, consumed); /* HTTP/0.9, or not HTTP */
            parser->state = REQUEST_VERSION;
            parser->name_length = 0;
            i++;
            break;
        }
        case REQUEST_VERSION: case STATUS_VERSION: {
            size_t matched = parser->name_length;
            if (matched < sizeof VERSION_PREFIX - 1) {
                if (c != (uint8_t)VERSION_PREFIX[matched]) return fail(parser, i, consumed);
            } else if (matched == sizeof VERSION_PREFIX - 1) {
                if (c < '0' || c > '9') return fail(parser, i, consumed);
                parser->version_minor = c - '0';
            } else if (state == STATUS_VERSION) {
                if (c != ' ') return fail(parser, i, consumed);
                parser->state = STATUS_CODE;
                parser->name_length = 0;
                i++;
                break;
            } else {
                if (c == '\r') parser->state = START_LINE_LF;
                else if (c == '\n') parser->state = HEADER_LINE_START;
                else return fail(parser, i, consumed);
                i++;
                break;
            }
            parser->name_length++;
            i++;
            break;
        }
        case STATUS_CODE:
            if (parser->name_length < 3) {
                if (c < '0' || c > '9') return fail(parser, i, consumed);
                parser->status = parser->status * 10 + (c - '0');
                parser->name_length++;
            } else if (c == ' ') {
                parser->state = REASON;
            } else if (c == '\r') {
                parser->state = START_LINE_LF;
            } else if (c == '\n') {
                parser->state = HEADER_LINE_START;
            } else {
                return fail(parser, i, consumed);
            }
            i++;
            break;
        case REASON: { /* skipped up to the line's end (its CR included) */
            const uint8_t *line_end = memchr(data + i, '\n', length - i);
            size_t run = (line_end ? (size_t)(line_end - data) + 1 : length) - i;
            if (parser->header_bytes + run > HEADER_LIMIT) return fail(parser, i, consumed);
            parser->header_bytes += (uint32_t)run;
            if (line_end) parser->state = HEADER_LINE_START;
            i += run;
            break;
        }
        case START_LINE_LF:
            if (c != '\n') return fail(parser, i, consumed);
            parser->state = HEADER_LINE_START;
            i++;
            break;
        case HEADER_LINE_START: {
            otel_http_events event = header_lines(parser, data, length, &i, lf_from(data, length, i));
            if (event == OTEL_HTTP_HEADERS_DONE) {
                end_headers(parser);
                *consumed = i;
                return event;
            }
            if (event == OTEL_HTTP_ERROR) return fail(parser, i, consumed);
            if (i == length) break;
            /* The line goes on past this buffer: byte by byte. */
            c = data[i];
            if (++parser->header_bytes > HEADER_LIMIT) return fail(parser, i, consumed);
            if (c == '\r') {
                parser->state = HEADERS_END_LF;
                i++;
                break;
            }
            parser->name_length = 0;
            parser->name_too_long = false;
            parser->capture = CAPTURE_NONE;
            parser->state = HEADER_NAME;
            break; /* the byte is the name's first */
        }
        case HEADER_NAME: {
            /* A run of name bytes at once; the ':' or LF that ends it is handled below, next. */
            size_t start = i;
            uint32_t kept = parser->name_length;
            while (i < length && data[i] != ':' && data[i] != '\n') {
                if (kept < sizeof parser->name) parser->name[kept++] = (char)data[i];
                else parser->name_too_long = true;
                i++;
            }
            parser->name_length = kept;
            if (i > start) {
                parser->header_bytes += (uint32_t)(i - start);
                if (parser->header_bytes > HEADER_LIMIT) return fail(parser, start, consumed);
                break;
            }
            if (c == ':') {
                if (++parser->header_bytes > HEADER_LIMIT) return fail(parser, i, consumed);
                parser->capture = capture_for(parser);
                parser->value_started = false;
                field_view view;
                if (captured_view(parser, &view)) begin_value(parser, view);
                parser->state = HEADER_VALUE;
            } else {
                parser->state = HEADER_LINE_START; /* a line without a colon: ignored */
            }
            i++;
            break;
        }
        case HEADER_VALUE: {
            if (c == '\n') {
                field_view view;
                if (captured_view(parser, &view) && !end_value(parser, view)) return fail(parser, i, consumed);
                parser->state = HEADER_LINE_START;
                i++;
                break;
            }
            /* The rest of the line at once: skipped, or captured (RFC 9110 §5.5: leading
             * whitespace is not part of the value). Counted against the header limit. */
            const uint8_t *line_end = memchr(data + i, '\n', length - i);
            size_t run = (line_end ? (size_t)(line_end - data) : length) - i;
            if (parser->header_bytes + run > HEADER_LIMIT) return fail(parser, i, consumed);
            parser->header_bytes += (uint32_t)run;
            field_view view;
            if (captured_view(parser, &view)) capture_run(parser, view, data + i, run);
            i += run;
            break;
        }
        case HEADERS_END_LF:
            if (c != '\n') return fail(parser, i, consumed);
            i++;
            end_headers(parser);
            *consumed = i;
            return OTEL_HTTP_HEADERS_DONE;
        case BODY: {
            size_t take = length - i < parser->remaining ? length - i : (size_t)parser->remaining;
            parser->remaining -= take;
            i += take;
            if (!parser->remaining) {
                parser->state = IDLE;
                *consumed = i;
                return OTEL_HTTP_MESSAGE_DONE;
            }
            break;
        }
        case BODY_UNTIL_CLOSE:
            i = length;
            break;
        case CHUNK_SIZE: {
            int digit = hex_value(c);
            if (digit >= 0) {
                if (++parser->hex_digits > 16) return fail(parser, i, consumed);
                parser->remaining = parser->remaining * 16 + (uint64_t)digit;
            } else if (c == ';' || c == ' ' || c == '\t') {
                parser->name_length = 0;
                parser->state = CHUNK_EXTENSION;
            } else if (c == '\n') {
                if (!parser->hex_digits) return fail(parser, i, consumed);
                parser->header_bytes = 0;
                parser->state = parser->remaining ? CHUNK_DATA : TRAILER_LINE_START;
            } else if (c != '\r') {
                return fail(parser, i, consumed);
            }
            i++;
            break;
        }
        case CHUNK_EXTENSION:
            if (c == '\n') {
                if (!parser->hex_digits) return fail(parser, i, consumed);
                parser->header_bytes = 0;
                parser->state = parser->remaining ? CHUNK_DATA : TRAILER_LINE_START;
            } else if (++parser->name_length > EXTENSION_LIMIT) {
                return fail(parser, i, consumed);
            }
            i++;
            break;
        case CHUNK_DATA: {
            size_t take = length - i < parser->remaining ? length - i : (size_t)parser->remaining;
            parser->remaining -= take;
            i += take;
            if (!parser->remaining) parser->state = CHUNK_DATA_END;
            break;
        }
        case CHUNK_DATA_END:
            if (c == '\n') {
                parser->hex_digits = 0;
                parser->remaining = 0;
                parser->state = CHUNK_SIZE;
            } else if (c != '\r') {
                return fail(parser, i, consumed);
            }
            i++;
            break;
        case TRAILER_LINE_START: case TRAILER_LINE:
            if (++parser->header_bytes > HEADER_LIMIT) return fail(parser, i, consumed);
            i++;
            if (c == '\n') {
                if (state == TRAILER_LINE_START) {
                    parser->state = IDLE;
                    *consumed = i;
                    return OTEL_HTTP_MESSAGE_DONE;
                }
                parser->state = TRAILER_LINE_START;
            } else if (c != '\r') {
                parser->state = TRAILER_LINE;
            }
            break;
        default:
            return fail(parser, i, consumed);
        }
    }
    *consumed = length;
    return OTEL_HTTP_NEED_MORE;
}

/* A message's head from its first byte (a message only begins at a call's
 * first byte: MESSAGE_BEGIN ends the call before): its start line and header
 * lines taken whole where the buffer holds them (the usual case, all of it in
 * this function, apart from the state machine's code); the state machine
 * goes on from wherever they stop. */
static OTEL_HTTP_HOT otel_http_events parse_head(otel_http_parser *parser, const uint8_t *data, size_t length, size_t *consumed) {
    size_t i = 0;
    lf_finder line_feeds;
    if (!start_line(parser, data, length, &i, &line_feeds)) return parse_bytes(parser, data, length, consumed);
    if (i < length) {
        otel_http_events event = header_lines(parser, data, length, &i, line_feeds);
        if (event == OTEL_HTTP_HEADERS_DONE) {
            end_headers(parser);
            *consumed = i;
            return event;
        }
        if (event == OTEL_HTTP_ERROR) return fail(parser, i, consumed);
    }
    if (i == length) { /* the buffer ended with a whole line */
        if (parser->deferred_count) otel_http_parser_settle(parser);
        *consumed = length;
        return OTEL_HTTP_NEED_MORE;
    }
    size_t used;
    otel_http_events event = parse_bytes(parser, data + i, length - i, &used); /* a line goes on past this buffer */
    *consumed = i + used;
    return event;
}

/* A message that begins goes on at once (its head is most often whole in
 * the same bytes: then one call, not one per event), and one without body
 * ends with its header section. */
OTEL_HTTP_HOT otel_http_events otel_http_parse(otel_http_parser *parser, const uint8_t *data, size_t length, size_t *consumed) {
    *consumed = 0;
    parser->deferred_count = 0; /* values deferred by the last call were not asked for */
    otel_http_events events = OTEL_HTTP_NEED_MORE;
    if (parser->state == IDLE && length && data[0] != '\r' && data[0] != '\n') {
        begin_message(parser);
        events = OTEL_HTTP_MESSAGE_BEGIN;
    }
    if (!length) return parser->state == FAILED ? OTEL_HTTP_ERROR : OTEL_HTTP_NEED_MORE;
    if ((parser->state == METHOD && (parser->stale_fields & OTEL_HTTP_STALE_METHOD)) ||
        (parser->state == STATUS_VERSION && !parser->name_length)) {
        events |= parse_head(parser, data, length, consumed); /* the start line's first byte */
    } else if (parser->state == FAILED) {
        return OTEL_HTTP_ERROR;
    } else {
        events |= parse_bytes(parser, data, length, consumed);
        if (events == OTEL_HTTP_MESSAGE_BEGIN && *consumed < length) { /* after empty lines (RFC 9112 §2.2) */
            size_t more;
            events |= otel_http_parse(parser, data + *consumed, length - *consumed, &more);
            *consumed += more;
        }
    }
    if ((events & OTEL_HTTP_HEADERS_DONE) && parser->state == DONE_PENDING) {
        parser->state = IDLE;
        events |= OTEL_HTTP_MESSAGE_DONE;
    }
    return events;
}

OTEL_HTTP_HOT otel_http_events otel_http_parse_unseen(otel_http_parser *parser, uint64_t length, uint64_t *consumed) {
    *consumed = 0;
    parser->deferred_count = 0;
    if (!length) return parser->state == FAILED ? OTEL_HTTP_ERROR : OTEL_HTTP_NEED_MORE;
    if (parser->state == BODY_UNTIL_CLOSE) {
        *consumed = length;
        return OTEL_HTTP_NEED_MORE;
    }
    if (parser->state != BODY && parser->state != CHUNK_DATA) {
        parser->state = FAILED;
        return OTEL_HTTP_ERROR;
    }
    uint64_t take = length < parser->remaining ? length : parser->remaining;
    parser->remaining -= take;
    *consumed = take;
    if (parser->remaining) return OTEL_HTTP_NEED_MORE;
    if (parser->state == CHUNK_DATA) {
        parser->state = CHUNK_DATA_END;
        return OTEL_HTTP_NEED_MORE; /* the chunk's CRLF is written after */
    }
    parser->state = IDLE;
    return OTEL_HTTP_MESSAGE_DONE;
}

bool otel_http_parser_closed(otel_http_parser *parser) {
    if (parser->state != BODY_UNTIL_CLOSE) return false;
    parser->state = IDLE;
    return true;
}
