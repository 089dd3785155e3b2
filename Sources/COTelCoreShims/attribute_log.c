/* Attributes a plugin sets on a recording span, kept as the bytes it passed
 * until the span is read (see otel_core_shims.h). */
#include "otel_core_shims.h"

#include <stdlib.h>
#include <string.h>

/* One record: this header, the key's bytes and a NUL, then the value (a
 * string's bytes and a NUL, or eight bytes of scalar), padded to eight bytes. */
typedef struct record_header {
    uintptr_t key_address;
    uint32_t key_length;
    uint32_t value_length; /* strings: their bytes; scalars: 8 */
    uint8_t type;
} record_header;

/* The type of an otel_span_set_described entry: its key empty, its key
 * address the describer, its value the bytes. */
#define DESCRIBED_TYPE 0xff

static size_t padded(size_t length) { return (length + 7) & ~(size_t)7; }

static size_t record_size(size_t key_length, size_t value_length) {
    return sizeof(record_header) + padded(key_length + 1) + padded(value_length + 1);
}

/* A log is filled on the thread that records its span, settled into a new
 * buffer and freed on the export thread: freed buffers of 4 KiB or less
 * serve the next logs, at most 1 024 of them (otel_shim_pool; a waiting
 * buffer keeps its capacity after its link). */
#define POOLED_BUFFER_SIZE_MAX 4096
static otel_shim_pool buffers = {.limit = 1024};

/* Gives an empty log a buffer from the pool; false when it has none. */
static bool take_buffer(otel_shim_attribute_log *log) {
    uint8_t *bytes = otel_shim_pool_take(&buffers);
    if (!bytes) return false;
    memcpy(&log->capacity, bytes + sizeof(void *), sizeof log->capacity);
    log->bytes = bytes;
    return true;
}

/* Puts a log's buffer (NULL: none) in the pool, or frees it. */
static void give_buffer(uint8_t *bytes, size_t capacity) {
    if (!bytes) return;
    if (capacity <= POOLED_BUFFER_SIZE_MAX) {
        memcpy(bytes + sizeof(void *), &capacity, sizeof capacity);
        if (otel_shim_pool_give(&buffers, bytes)) return;
    }
    free(bytes);
}

void otel_shim_attribute_log_pool_after_fork(void) { buffers.locked = false; }

/* Room for `more` bytes; false when memory ran out (nothing changed). */
static bool reserve(otel_shim_attribute_log *log, size_t more) {
    if (log->capacity - log->length >= more) return true;
    if (!log->capacity && take_buffer(log) && log->capacity >= more) return true;
    size_t capacity = log->capacity ? log->capacity : 512;
    while (capacity - log->length < more) capacity *= 2;
    uint8_t *bytes = realloc(log->bytes, capacity);
    if (!bytes) return false;
    log->bytes = bytes;
    log->capacity = capacity;
    return true;
}

/* Whether every byte of `text` is ASCII (valid UTF-8 as it is), eight at a time. */
static bool all_ascii(const char *text, size_t length) {
    uint64_t any = 0;
    size_t i = 0;
    for (; i + 8 <= length; i += 8) {
        uint64_t word;
        memcpy(&word, text + i, 8);
        any |= word;
    }
    if (i < length && length >= 8) { /* the last eight bytes, read again */
        uint64_t word;
        memcpy(&word, text + length - 8, 8);
        any |= word;
    } else {
        for (; i < length; i++) any |= (uint8_t)text[i];
    }
    return (any & 0x8080808080808080ull) == 0;
}

/* memcpy for the short keys and values attributes mostly are, without a
 * call: up to 32 bytes in overlapping words. Returns the OR of the bytes
 * copied (a byte's high bit set: not ASCII); of more than 32 bytes, only
 * when `long_seen` (else 0). */
static inline uint64_t copy_bytes(uint8_t *to, const void *from, size_t count, bool long_seen) {
    if (count > 32) {
        memcpy(to, from, count);
        return long_seen && !all_ascii(from, count) ? 0x80 : 0;
    }
    if (count > 16) {
        uint64_t words[4];
        memcpy(&words[0], from, 16);
        memcpy(&words[2], (const uint8_t *)from + count - 16, 16);
        memcpy(to, &words[0], 16);
        memcpy(to + count - 16, &words[2], 16);
        return words[0] | words[1] | words[2] | words[3];
    }
    if (count >= 8) {
        uint64_t first, last;
        memcpy(&first, from, 8);
        memcpy(&last, (const uint8_t *)from + count - 8, 8);
        memcpy(to, &first, 8);
        memcpy(to + count - 8, &last, 8);
        return first | last;
    }
    uint64_t seen = 0;
    for (size_t i = 0; i < count; i++) seen |= to[i] = ((const uint8_t *)from)[i];
    return seen;
}

static inline void put(otel_shim_attribute_log *log, const char *key, size_t key_length, uint8_t type, const void *value,
                size_t value_length) {
    uint8_t *at = log->bytes + log->length;
    record_header header = {(uintptr_t)key, (uint32_t)key_length, (uint32_t)value_length, type};
    memcpy(at, &header, sizeof header);
    at += sizeof header;
    (void)copy_bytes(at, key, key_length, false);
    at[key_length] = '\0';
    at += padded(key_length + 1);
    (void)copy_bytes(at, value, value_length, false);
    at[value_length] = '\0';
    log->length += record_size(key_length, value_length);
    log->count++;
}

/* The bytes of one attribute's value, or false when it is kept another way
 * (an array, an unknown type, a NULL string: what the SDK converts itself). */
static inline bool scalar_bytes(const otel_attribute *attribute, const void **value, size_t *length) {
    switch (attribute->type) {
    case OTEL_ATTRIBUTE_STRING:
        if (!attribute->value.string_value) return false;
        *value = attribute->value.string_value;
        *length = strlen(attribute->value.string_value);
        return true;
    case OTEL_ATTRIBUTE_BOOL: {
        static const int64_t yes = 1, no = 0; /* eight bytes as the other scalars */
        *value = attribute->value.bool_value ? &yes : &no;
        *length = 8;
        return true;
    }
    case OTEL_ATTRIBUTE_INT: case OTEL_ATTRIBUTE_DOUBLE:
        *value = &attribute->value;
        *length = 8;
        return true;
    default:
        return false;
    }
}

/* What one attribute will be logged as (its key and value, their lengths). */
typedef struct pending_record {
    const void *value;
    size_t key_length, value_length;
} pending_record;

bool otel_shim_attribute_log_append(otel_shim_attribute_log *log, const otel_attribute *attributes, size_t count) {
    pending_record records[32]; /* each key and value measured once */
    if (count > 32) return false; /* rare: the SDK converts such a batch itself */
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        if (!attributes[i].key) continue; /* skipped, as the SDK skips it */
        pending_record *record = &records[i];
        if (!scalar_bytes(&attributes[i], &record->value, &record->value_length)) return false;
        record->key_length = strlen(attributes[i].key);
        if (record->key_length > UINT32_MAX || record->value_length > UINT32_MAX) return false;
        total += record_size(record->key_length, record->value_length);
    }
    if (!reserve(log, total)) return false;
    for (size_t i = 0; i < count; i++) {
        if (!attributes[i].key) continue;
        put(log, attributes[i].key, records[i].key_length, (uint8_t)attributes[i].type, records[i].value, records[i].value_length);
    }
    return true;
}

bool otel_shim_attribute_log_append_string(otel_shim_attribute_log *log, const char *key, const char *value, size_t length) {
    size_t key_length = strlen(key);
    if (key_length > UINT32_MAX || length > UINT32_MAX || !reserve(log, record_size(key_length, length))) return false;
    put(log, key, key_length, OTEL_ATTRIBUTE_STRING, value, length);
    return true;
}

bool otel_shim_attribute_log_append_described(otel_shim_attribute_log *log, otel_span_describer describe, const void *bytes,
                                              size_t length) {
    if (length > UINT32_MAX || !reserve(log, record_size(0, length))) return false;
    put(log, (const char *)(uintptr_t)describe, 0, DESCRIBED_TYPE, bytes, length);
    log->count--; /* not an attribute until settled */
    log->described++;
    return true;
}

/* An otel_attributes_emit into a log being settled: what the log takes at
 * once, else one by one (arrays dropped, as otel_attributes_emit says). */
static void emit_into_log(void *sink, const otel_attribute *attributes, size_t count) {
    otel_shim_attribute_log *log = sink;
    if (!attributes || otel_shim_attribute_log_append(log, attributes, count)) return;
    for (size_t i = 0; i < count; i++) (void)otel_shim_attribute_log_append(log, &attributes[i], 1);
}

void otel_shim_attribute_log_settle(otel_shim_attribute_log *log) {
    if (!log->described) return;
    otel_shim_attribute_log settled = {0};
    for (size_t offset = 0; offset < log->length;) {
        const uint8_t *at = log->bytes + offset;
        record_header header;
        memcpy(&header, at, sizeof header);
        size_t size = record_size(header.key_length, header.value_length);
        if (header.type == DESCRIBED_TYPE) {
            otel_span_describer describe = (otel_span_describer)header.key_address;
            describe(at + sizeof header + padded(1), header.value_length, emit_into_log, &settled);
        } else if (reserve(&settled, size)) {
            memcpy(settled.bytes + settled.length, at, size);
            settled.length += size;
            settled.count++;
        }
        offset += size;
    }
    give_buffer(log->bytes, log->capacity);
    *log = settled;
}

bool otel_shim_attribute_log_next(const otel_shim_attribute_log *log, size_t *offset, otel_shim_logged_attribute *out) {
    if (*offset >= log->length) return false;
    const uint8_t *at = log->bytes + *offset;
    record_header header;
    memcpy(&header, at, sizeof header);
    out->key = (const char *)at + sizeof header;
    out->key_length = header.key_length;
    out->key_address = (const void *)header.key_address;
    out->type = header.type;
    const uint8_t *value = at + sizeof header + padded(header.key_length + 1);
    out->string_value = (const char *)value;
    out->string_length = header.value_length;
    if (header.type != OTEL_ATTRIBUTE_STRING) memcpy(&out->scalar, value, 8);
    *offset += record_size(header.key_length, header.value_length);
    return true;
}

void otel_shim_attribute_log_clear(otel_shim_attribute_log *log) {
    give_buffer(log->bytes, log->capacity);
    *log = (otel_shim_attribute_log){0};
}

/* The first eight bytes of a key (fewer: zero-filled), to tell most keys apart at once. */
static uint64_t key_prefix(const char *key, size_t length) {
    uint64_t prefix = 0;
    if (length >= 8) memcpy(&prefix, key, 8);
    else for (size_t i = 0; i < length; i++) prefix |= (uint64_t)(uint8_t)key[i] << (8 * i);
    return prefix;
}

/* A double's eight bytes are written as memory holds them: protobuf's fixed64 is little-endian. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "fixed64 fields are written from memory");

/* Writes `value` as a protobuf base-128 varint at `at`; the bytes written. */
static inline size_t put_varint(uint8_t *at, uint64_t value) {
    size_t written = 0;
    while (value >= 0x80) {
        at[written++] = (uint8_t)value | 0x80;
        value >>= 7;
    }
    at[written] = (uint8_t)value;
    return written + 1;
}

/* The bytes `value` takes as a varint. */
static inline size_t varint_size(uint64_t value) {
    return value < 0x80 ? 1 : (size_t)(64 - __builtin_clzll(value) + 6) / 7;
}

bool otel_shim_attribute_log_encode(const otel_shim_attribute_log *log, unsigned field, uint8_t *out, size_t *written) {
    if (log->described || log->count > 64 || field < 1 || field > 15) return false;
    const uint8_t *keys[64];
    size_t key_lengths[64];
    uint64_t prefixes[64];
    size_t seen_count = 0;
    uint64_t filter = 0; /* a bit per (prefix, length) hash seen: a key whose bit is clear is new */
    uint64_t seen = 0;   /* every key and string byte OR-ed: ASCII (valid UTF-8 as it is) while bit 7 of each byte is clear */
    uint8_t *at = out;
    for (size_t offset = 0; offset < log->length;) {
        const uint8_t *record = log->bytes + offset;
        record_header header;
        memcpy(&header, record, sizeof header);
        const uint8_t *key = record + sizeof header, *value = key + padded(header.key_length + 1);
        size_t key_length = header.key_length, value_length = header.value_length;
        offset += record_size(key_length, value_length);
        if (!key_length) return false; /* an empty key is dropped when converted */
        uint64_t prefix = key_prefix((const char *)key, key_length);
        uint64_t bit = 1ull << (((prefix ^ (prefix >> 29) ^ key_length) * 0x9E3779B97F4A7C15ull) >> 58);
        if (filter & bit) {
            for (size_t i = 0; i < seen_count; i++)
                if (prefixes[i] == prefix && key_lengths[i] == key_length && memcmp(keys[i], key, key_length) == 0)
                    return false; /* set twice: the last value counts, as converting keeps it */
        }
        filter |= bit;
        keys[seen_count] = key;
        key_lengths[seen_count] = key_length;
        prefixes[seen_count++] = prefix;
        /* common.proto AnyValue: one of string_value (1), bool_value (2), int_value (3), double_value (4). */
        uint64_t scalar;
        memcpy(&scalar, value, sizeof scalar);
        size_t value_size; /* the AnyValue's bytes */
        switch (header.type) {
        case OTEL_ATTRIBUTE_STRING: value_size = 1 + varint_size(value_length) + value_length; break;
        case OTEL_ATTRIBUTE_BOOL: value_size = 2; break;
        case OTEL_ATTRIBUTE_INT: value_size = 1 + varint_size(scalar); break;
        case OTEL_ATTRIBUTE_DOUBLE: value_size = 9; break;
        default: return false;
        }
        /* KeyValue: key (1), value (2), in a length-delimited field `field`. */
        size_t message_size = 1 + varint_size(key_length) + key_length + 1 + varint_size(value_size) + value_size;
        *at++ = (uint8_t)(field << 3 | 2);
        at += put_varint(at, message_size);
        *at++ = 0x0A;
        at += put_varint(at, key_length);
        seen |= copy_bytes(at, key, key_length, true);
        at += key_length;
        *at++ = 0x12;
        at += put_varint(at, value_size);
        switch (header.type) {
        case OTEL_ATTRIBUTE_STRING:
            *at++ = 0x0A;
            at += put_varint(at, value_length);
            seen |= copy_bytes(at, value, value_length, true);
            at += value_length;
            break;
        case OTEL_ATTRIBUTE_BOOL:
            at[0] = 0x10;
            at[1] = scalar != 0;
            at += 2;
            break;
        case OTEL_ATTRIBUTE_INT:
            *at++ = 0x18;
            at += put_varint(at, scalar);
            break;
        default: /* a double: fixed64, little-endian as memory holds it on x86-64 and arm64 */
            *at++ = 0x21;
            memcpy(at, &scalar, 8);
            at += 8;
            break;
        }
    }
    *written = (size_t)(at - out);
    return (seen & 0x8080808080808080ull) == 0;
}
