/* An incremental HTTP/1.x message parser for the bytes a server reads and
 * writes (RFC 9112): requests on one side, responses on the other.
 *
 * It is fed whatever each read or write carried, in any pieces, and stops
 * at every event (a message begins, its header section ends, it ends), so
 * pipelined messages in one buffer are reported one after another. It
 * keeps only what the spans need, in fixed buffers: the method, target
 * and a few header values (longer ones are cut, or dropped where a cut
 * value would be wrong). It never reads outside the bytes given, never
 * allocates, and reports bytes that are not HTTP/1.x as an error once;
 * limits: 64 KiB of header section, 16 hex digits of chunk size. */
#ifndef OTEL_HTTP_PARSER_H
#define OTEL_HTTP_PARSER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Marks the functions of the HTTP server instrumentation that every request
 * runs (wrappers, parser): GCC gathers them in .text.hot, so a request's code
 * lies in few cache lines and pages, apart from the rarely run. */
#define OTEL_HTTP_HOT __attribute__((hot))

/* What a call saw, a set of these bits; several come in this order: a
 * message's head whole in the bytes given is one call (begin, header
 * section done, and done too when it has no body), where each event would
 * cost a call of its own. */
enum {
    OTEL_HTTP_NEED_MORE = 0,      /**< every byte given was consumed, no event */
    OTEL_HTTP_MESSAGE_BEGIN = 1,  /**< the first byte of a message */
    OTEL_HTTP_HEADERS_DONE = 2,   /**< its header section ended: the fields below are complete */
    OTEL_HTTP_MESSAGE_DONE = 4,   /**< its last byte */
    OTEL_HTTP_ERROR = 8,          /**< not HTTP/1.x, or over a limit: parsing stops for good */
};
/** A set of OTEL_HTTP_* events. */
typedef unsigned otel_http_events;

/** A captured header value, NUL-terminated; `truncated` when it was longer.
 *  The length first: emptying a field touches one cache line, not two. */
#define OTEL_HTTP_FIELD(name, size) \
    struct { uint16_t length; bool truncated; char text[size]; } name

typedef struct otel_http_parser {
    /* What every message touches first, in its first cache lines: the
     * parsing state, the facts of the message, framing and method. */
    int state;          /* private: the parsing state */
    int capture;        /* private: the field the current header's value goes to */
    uint32_t header_bytes; /* private: bytes of the current header section */
    uint32_t name_length;  /* private: bytes of the current header's name */
    uint64_t remaining;    /* private: body bytes still to come */
    int hex_digits;        /* private: digits of the current chunk size */
    /* private: OTEL_HTTP_STALE_* bits, the fields still holding the last
     * message's value (begin_message marks them instead of emptying them:
     * a cache line each per message); a field's first write empties it. */
    uint16_t stale_fields;
    bool is_request;
    /* For a response: set by the caller before every call, true when the
     * request it answers was HEAD (RFC 9112 §6.3: no body whatever the
     * headers say); read when its header section ends. */
    bool no_body_expected;
    bool name_too_long, chunked, has_length, value_started; /* private */
    int version_minor;  /**< HTTP/1.<minor> */
    int status;         /**< responses: the status code */
    bool interim;       /**< responses: 1xx other than 101 (the request goes on) */
    bool upgrade;       /**< 101, or a CONNECT request: what follows is not HTTP */
    bool until_close;   /**< responses: the body ends when the connection closes */
    char name[20];      /* private: the current header's name, split across reads */
    /* private: the target of a whole request line, and whole host and
     * user-agent lines, of the buffer just parsed, whose values are copied
     * only if asked for (otel_http_parser_settle) */
    uint8_t deferred_count;
    struct {
        const uint8_t *value;
        size_t length;
        int capture;
    } deferred[3];
    OTEL_HTTP_FIELD(framing, 48); /* private: a Content-Length or Transfer-Encoding value */

    /* What the current message said: at HEADERS_DONE `method` (requests), the
     * others once otel_http_parser_settle has been called. */
    OTEL_HTTP_FIELD(method, 24);
    OTEL_HTTP_FIELD(target, 1024);
    OTEL_HTTP_FIELD(host, 256);
    OTEL_HTTP_FIELD(user_agent, 256);
    OTEL_HTTP_FIELD(forwarded_for, 64);
    OTEL_HTTP_FIELD(traceparent, 64);
    OTEL_HTTP_FIELD(tracestate, 544);
    OTEL_HTTP_FIELD(baggage, 1024);
} otel_http_parser;

/* The fields' stale bits (private). */
enum {
    OTEL_HTTP_STALE_METHOD = 1 << 0,
    OTEL_HTTP_STALE_TARGET = 1 << 1,
    OTEL_HTTP_STALE_HOST = 1 << 2,
    OTEL_HTTP_STALE_USER_AGENT = 1 << 3,
    OTEL_HTTP_STALE_FORWARDED_FOR = 1 << 4,
    OTEL_HTTP_STALE_TRACEPARENT = 1 << 5,
    OTEL_HTTP_STALE_TRACESTATE = 1 << 6,
    OTEL_HTTP_STALE_BAGGAGE = 1 << 7,
    OTEL_HTTP_STALE_FRAMING = 1 << 8,
};

/** After HEADERS_DONE: whether the request carried a traceparent, tracestate
 *  or baggage header (read from the stale bits alone; the values themselves
 *  after otel_http_parser_settle). */
static inline bool otel_http_parser_carries_context(const otel_http_parser *parser) {
    unsigned fresh = ~(unsigned)parser->stale_fields;
    return ((fresh & OTEL_HTTP_STALE_TRACEPARENT) && parser->traceparent.length) ||
           ((fresh & OTEL_HTTP_STALE_TRACESTATE) && parser->tracestate.length) ||
           ((fresh & OTEL_HTTP_STALE_BAGGAGE) && parser->baggage.length);
}

/** Prepares `parser` for one direction of a connection. */
void otel_http_parser_init(otel_http_parser *parser, bool is_request);

/** Consumes bytes from `data` up to the first events (a header section
 *  done, a message done, an error); `*consumed` says how many. Call again
 *  with the rest after them: bytes are left only after events, so a call
 *  that leaves none has nothing more to report until more come. After
 *  ERROR, every call returns ERROR. */
otel_http_events otel_http_parse(otel_http_parser *parser, const uint8_t *data, size_t length, size_t *consumed);

/** After HEADERS_DONE and before the next call: makes every field hold what
 *  the message said. It empties those the message did not write, and copies
 *  into `host` and `user_agent` the values the call saw on whole lines (found
 *  in its buffer, which must still hold them). Without it only `method` is to
 *  be read: a request whose span is not sampled never pays for the rest. */
void otel_http_parser_settle(otel_http_parser *parser);

/** Accounts for `length` bytes sent without being seen (sendfile): they
 *  can only be body bytes; anywhere else they make the stream unknown
 *  (ERROR). Returns like otel_http_parse. */
otel_http_events otel_http_parse_unseen(otel_http_parser *parser, uint64_t length, uint64_t *consumed);

/** Tells a response parser reading until close that the connection closed:
 *  true when that ended a message. */
bool otel_http_parser_closed(otel_http_parser *parser);
#endif
