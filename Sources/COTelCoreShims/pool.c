/* Pools of freed memory (see otel_core_shims.h). */
#include "otel_core_shims.h"

#include <string.h>

void *otel_shim_pool_take(otel_shim_pool *pool) {
    otel_shim_spin_lock(&pool->locked);
    void *block = pool->first;
    if (block) {
        memcpy(&pool->first, block, sizeof pool->first);
        pool->count--;
    }
    otel_shim_spin_unlock(&pool->locked);
    return block;
}

bool otel_shim_pool_give(otel_shim_pool *pool, void *block) {
    otel_shim_spin_lock(&pool->locked);
    bool kept = pool->count < pool->limit;
    if (kept) {
        memcpy(block, &pool->first, sizeof pool->first);
        pool->first = block;
        pool->count++;
    }
    otel_shim_spin_unlock(&pool->locked);
    return kept;
}
