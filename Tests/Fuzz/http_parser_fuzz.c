/* Fuzzing the HTTP/1.x parser of Plugins/HTTPServer (libFuzzer).
 *
 *   Tests/Fuzz/run.sh [seconds]     build with clang -fsanitize=fuzzer,address,undefined and fuzz,
 *                                   adding new inputs to Tests/Fuzz/corpus/http_parser
 *   built with -DREPLAY: a program that runs the corpus files given as
 *   arguments (what the test suite does, under AddressSanitizer).
 *
 * Each input is parsed as requests and as responses, once whole and once
 * cut into pieces whose sizes come from the input itself. Checked: no byte
 * outside the input is read (the sanitizers), every call consumes at most
 * what it was given and makes progress, captured fields stay terminated
 * within their buffers, and both ways give the same events and fields. */
#include "otel_http_parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(condition)                                                          \
    do {                                                                          \
        if (!(condition)) {                                                       \
            fprintf(stderr, "http_parser_fuzz: %s failed (line %d)\n", #condition, __LINE__); \
            abort();                                                              \
        }                                                                         \
    } while (0)

/* What a parse reported: events and, at each header end, a digest of the fields. */
typedef struct transcript {
    uint64_t digest;
    unsigned events;
} transcript;

static uint64_t mix(uint64_t digest, const void *bytes, size_t length) {
    const unsigned char *p = bytes;
    for (size_t i = 0; i < length; i++) digest = (digest ^ p[i]) * 0x100000001b3u;
    return digest;
}

#define CHECK_FIELD(field) \
    CHECK((field).length < sizeof (field).text && (field).text[(field).length] == '\0' && strlen((field).text) == (field).length)

static uint64_t fields_digest(const otel_http_parser *parser, uint64_t digest) {
    CHECK_FIELD(parser->method);
    CHECK_FIELD(parser->target);
    CHECK_FIELD(parser->host);
    CHECK_FIELD(parser->user_agent);
    CHECK_FIELD(parser->forwarded_for);
    CHECK_FIELD(parser->traceparent);
    CHECK_FIELD(parser->tracestate);
    CHECK_FIELD(parser->baggage);
    digest = mix(digest, parser->method.text, parser->method.length);
    digest = mix(digest, parser->target.text, parser->target.length);
    digest = mix(digest, parser->host.text, parser->host.length);
    digest = mix(digest, parser->user_agent.text, parser->user_agent.length);
    digest = mix(digest, parser->traceparent.text, parser->traceparent.length);
    digest = mix(digest, parser->tracestate.text, parser->tracestate.length);
    digest = mix(digest, parser->baggage.text, parser->baggage.length);
    digest = mix(digest, parser->forwarded_for.text, parser->forwarded_for.length);
    int facts[] = {parser->status, parser->version_minor, parser->interim, parser->upgrade, parser->until_close};
    return mix(digest, facts, sizeof facts);
}

/* Parses `data` in pieces of the given sizes (cycled; 0 = the rest at once). */
static transcript parse(const uint8_t *data, size_t size, bool is_request, bool head, const uint8_t *cuts, size_t cut_count) {
    otel_http_parser parser;
    otel_http_parser_init(&parser, is_request);
    transcript result = {0xcbf29ce484222325u, 0};
    size_t offset = 0, cut = 0;
    bool failed = false;
    while (offset < size && !failed) {
        size_t piece = cut_count ? (size_t)cuts[cut++ % cut_count] + 1 : size - offset;
        if (piece > size - offset) piece = size - offset;
        /* Each piece in its own allocation: a read past it is caught. */
        uint8_t *copy = malloc(piece);
        CHECK(copy != NULL);
        memcpy(copy, data + offset, piece);
        size_t at = 0, idle_events = 0;
        for (;;) {
            size_t used = 0;
            if (!is_request) parser.no_body_expected = head; /* the request it answers, as the server instrumentation says */
            otel_http_events events = otel_http_parse(&parser, copy + at, piece - at, &used);
            CHECK(used <= piece - at);
            at += used;
            idle_events = used ? 0 : idle_events + 1;
            CHECK(idle_events <= 1); /* no events without progress, but an error */
            CHECK(events || at == piece); /* no event: every byte consumed */
            /* One event at a time, in their order: a call that reports several
             * must say what calls reporting one each would. */
            for (otel_http_events event = OTEL_HTTP_MESSAGE_BEGIN; event <= OTEL_HTTP_ERROR; event <<= 1) {
                if (!(events & event)) continue;
                result.events++;
                result.digest = mix(result.digest, &event, sizeof event);
                if (event == OTEL_HTTP_HEADERS_DONE) {
                    otel_http_parser_settle(&parser);
                    result.digest = fields_digest(&parser, result.digest);
                }
            }
            if (events & OTEL_HTTP_ERROR) {
                failed = true;
                break;
            }
            if (at == piece) break; /* nothing more to report without more bytes */
        }
        free(copy);
        offset += piece;
    }
    bool closed = otel_http_parser_closed(&parser);
    result.digest = mix(result.digest, &closed, sizeof closed);
    /* Bytes sent unseen after the last message: body bytes or an error, never a crash. */
    uint64_t used;
    otel_http_parse_unseen(&parser, size, &used);
    CHECK(used <= size);
    return result;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!size) return 0;
    /* The first byte chooses the cuts' count; that many bytes after it are the cut sizes. */
    size_t cut_count = data[0] % 8;
    if (size < 1 + cut_count) return 0;
    const uint8_t *cuts = data + 1;
    const uint8_t *message = data + 1 + cut_count;
    size_t length = size - 1 - cut_count;
    for (int is_request = 0; is_request < 2; is_request++) {
        bool head = data[0] & 0x80;
        transcript whole = parse(message, length, is_request, head, NULL, 0);
        transcript pieces = parse(message, length, is_request, head, cuts, cut_count);
        CHECK(whole.events == pieces.events);
        CHECK(whole.digest == pieces.digest);
    }
    return 0;
}

#ifdef REPLAY
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        FILE *file = fopen(argv[i], "rb");
        if (!file) {
            perror(argv[i]);
            return 2;
        }
        static uint8_t buffer[1 << 20];
        size_t size = fread(buffer, 1, sizeof buffer, file);
        fclose(file);
        uint8_t *exact = malloc(size ? size : 1); /* exactly sized: a read past it is caught */
        memcpy(exact, buffer, size);
        LLVMFuzzerTestOneInput(exact, size);
        free(exact);
    }
    printf("replayed %d inputs\n", argc - 1);
    return 0;
}
#endif
