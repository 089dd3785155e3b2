/* Metric storage (otel_core_shims.h): the aggregation cells of one
 * instrument, sharded by thread so that threads recording at once never wait
 * for each other, keyed by a canonical encoding of the attribute set. */
#include "otel_core_shims.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ---- canonical attribute keys ------------------------------------------ */

/* Appends `length` bytes to the key being built; false once it does not fit. */
typedef struct otel_shim_key_writer {
    uint8_t *out;
    size_t used, capacity;
} otel_shim_key_writer;

static bool otel_shim_key_put(otel_shim_key_writer *writer, const void *bytes, size_t length) {
    if (length > writer->capacity - writer->used) return false;
    memcpy(writer->out + writer->used, bytes, length);
    writer->used += length;
    return true;
}

static bool otel_shim_key_put_u32(otel_shim_key_writer *writer, size_t value) {
    uint32_t little = (uint32_t)value; /* the machine's order: keys never leave the process */
    return value <= UINT32_MAX && otel_shim_key_put(writer, &little, sizeof little);
}

static inline __attribute__((always_inline)) bool otel_shim_key_put_string(otel_shim_key_writer *writer, const char *text) {
    size_t length = text ? strlen(text) : 0;
    return otel_shim_key_put_u32(writer, length) && otel_shim_key_put(writer, text, length);
}

/* Whether an attribute can be part of a key (a key and a value of a known type). */
static bool otel_shim_key_valid(const otel_attribute *attribute) {
    if (!attribute->key || !attribute->key[0]) return false;
    switch (attribute->type) {
    case OTEL_ATTRIBUTE_STRING: return attribute->value.string_value != NULL;
    case OTEL_ATTRIBUTE_BOOL: case OTEL_ATTRIBUTE_INT: case OTEL_ATTRIBUTE_DOUBLE: return true;
    case OTEL_ATTRIBUTE_STRING_ARRAY: case OTEL_ATTRIBUTE_BOOL_ARRAY: case OTEL_ATTRIBUTE_INT_ARRAY: case OTEL_ATTRIBUTE_DOUBLE_ARRAY:
        return attribute->value.array.values != NULL || attribute->value.array.count == 0;
    default: return false;
    }
}

static inline __attribute__((always_inline)) bool otel_shim_key_put_value(otel_shim_key_writer *writer, const otel_attribute *attribute) {
    uint8_t type = (uint8_t)attribute->type;
    if (!otel_shim_key_put(writer, &type, 1)) return false;
    switch (attribute->type) {
    case OTEL_ATTRIBUTE_STRING: return otel_shim_key_put_string(writer, attribute->value.string_value);
    case OTEL_ATTRIBUTE_BOOL: {
        uint8_t value = attribute->value.bool_value ? 1 : 0;
        return otel_shim_key_put(writer, &value, 1);
    }
    case OTEL_ATTRIBUTE_INT: return otel_shim_key_put(writer, &attribute->value.int_value, 8);
    case OTEL_ATTRIBUTE_DOUBLE: return otel_shim_key_put(writer, &attribute->value.double_value, 8);
    default: break;
    }
    size_t count = attribute->value.array.count;
    if (!otel_shim_key_put_u32(writer, count)) return false;
    const void *values = attribute->value.array.values;
    switch (attribute->type) {
    case OTEL_ATTRIBUTE_STRING_ARRAY:
        for (size_t i = 0; i < count; i++) {
            if (!otel_shim_key_put_string(writer, ((const char *const *)values)[i])) return false;
        }
        return true;
    case OTEL_ATTRIBUTE_BOOL_ARRAY:
        for (size_t i = 0; i < count; i++) {
            uint8_t value = ((const bool *)values)[i] ? 1 : 0;
            if (!otel_shim_key_put(writer, &value, 1)) return false;
        }
        return true;
    default: /* int64 and double arrays: 8 bytes each */
        return count <= SIZE_MAX / 8 && otel_shim_key_put(writer, values, count * 8);
    }
}

size_t otel_shim_metric_key(const otel_attribute *attributes, size_t count, uint8_t *out, size_t capacity) {
    otel_shim_key_writer writer = {out, 0, capacity};
    /* The usual set: valid attributes already in key order, as instrumentations
     * pass them, written as they come (the same bytes as once sorted below). */
    bool in_order = count <= OTEL_SHIM_METRIC_MAX_ATTRIBUTES;
    for (size_t i = 0; i < count && in_order; i++)
        in_order = otel_shim_key_valid(&attributes[i]) && (i == 0 || strcmp(attributes[i - 1].key, attributes[i].key) < 0);
    if (in_order) {
        for (size_t i = 0; i < count; i++) {
            if (!otel_shim_key_put_string(&writer, attributes[i].key) || !otel_shim_key_put_value(&writer, &attributes[i])) return SIZE_MAX;
        }
        return writer.used;
    }
    /* Sorted by key (an attribute set has no order); of equal keys the last wins. */
    uint16_t order[OTEL_SHIM_METRIC_MAX_ATTRIBUTES];
    size_t kept = 0;
    for (size_t i = 0; i < count && kept < OTEL_SHIM_METRIC_MAX_ATTRIBUTES; i++) {
        if (!otel_shim_key_valid(&attributes[i])) continue;
        size_t at = kept;
        int same = 0;
        while (at > 0) {
            int comparison = strcmp(attributes[order[at - 1]].key, attributes[i].key);
            if (comparison < 0) break;
            if (comparison == 0) { same = 1; break; }
            at--;
        }
        if (same) {
            order[at - 1] = (uint16_t)i;
            continue;
        }
        memmove(&order[at + 1], &order[at], (kept - at) * sizeof order[0]);
        order[at] = (uint16_t)i;
        kept++;
    }
    for (size_t k = 0; k < kept; k++) {
        const otel_attribute *attribute = &attributes[order[k]];
        if (!otel_shim_key_put_string(&writer, attribute->key) || !otel_shim_key_put_value(&writer, attribute)) return SIZE_MAX;
    }
    return writer.used;
}

/* The high and low halves of a 64×64→128 multiply folded together (wyhash's mix). */
static inline uint64_t otel_shim_mix(uint64_t a, uint64_t b) {
    __uint128_t product = (__uint128_t)a * b;
    return (uint64_t)product ^ (uint64_t)(product >> 64);
}

uint64_t otel_shim_metric_key_hash(const uint8_t *key, size_t length) {
    uint64_t seed = 0xa0761d6478bd642full ^ length;
    size_t i = 0;
    for (; i + 16 <= length; i += 16) { /* 16 bytes per multiply */
        uint64_t a, b;
        memcpy(&a, key + i, 8);
        memcpy(&b, key + i + 8, 8);
        seed = otel_shim_mix(a ^ 0xe7037ed1a0b428dbull, b ^ seed);
    }
    uint64_t a = 0, b = 0;
    size_t rest = length - i;
    if (rest > 8) {
        memcpy(&a, key + i, 8);
        memcpy(&b, key + i + 8, rest - 8);
    } else {
        memcpy(&a, key + i, rest);
    }
    return otel_shim_mix(a ^ 0xe7037ed1a0b428dbull, b ^ seed ^ 0x8ebc6af09c88c6e3ull);
}

/* ---- cells --------------------------------------------------------------- */

typedef struct otel_shim_metric_shard {
    _Alignas(64) bool locked; /* otel_shim_spin_lock */
    otel_shim_metric_cell **table; /* open addressing, capacity a power of two */
    size_t capacity, count;
} otel_shim_metric_shard;

struct otel_shim_metric_storage {
    otel_shim_metric_storage *next, *previous; /* every live storage, for fork */
    uint8_t kind;
    bool is_double;
    size_t boundary_count;
    double *boundaries;
    size_t cardinality_limit;
    atomic_size_t cells; /* across shards, for the cardinality limit */
    otel_shim_metric_shard shards[OTEL_SHIM_METRIC_SHARDS];
};

/* The calling thread's shard: threads take turns at first use. */
static atomic_uint otel_shim_next_shard;
static __thread int otel_shim_thread_shard __attribute__((tls_model("initial-exec"))) = -1;

static inline otel_shim_metric_shard *otel_shim_shard_of_thread(otel_shim_metric_storage *storage) {
    if (__builtin_expect(otel_shim_thread_shard < 0, 0))
        otel_shim_thread_shard = (int)(atomic_fetch_add_explicit(&otel_shim_next_shard, 1, memory_order_relaxed) % OTEL_SHIM_METRIC_SHARDS);
    return &storage->shards[otel_shim_thread_shard];
}

static inline void otel_shim_shard_lock(otel_shim_metric_shard *shard) { otel_shim_spin_lock(&shard->locked); }

static inline void otel_shim_shard_unlock(otel_shim_metric_shard *shard) { otel_shim_spin_unlock(&shard->locked); }

/* Every live storage, so that a forked child can repair them all. */
static pthread_mutex_t otel_shim_storages_lock = PTHREAD_MUTEX_INITIALIZER;
static otel_shim_metric_storage *otel_shim_storages;

otel_shim_metric_storage *otel_shim_metric_storage_create(uint8_t kind, bool is_double, const double *boundaries,
                                                          size_t boundary_count, size_t cardinality_limit) {
    otel_shim_metric_storage *storage = aligned_alloc(64, (sizeof *storage + 63) & ~(size_t)63);
    if (!storage) return NULL;
    memset(storage, 0, sizeof *storage);
    storage->kind = kind;
    storage->is_double = is_double;
    storage->cardinality_limit = cardinality_limit ? cardinality_limit : 2000;
    if (kind == OTEL_SHIM_METRIC_HISTOGRAM && boundary_count) {
        storage->boundaries = malloc(boundary_count * sizeof *boundaries);
        if (!storage->boundaries) { free(storage); return NULL; }
        memcpy(storage->boundaries, boundaries, boundary_count * sizeof *boundaries);
        storage->boundary_count = boundary_count;
    }
    pthread_mutex_lock(&otel_shim_storages_lock);
    storage->next = otel_shim_storages;
    if (otel_shim_storages) otel_shim_storages->previous = storage;
    otel_shim_storages = storage;
    pthread_mutex_unlock(&otel_shim_storages_lock);
    return storage;
}

size_t otel_shim_metric_storage_boundaries(const otel_shim_metric_storage *storage, const double **boundaries) {
    *boundaries = storage->boundaries;
    return storage->boundary_count;
}

static otel_shim_metric_cell *otel_shim_cell_create(const otel_shim_metric_storage *storage, const uint8_t *key, size_t length,
                                                    uint64_t hash) {
    size_t buckets = storage->kind == OTEL_SHIM_METRIC_HISTOGRAM ? storage->boundary_count + 1 : 0;
    otel_shim_metric_cell *cell = calloc(1, sizeof *cell + buckets * sizeof(uint64_t) + length);
    if (!cell) return NULL;
    cell->hash = hash;
    cell->bucket_count = buckets;
    cell->buckets = (uint64_t *)(cell + 1); /* one block: the cell, its buckets, its key */
    cell->key = (uint8_t *)(cell->buckets + buckets);
    cell->key_length = length;
    memcpy(cell->key, key, length);
    return cell;
}

/* The cell of `key` in `shard`, if it has one: what nearly every record finds. */
static inline otel_shim_metric_cell *otel_shim_shard_find(otel_shim_metric_shard *shard, const uint8_t *key, size_t length,
                                                          uint64_t hash, uint64_t set_identity) {
    if (__builtin_expect(!shard->capacity, 0)) return NULL;
    size_t mask = shard->capacity - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        otel_shim_metric_cell *cell = shard->table[i];
        if (!cell) return NULL;
        if (cell->hash != hash) continue;
        if (set_identity && cell->set_identity == set_identity) return cell; /* the set seen here before */
        if (cell->key_length == length && memcmp(cell->key, key, length) == 0) {
            if (set_identity) cell->set_identity = set_identity;
            return cell;
        }
    }
}

/* A new cell for `key` in `shard` (NULL: no memory, or the instrument is at
 * its cardinality limit and `key` is not the overflow key). Out of line: an
 * attribute set's first record in a shard. */
static __attribute__((noinline)) otel_shim_metric_cell *otel_shim_shard_insert(otel_shim_metric_storage *storage, otel_shim_metric_shard *shard,
                                                                               const uint8_t *key, size_t length, uint64_t hash,
                                                                               uint64_t set_identity, bool overflow) {
    if (!overflow && atomic_load_explicit(&storage->cells, memory_order_relaxed) >= storage->cardinality_limit - 1) return NULL;
    if ((shard->count + 1) * 2 > shard->capacity) {
        size_t capacity = shard->capacity ? shard->capacity * 2 : 16;
        otel_shim_metric_cell **table = calloc(capacity, sizeof *table);
        if (!table) return NULL;
        for (size_t i = 0; i < shard->capacity; i++) {
            otel_shim_metric_cell *cell = shard->table[i];
            if (!cell) continue;
            size_t at = cell->hash & (capacity - 1);
            while (table[at]) at = (at + 1) & (capacity - 1);
            table[at] = cell;
        }
        free(shard->table);
        shard->table = table;
        shard->capacity = capacity;
    }
    otel_shim_metric_cell *cell = otel_shim_cell_create(storage, key, length, hash);
    if (!cell) return NULL;
    cell->set_identity = set_identity;
    size_t at = hash & (shard->capacity - 1);
    while (shard->table[at]) at = (at + 1) & (shard->capacity - 1);
    shard->table[at] = cell;
    shard->count++;
    atomic_fetch_add_explicit(&storage->cells, 1, memory_order_relaxed);
    return cell;
}

/* The cell of `key` in `shard`, made when missing (NULL as otel_shim_shard_insert). */
static inline otel_shim_metric_cell *otel_shim_shard_cell(otel_shim_metric_storage *storage, otel_shim_metric_shard *shard,
                                                          const uint8_t *key, size_t length, uint64_t hash, uint64_t set_identity,
                                                          bool overflow) {
    otel_shim_metric_cell *cell = otel_shim_shard_find(shard, key, length, hash, set_identity);
    return __builtin_expect(cell != NULL, 1) ? cell : otel_shim_shard_insert(storage, shard, key, length, hash, set_identity, overflow);
}

/* The key of the attribute set that stands for every set over the limit
 * (metrics SDK, "Cardinality limits": otel.metric.overflow = true). */
static size_t otel_shim_overflow_key(uint8_t *out, size_t capacity) {
    otel_attribute overflow = {.key = "otel.metric.overflow", .type = OTEL_ATTRIBUTE_BOOL};
    overflow.value.bool_value = true;
    return otel_shim_metric_key(&overflow, 1, out, capacity);
}

/* The overflow set's cell in `shard`: where a set over the cardinality limit records. */
static __attribute__((noinline, cold)) otel_shim_metric_cell *otel_shim_overflow_cell(otel_shim_metric_storage *storage,
                                                                                      otel_shim_metric_shard *shard) {
    uint8_t overflow[64];
    size_t overflow_length = otel_shim_overflow_key(overflow, sizeof overflow);
    return otel_shim_shard_cell(storage, shard, overflow, overflow_length, otel_shim_metric_key_hash(overflow, overflow_length), 0, true);
}

static inline void otel_shim_cell_update(const otel_shim_metric_storage *storage, otel_shim_metric_cell *cell,
                                         int64_t int_value, double double_value, uint64_t now_ns) {
    if (!cell->recorded) {
        cell->recorded = true;
        cell->start_ns = now_ns ? now_ns : otel_shim_realtime_ns();
    }
    switch (storage->kind) {
    case OTEL_SHIM_METRIC_GAUGE:
        cell->int_value = int_value;
        cell->double_value = double_value;
        cell->time_ns = now_ns ? now_ns : otel_shim_realtime_ns();
        return;
    case OTEL_SHIM_METRIC_HISTOGRAM: {
        double value = storage->is_double ? double_value : (double)int_value;
        size_t bucket = 0;
        while (bucket < storage->boundary_count && value > storage->boundaries[bucket]) bucket++;
        cell->buckets[bucket]++;
        if (cell->count == 0 || value < cell->min) cell->min = value;
        if (cell->count == 0 || value > cell->max) cell->max = value;
        cell->count++;
        cell->double_value += value;
        return;
    }
    default: /* sums */
        cell->int_value += int_value;
        cell->double_value += double_value;
        return;
    }
}

/* Records into the cell of `key` (`set_identity`: the attribute set it came from, 0: none). */
static OTEL_SHIM_HOT void otel_shim_metric_record_key(otel_shim_metric_storage *storage, const uint8_t *key, size_t length, uint64_t hash,
                                        uint64_t set_identity, int64_t int_value, double double_value) {
    if (!storage) return;
    otel_shim_metric_shard *shard = otel_shim_shard_of_thread(storage);
    otel_shim_shard_lock(shard);
    otel_shim_metric_cell *cell = otel_shim_shard_cell(storage, shard, key, length, hash, set_identity, false);
    if (__builtin_expect(!cell, 0)) cell = otel_shim_overflow_cell(storage, shard);
    if (cell) otel_shim_cell_update(storage, cell, int_value, double_value, 0);
    otel_shim_shard_unlock(shard);
}

void otel_shim_metric_record(otel_shim_metric_storage *storage, const uint8_t *key, size_t length, uint64_t hash,
                             int64_t int_value, double double_value) {
    otel_shim_metric_record_key(storage, key, length, hash, 0, int_value, double_value);
}

/* Calls `use` with the canonical key of `attributes`: on the stack, or on the
 * heap for a large set; nothing when memory runs out. */
static void otel_shim_with_metric_key(const otel_attribute *attributes, size_t count, void *context,
                                      void (*use)(void *context, const uint8_t *key, size_t length)) {
    uint8_t stack[512];
    size_t length = otel_shim_metric_key(attributes, count, stack, sizeof stack);
    if (length != SIZE_MAX) {
        use(context, stack, length);
        return;
    }
    size_t capacity = sizeof stack;
    for (;;) {
        capacity *= 4;
        uint8_t *heap = malloc(capacity);
        if (!heap) return;
        length = otel_shim_metric_key(attributes, count, heap, capacity);
        if (length != SIZE_MAX) use(context, heap, length);
        free(heap);
        if (length != SIZE_MAX || capacity > ((size_t)1 << 30)) return;
    }
}

typedef struct otel_shim_pending_record {
    otel_shim_metric_storage *storage;
    int64_t int_value;
    double double_value;
} otel_shim_pending_record;

static void otel_shim_record_key(void *context, const uint8_t *key, size_t length) {
    const otel_shim_pending_record *record = context;
    otel_shim_metric_record(record->storage, key, length, otel_shim_metric_key_hash(key, length), record->int_value,
                            record->double_value);
}

void otel_shim_metric_record_attributes(otel_shim_metric_storage *storage, const otel_attribute *attributes, size_t count,
                                        int64_t int_value, double double_value) {
    if (!storage) return;
    otel_shim_pending_record record = {storage, int_value, double_value};
    otel_shim_with_metric_key(attributes, count, &record, otel_shim_record_key);
}

static void otel_shim_set_from_key(void *context, const uint8_t *key, size_t length) {
    static atomic_uint_fast64_t identities;
    otel_shim_attribute_set *set = malloc(sizeof *set + length);
    if (!set) return;
    set->hash = otel_shim_metric_key_hash(key, length);
    set->identity = atomic_fetch_add_explicit(&identities, 1, memory_order_relaxed) + 1;
    set->length = length;
    memcpy(set->key, key, length);
    *(otel_shim_attribute_set **)context = set;
}

otel_shim_attribute_set *otel_shim_attribute_set_create(const otel_attribute *attributes, size_t count) {
    otel_shim_attribute_set *set = NULL;
    otel_shim_with_metric_key(attributes, count, &set, otel_shim_set_from_key);
    return set;
}

void otel_shim_attribute_set_release(otel_shim_attribute_set *set) { free(set); }

OTEL_SHIM_HOT void otel_shim_metric_record_set(otel_shim_metric_storage *storage, const otel_shim_attribute_set *set,
                                 int64_t int_value, double double_value) {
    if (!storage) return;
    static const uint8_t empty[1];
    if (set) otel_shim_metric_record_key(storage, set->key, set->length, set->hash, set->identity, int_value, double_value);
    else otel_shim_metric_record(storage, empty, 0, otel_shim_metric_key_hash(empty, 0), int_value, double_value);
}

/* A cell as if nothing had been recorded into it. */
static void otel_shim_cell_clear(otel_shim_metric_cell *cell) {
    cell->recorded = false;
    cell->int_value = 0;
    cell->double_value = 0;
    cell->count = 0;
    cell->min = cell->max = 0;
    memset(cell->buckets, 0, cell->bucket_count * sizeof cell->buckets[0]);
}

void otel_shim_metric_collect(otel_shim_metric_storage *storage, bool reset, void *context,
                              void (*visit)(void *context, const otel_shim_metric_cell *cell)) {
    if (!storage) return;
    for (size_t s = 0; s < OTEL_SHIM_METRIC_SHARDS; s++) {
        otel_shim_metric_shard *shard = &storage->shards[s];
        otel_shim_shard_lock(shard);
        for (size_t i = 0; i < shard->capacity; i++) {
            otel_shim_metric_cell *cell = shard->table[i];
            if (!cell || !cell->recorded) continue;
            visit(context, cell);
            if (reset) otel_shim_cell_clear(cell);
        }
        otel_shim_shard_unlock(shard);
    }
}

void otel_shim_metric_storage_destroy(otel_shim_metric_storage *storage) {
    if (!storage) return;
    pthread_mutex_lock(&otel_shim_storages_lock);
    if (storage->previous) storage->previous->next = storage->next;
    else otel_shim_storages = storage->next;
    if (storage->next) storage->next->previous = storage->previous;
    pthread_mutex_unlock(&otel_shim_storages_lock);
    for (size_t s = 0; s < OTEL_SHIM_METRIC_SHARDS; s++) {
        otel_shim_metric_shard *shard = &storage->shards[s];
        for (size_t i = 0; i < shard->capacity; i++) free(shard->table[i]);
        free(shard->table);
    }
    free(storage->boundaries);
    free(storage);
}

void otel_shim_metric_storages_after_fork(void) {
    /* One thread now: the list's lock may have been held by a parent thread. */
    pthread_mutex_init(&otel_shim_storages_lock, NULL);
    for (otel_shim_metric_storage *storage = otel_shim_storages; storage; storage = storage->next) {
        for (size_t s = 0; s < OTEL_SHIM_METRIC_SHARDS; s++) {
            otel_shim_metric_shard *shard = &storage->shards[s];
            __atomic_store_n(&shard->locked, false, __ATOMIC_RELAXED);
            for (size_t i = 0; i < shard->capacity; i++) {
                otel_shim_metric_cell *cell = shard->table[i];
                if (cell) otel_shim_cell_clear(cell);
            }
        }
    }
}
