#include "otel_core_shims.h"

#include <stdatomic.h>
#include <stdlib.h>

typedef struct otel_shim_ring_cell {
    _Atomic size_t sequence;
    void *item;
} otel_shim_ring_cell;

struct otel_shim_ring {
    size_t capacity;
    /* Producers and the consumer touch different cache lines. */
    _Alignas(64) _Atomic size_t enqueue_position;
    _Alignas(64) _Atomic size_t dequeue_position;
    _Alignas(64) otel_shim_ring_cell cells[];
};

otel_shim_ring *otel_shim_ring_create(size_t capacity) {
    if (capacity == 0) return NULL;
    otel_shim_ring *ring = aligned_alloc(64, ((sizeof(otel_shim_ring) + capacity * sizeof(otel_shim_ring_cell)) + 63) & ~(size_t)63);
    if (!ring) return NULL;
    ring->capacity = capacity;
    atomic_init(&ring->enqueue_position, 0);
    atomic_init(&ring->dequeue_position, 0);
    for (size_t i = 0; i < capacity; i++) {
        atomic_init(&ring->cells[i].sequence, i);
        ring->cells[i].item = NULL;
    }
    return ring;
}

void otel_shim_ring_destroy(otel_shim_ring *ring) { free(ring); }

bool otel_shim_ring_push(otel_shim_ring *ring, void *item) {
    size_t position = atomic_load_explicit(&ring->enqueue_position, memory_order_relaxed);
    for (;;) {
        otel_shim_ring_cell *cell = &ring->cells[position % ring->capacity];
        size_t sequence = atomic_load_explicit(&cell->sequence, memory_order_acquire);
        intptr_t difference = (intptr_t)sequence - (intptr_t)position;
        if (difference == 0) {
            if (atomic_compare_exchange_weak_explicit(&ring->enqueue_position, &position, position + 1,
                                                      memory_order_relaxed, memory_order_relaxed)) {
                cell->item = item;
                atomic_store_explicit(&cell->sequence, position + 1, memory_order_release);
                return true;
            }
        } else if (difference < 0) {
            return false; /* full */
        } else {
            position = atomic_load_explicit(&ring->enqueue_position, memory_order_relaxed);
        }
    }
}

void *otel_shim_ring_pop(otel_shim_ring *ring) {
    size_t position = atomic_load_explicit(&ring->dequeue_position, memory_order_relaxed);
    otel_shim_ring_cell *cell = &ring->cells[position % ring->capacity];
    size_t sequence = atomic_load_explicit(&cell->sequence, memory_order_acquire);
    if ((intptr_t)sequence - (intptr_t)(position + 1) < 0) return NULL; /* empty */
    void *item = cell->item;
    cell->item = NULL;
    atomic_store_explicit(&ring->dequeue_position, position + 1, memory_order_relaxed);
    atomic_store_explicit(&cell->sequence, position + ring->capacity, memory_order_release);
    return item;
}

size_t otel_shim_ring_count(const otel_shim_ring *ring) {
    size_t enqueued = atomic_load_explicit(&((otel_shim_ring *)ring)->enqueue_position, memory_order_acquire);
    size_t dequeued = atomic_load_explicit(&((otel_shim_ring *)ring)->dequeue_position, memory_order_acquire);
    return enqueued > dequeued ? enqueued - dequeued : 0;
}

void otel_shim_ring_reset(otel_shim_ring *ring) {
    if (!ring) return;
    for (size_t i = 0; i < ring->capacity; i++) {
        atomic_store_explicit(&ring->cells[i].sequence, i, memory_order_relaxed);
        ring->cells[i].item = NULL;
    }
    atomic_store_explicit(&ring->enqueue_position, 0, memory_order_relaxed);
    atomic_store_explicit(&ring->dequeue_position, 0, memory_order_release);
}
