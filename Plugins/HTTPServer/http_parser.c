/* The incremental HTTP/1.x parser (RFC 9112). See otel_http_parser.h. */
#include "otel_http_parser.h"

#include <string.h>

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
    DONE_PENDING,      /* a message without body: MESSAGE_DONE next */
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
};

#define HEADER_LIMIT (64u * 1024u) /* header section (and trailers) of one message */
#define EXTENSION_LIMIT 4096u      /* chunk extensions of one chunk */
#define VERSION_PREFIX "HTTP/1."

void otel_http_parser_init(otel_http_parser *parser, bool is_request) {
    memset(parser, 0, sizeof *parser);
    parser->is_request = is_request;
    parser->state = IDLE;
}

static bool is_token(uint8_t c) { /* RFC 9110 §5.6.2 tchar */
    if (c >= '0' && c <= '9') return true;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

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

/* Appends `count` bytes, as field_append would one by one. */
static void field_append_run(field_view field, const uint8_t *bytes, size_t count) {
    if (*field.truncated || !count) return;
    size_t room = field.size - 1 - *field.length;
    size_t taken = count < room ? count : room;
    memcpy(field.text + *field.length, bytes, taken);
    *field.length = (uint16_t)(*field.length + taken);
    field.text[*field.length] = '\0';
    if (taken < count) *field.truncated = true;
}

static void field_clear(field_view field) {
    *field.length = 0;
    field.text[0] = '\0';
    *field.truncated = false;
}

/* Trailing spaces, tabs and a CR are not part of a field value (RFC 9110 §5.5). */
static void field_trim(field_view field) {
    while (*field.length && (field.text[*field.length - 1] == ' ' || field.text[*field.length - 1] == '\t' ||
                             field.text[*field.length - 1] == '\r'))
        field.text[--(*field.length)] = '\0';
}

/* Forgets the last message: its fields emptied (not the whole buffers, which
 * would cost a 7 KiB memset per request), its framing and counters reset. A
 * response parser only ever fills `framing`: its other fields stay empty. */
static void begin_message(otel_http_parser *parser) {
    if (parser->is_request) {
        field_clear(VIEW(parser->method));
        field_clear(VIEW(parser->target));
        field_clear(VIEW(parser->host));
        field_clear(VIEW(parser->user_agent));
        field_clear(VIEW(parser->forwarded_for));
        field_clear(VIEW(parser->traceparent));
        field_clear(VIEW(parser->tracestate));
        field_clear(VIEW(parser->baggage));
    }
    field_clear(VIEW(parser->framing));
    parser->version_minor = parser->status = 0;
    parser->interim = parser->upgrade = parser->until_close = false;
    parser->capture = CAPTURE_NONE;
    parser->header_bytes = parser->name_length = 0;
    parser->name_too_long = parser->chunked = parser->has_length = parser->value_started = false;
    parser->remaining = 0;
    parser->hex_digits = 0;
    parser->state = parser->is_request ? METHOD : STATUS_VERSION;
}

/* Whether `bytes` spell the lower-case header name `lower`, in any case. */
static bool same_name(const uint8_t *bytes, const char *lower, size_t length) {
    for (size_t i = 0; i < length; i++) {
        uint8_t c = bytes[i];
        if (c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
        if (c != (uint8_t)lower[i]) return false;
    }
    return true;
}

/* Which field the value of the header named `name` goes to (one comparison: by length first). */
static int capture_for_name(bool is_request, const uint8_t *name, size_t length) {
#define NAMED(lower, capture) (same_name(name, lower, sizeof lower - 1) ? (capture) : CAPTURE_NONE)
    switch (length) {
    case 14: return NAMED("content-length", CAPTURE_CONTENT_LENGTH);
    case 17: return NAMED("transfer-encoding", CAPTURE_TRANSFER_ENCODING);
    default: break;
    }
    if (!is_request) return CAPTURE_NONE;
    switch (length) {
    case 4: return NAMED("host", CAPTURE_HOST);
    case 7: return NAMED("baggage", CAPTURE_BAGGAGE);
    case 10: return same_name(name, "user-agent", 10) ? CAPTURE_USER_AGENT : NAMED("tracestate", CAPTURE_TRACESTATE);
    case 11: return NAMED("traceparent", CAPTURE_TRACEPARENT);
    case 15: return NAMED("x-forwarded-for", CAPTURE_FORWARDED_FOR);
    default: return CAPTURE_NONE;
    }
#undef NAMED
}

/* The same for the name gathered byte by byte (a line split across reads). */
static int capture_for(const otel_http_parser *parser) {
    if (parser->name_too_long) return CAPTURE_NONE;
    return capture_for_name(parser->is_request, (const uint8_t *)parser->name, parser->name_length);
}

static bool captured_view(otel_http_parser *parser, field_view *view) {
    switch (parser->capture) {
    case CAPTURE_HOST: *view = VIEW(parser->host); return true;
    case CAPTURE_USER_AGENT: *view = VIEW(parser->user_agent); return true;
    case CAPTURE_FORWARDED_FOR: *view = VIEW(parser->forwarded_for); return true;
    case CAPTURE_TRACEPARENT: *view = VIEW(parser->traceparent); return true;
    case CAPTURE_TRACESTATE: *view = VIEW(parser->tracestate); return true;
    case CAPTURE_BAGGAGE: *view = VIEW(parser->baggage); return true;
    case CAPTURE_CONTENT_LENGTH: case CAPTURE_TRANSFER_ENCODING: *view = VIEW(parser->framing); return true;
    default: return false;
    }
}

/* A header's value begins: lists (tracestate, baggage) continue with a
 * comma (RFC 9110 §5.3), X-Forwarded-For keeps its first header, others restart. */
static void begin_value(otel_http_parser *parser) {
    field_view view;
    if (!captured_view(parser, &view)) return;
    if ((parser->capture == CAPTURE_TRACESTATE || parser->capture == CAPTURE_BAGGAGE) && *view.length) {
        field_append(view, ',');
    } else if (parser->capture == CAPTURE_FORWARDED_FOR && *view.length) {
        parser->capture = CAPTURE_NONE;
    } else {
        field_clear(view);
    }
}

/* Captures a run of the current header's value (no line end in it). */
static void capture_run(otel_http_parser *parser, const uint8_t *bytes, size_t count) {
    field_view view;
    if (!captured_view(parser, &view)) return;
    size_t start = 0;
    if (!parser->value_started) { /* leading whitespace is not part of the value (RFC 9110 §5.5) */
        while (start < count && (bytes[start] == ' ' || bytes[start] == '\t')) start++;
        if (start == count) return;
        parser->value_started = true;
    }
    size_t end = start;
    if (parser->capture != CAPTURE_FORWARDED_FOR) { /* the usual case: only a stray control byte stops it */
        while (end < count && value_byte[bytes[end]]) end++;
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
static bool end_value(otel_http_parser *parser) {
    field_view view;
    if (!captured_view(parser, &view)) return true;
    field_trim(view);
    if (parser->capture == CAPTURE_CONTENT_LENGTH) {
        if (parser->framing.truncated || !parser->framing.length || parser->framing.length > 18) return false;
        uint64_t value = 0;
        for (size_t i = 0; i < parser->framing.length; i++) {
            char c = parser->framing.text[i];
            if (c < '0' || c > '9') return false; /* RFC 9112 §6.3: an invalid length is unrecoverable */
            value = value * 10 + (uint64_t)(c - '0');
        }
        parser->has_length = true;
        parser->remaining = value;
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
static void end_headers(otel_http_parser *parser) {
    parser->capture = CAPTURE_NONE;
    if (parser->is_request) {
        if (parser->method.length == 7 && memcmp(parser->method.text, "CONNECT", 7) == 0) parser->upgrade = true;
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

/* The first bytes of the header names captured: 1, in requests (host, baggage,
 * user-agent, tracestate, traceparent, x-forwarded-for, and the framing
 * ones); 2, in responses (content-length, transfer-encoding). */
static const uint8_t captured_first_byte[256] = {
    ['c'] = 3, ['C'] = 3, ['t'] = 3, ['T'] = 3,
    ['h'] = 1, ['H'] = 1, ['b'] = 1, ['B'] = 1, ['u'] = 1, ['U'] = 1, ['x'] = 1, ['X'] = 1,
};

/* A whole header line in the buffer at once (the usual case): a line whose
 * first byte starts no captured name is skipped at once; otherwise its name
 * is matched once and its value captured in one run. Counts it against the
 * header limit exactly as the byte-by-byte states would (every byte of the
 * line but its LF, the first twice). Returns false, consuming nothing, when
 * the line ends beyond the buffer; sets the state FAILED when the line
 * breaks a limit or its value is invalid. */
static bool header_line(otel_http_parser *parser, const uint8_t *line, size_t available, size_t *position) {
    const uint8_t *line_end = memchr(line, '\n', available);
    if (!line_end) return false;
    size_t length = (size_t)(line_end - line);
    /* The first byte was counted on entering the line; the byte-by-byte states count it twice. */
    uint64_t total = (uint64_t)parser->header_bytes + length;
    if (total > HEADER_LIMIT) {
        parser->state = FAILED;
        return true;
    }
    parser->header_bytes = (uint32_t)total;
    *position += length + 1;
    parser->state = HEADER_LINE_START;
    if (!(captured_first_byte[line[0]] & (parser->is_request ? 1 : 2))) return true; /* most lines: nothing kept */
    const uint8_t *colon = memchr(line, ':', length);
    if (!colon) return true; /* a line without a colon: ignored */
    size_t name_length = (size_t)(colon - line);
    parser->capture = capture_for_name(parser->is_request, line, name_length);
    if (parser->capture == CAPTURE_NONE) return true;
    parser->value_started = false;
    begin_value(parser);
    if (parser->capture != CAPTURE_NONE) capture_run(parser, colon + 1, length - name_length - 1);
    if (!end_value(parser)) parser->state = FAILED;
    return true;
}

/* A whole request line in the buffer (the usual case): method, target and
 * version taken at once, with what the byte-by-byte states would keep and
 * count. Returns false, changing nothing, for anything else (a line split
 * across reads, a method too long, bytes that are not HTTP/1.x): those
 * states then decide, error included. */
static bool request_line(otel_http_parser *parser, const uint8_t *line, size_t available, size_t *position) {
    const uint8_t *line_end = memchr(line, '\n', available);
    if (!line_end) return false;
    size_t length = (size_t)(line_end - line);
    size_t method = 0;
    while (method < length && is_token(line[method])) method++;
    if (!method || method > sizeof parser->method.text - 1 || method == length || line[method] != ' ') return false;
    size_t target_start = method + 1, target_end = target_start;
    while (target_end < length && line[target_end] > ' ' && line[target_end] != 0x7f) target_end++;
    size_t target = target_end - target_start, digit = target_end + sizeof VERSION_PREFIX;
    if (!target || target > HEADER_LIMIT || digit >= length || line[target_end] != ' ' ||
        memcmp(line + target_end + 1, VERSION_PREFIX, sizeof VERSION_PREFIX - 1) != 0 ||
        line[digit] < '0' || line[digit] > '9' || !(length == digit + 1 || (length == digit + 2 && line[digit + 1] == '\r')))
        return false;
    field_append_run(VIEW(parser->method), line, method);
    field_append_run(VIEW(parser->target), line + target_start, target);
    parser->header_bytes += (uint32_t)target;
    parser->version_minor = line[digit] - '0';
    parser->state = HEADER_LINE_START;
    *position += length + 1;
    return true;
}

/* A whole status line in the buffer, as request_line. */
static bool status_line(otel_http_parser *parser, const uint8_t *line, size_t available, size_t *position) {
    const uint8_t *line_end = memchr(line, '\n', available);
    if (!line_end) return false;
    size_t length = (size_t)(line_end - line);
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
    parser->state = HEADER_LINE_START;
    *position += length + 1;
    return true;
}

static otel_http_event fail(otel_http_parser *parser, size_t at, size_t *consumed) {
    parser->state = FAILED;
    *consumed = at;
    return OTEL_HTTP_ERROR;
}

otel_http_event otel_http_parse(otel_http_parser *parser, const uint8_t *data, size_t length, size_t *consumed) {
    *consumed = 0;
    if (parser->state == FAILED) return OTEL_HTTP_ERROR;
    if (parser->state == DONE_PENDING) {
        parser->state = IDLE;
        parser->no_body_expected = false;
        return OTEL_HTTP_MESSAGE_DONE;
    }
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
        case METHOD:
            if (!parser->method.length && !parser->method.truncated && request_line(parser, data + i, length - i, &i)) break;
            if (c == ' ' && parser->method.length) parser->state = TARGET;
            else if (is_token(c) && !parser->method.truncated) field_append(VIEW(parser->method), c);
            else return fail(parser, i, consumed); /* not a token, or no method this long */
            i++;
            break;
        case TARGET: {
            /* A run of target bytes at once; the byte that ends it is handled below, next. */
            size_t start = i;
            while (i < length && data[i] > ' ' && data[i] != 0x7f) i++;
            if (i > start) {
                field_append_run(VIEW(parser->target), data + start, i - start);
                parser->header_bytes += (uint32_t)(i - start);
                if (parser->header_bytes > HEADER_LIMIT) return fail(parser, start, consumed);
                break;
            }
            if (c != ' ' || !parser->target.length) return fail(parser, i, consumed); /* HTTP/0.9, or not HTTP */
            parser->state = REQUEST_VERSION;
            parser->name_length = 0;
            i++;
            break;
        }
        case REQUEST_VERSION: case STATUS_VERSION: {
            size_t matched = parser->name_length;
            if (state == STATUS_VERSION && !matched && status_line(parser, data + i, length - i, &i)) break;
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
        case HEADER_LINE_START:
            if (++parser->header_bytes > HEADER_LIMIT) return fail(parser, i, consumed);
            if (c == '\r') {
                parser->state = HEADERS_END_LF;
                i++;
                break;
            }
            if (c == '\n') {
                i++;
                end_headers(parser);
                *consumed = i;
                return OTEL_HTTP_HEADERS_DONE;
            }
            parser->name_length = 0;
            parser->name_too_long = false;
            parser->capture = CAPTURE_NONE;
            if (header_line(parser, data + i, length - i, &i)) {
                if (parser->state == FAILED) return fail(parser, i, consumed);
                break;
            }
            parser->state = HEADER_NAME; /* the line goes on past this buffer: byte by byte */
            break; /* the byte is the name's first */
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
                begin_value(parser);
                parser->state = HEADER_VALUE;
            } else {
                parser->state = HEADER_LINE_START; /* a line without a colon: ignored */
            }
            i++;
            break;
        }
        case HEADER_VALUE: {
            if (c == '\n') {
                if (!end_value(parser)) return fail(parser, i, consumed);
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
            if (parser->capture != CAPTURE_NONE) capture_run(parser, data + i, run);
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
                parser->no_body_expected = false;
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
                    parser->no_body_expected = false;
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

otel_http_event otel_http_parse_unseen(otel_http_parser *parser, uint64_t length, uint64_t *consumed) {
    *consumed = 0;
    if (parser->state == DONE_PENDING) {
        parser->state = IDLE;
        parser->no_body_expected = false;
        return OTEL_HTTP_MESSAGE_DONE;
    }
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
    parser->no_body_expected = false;
    return OTEL_HTTP_MESSAGE_DONE;
}

bool otel_http_parser_closed(otel_http_parser *parser) {
    if (parser->state != BODY_UNTIL_CLOSE) return false;
    parser->state = IDLE;
    return true;
}
