import COTelCoreShims
import Synchronization

/// The settings of a batching processor: OTEL_BSP_* for spans, OTEL_BLRP_*
/// for log records (configuration/sdk-environment-variables.md: defaults
/// 5000 (spans) or 1000 (log records), 30000, 2048, 512).
public struct BatchConfiguration: Sendable, Equatable {
    public var scheduleDelayNanoseconds: UInt64 = 5_000_000_000
    public var exportTimeoutNanoseconds: UInt64 = 30_000_000_000
    public var maxQueueSize = 2048
    public var maxExportBatchSize = 512

    public init() {}

    /// The settings from the environment (`prefix`: OTEL_BSP or OTEL_BLRP); a
    /// batch size above the queue size is lowered to it, with a warning.
    public init(config: ConfigReader, prefix: String = "OTEL_BSP", defaultScheduleDelayMilliseconds: Int = 5000) {
        scheduleDelayNanoseconds = UInt64(config.int("\(prefix)_SCHEDULE_DELAY", default: defaultScheduleDelayMilliseconds)) * 1_000_000
        exportTimeoutNanoseconds = UInt64(config.int("\(prefix)_EXPORT_TIMEOUT", default: 30000)) * 1_000_000
        maxQueueSize = config.int("\(prefix)_MAX_QUEUE_SIZE", default: 2048, minimum: 1)
        maxExportBatchSize = config.int("\(prefix)_MAX_EXPORT_BATCH_SIZE", default: 512, minimum: 1)
        if maxExportBatchSize > maxQueueSize {
            config.diagnostics.warn("\(prefix)_MAX_EXPORT_BATCH_SIZE=\(maxExportBatchSize) exceeds \(prefix)_MAX_QUEUE_SIZE=\(maxQueueSize); using \(maxQueueSize)")
            maxExportBatchSize = maxQueueSize
        }
    }
}

/// The machinery of a batching processor (trace SDK "Batching processor",
/// logs SDK "Batching processor"): a bounded lock-free queue that never
/// blocks the caller and counts what it drops, and one background thread
/// that exports full batches, or what is there every schedule delay, on
/// flush and at shutdown. The thread starts with the first item, so a
/// process that emits nothing pays nothing.
final class BatchExportQueue<Item: AnyObject>: @unchecked Sendable {
    /// Entries producers may queue other than items (spans recorded in C):
    /// pointers the worker makes items of with `adopt`, or frees with
    /// `discard` when they will not be exported. Queued with the low bit set.
    struct ForeignEntries {
        let adopt: (UnsafeMutableRawPointer) -> Item
        let discard: (UnsafeMutableRawPointer) -> Void
    }

    let configuration: BatchConfiguration
    let diagnostics: Diagnostics
    /// "span", "log record": for diagnostics.
    private let itemName: String
    /// OTEL_BSP or OTEL_BLRP: for diagnostics.
    private let variablePrefix: String
    private let threadName: String
    private let exportBatch: ([Item]) -> Void
    private let foreign: ForeignEntries?
    /// Items (retained pointers) and foreign entries, pushed lock-free by any thread.
    private let queue: OpaquePointer
    private let dropped = Atomic<Int>(0)
    /// Items of the batch the worker is exporting (for the shutdown's report).
    private let exporting = Atomic<Int>(0)
    private let shutdownStarted = Atomic<Bool>(false)
    /// 0: no worker yet, 1: starting or running, 2: could not start.
    private let workerState = Atomic<Int>(0)

    /// Guards the worker's sleep and the flush/shutdown bookkeeping below;
    /// never taken on the caller's path except once per full batch, to wake the worker.
    private let lock = ConditionLock()
    private var workerExited = false
    private var flushRequested: UInt64 = 0
    private var flushCompleted: UInt64 = 0

    /// Whether the export thread may have a descriptor table of its own (its exporter confines its descriptors).
    private let ownDescriptors: Bool

    init(configuration: BatchConfiguration, itemName: String, variablePrefix: String, threadName: String,
         ownDescriptors: Bool, diagnostics: Diagnostics, foreign: ForeignEntries? = nil, export: @escaping ([Item]) -> Void) {
        self.foreign = foreign
        self.ownDescriptors = ownDescriptors
        self.configuration = configuration
        self.itemName = itemName
        self.variablePrefix = variablePrefix
        self.threadName = threadName
        self.diagnostics = diagnostics
        exportBatch = export
        // maxQueueSize ≥ 1 is guaranteed by BatchConfiguration; a failed allocation
        // falls back to the smallest queue rather than failing the host.
        queue = otel_shim_ring_create(configuration.maxQueueSize) ?? otel_shim_ring_create(1)
    }

    deinit {
        // The worker holds the queue while it runs, so no one else pops now.
        while let entry = otel_shim_ring_pop(queue) { discard(entry) }
        otel_shim_ring_destroy(queue)
    }

    /// Items dropped so far because the queue was full.
    var droppedCount: Int { dropped.load(ordering: .relaxed) }

    private static var foreignTag: UInt { 1 }

    /// Frees a queued entry that will not be exported.
    private func discard(_ entry: UnsafeMutableRawPointer) {
        let bits = UInt(bitPattern: entry)
        if bits & Self.foreignTag == 0 { return Unmanaged<Item>.fromOpaque(entry).release() }
        foreign?.discard(UnsafeMutableRawPointer(bitPattern: bits & ~Self.foreignTag)!)
    }

    /// Queues `item` (nothing after shutdown); never waits.
    func push(_ item: Item) {
        guard !shutdownStarted.load(ordering: .relaxed) else { return }
        push(entry: Unmanaged.passRetained(item).toOpaque())
    }

    /// Queues a foreign entry (see ForeignEntries; freed after shutdown); never waits.
    func push(foreign pointer: UnsafeMutableRawPointer) {
        guard !shutdownStarted.load(ordering: .relaxed) else { return foreign?.discard(pointer) ?? () }
        push(entry: UnsafeMutableRawPointer(bitPattern: UInt(bitPattern: pointer) | Self.foreignTag)!)
    }

    private func push(entry: UnsafeMutableRawPointer) {
        guard otel_shim_ring_push(queue, entry) else {
            discard(entry)
            if dropped.add(1, ordering: .relaxed).oldValue == 0 {
                diagnostics.warn("the \(itemName) queue is full (\(variablePrefix)_MAX_QUEUE_SIZE=\(configuration.maxQueueSize)); dropping \(itemName)s until it drains")
            }
            return
        }
        if workerState.load(ordering: .relaxed) == 0 { startWorker() }
        if otel_shim_ring_count(queue) == configuration.maxExportBatchSize {
            lock.withLock { lock.broadcast() }
        }
    }

    /// Exports what is queued; false when `timeoutNanoseconds` passed first.
    func forceFlush(timeoutNanoseconds: UInt64) -> Bool {
        let deadline = monotonicDeadline(after: timeoutNanoseconds)
        if workerState.load(ordering: .acquiring) != 1 {
            if otel_shim_ring_count(queue) == 0 { return true }
            startWorker()
            if workerState.load(ordering: .acquiring) != 1 { return false }
        }
        lock.lock()
        flushRequested += 1
        let target = flushRequested
        lock.broadcast()
        while flushCompleted < target && !workerExited {
            if !lock.wait(untilMonotonic: deadline) { break }
        }
        let done = flushCompleted >= target || (workerExited && otel_shim_ring_count(queue) == 0)
        lock.unlock()
        return done
    }

    /// Exports what is queued and stops the worker, once: whether everything
    /// was exported before the deadline (what was not is reported), nil when
    /// shutdown had already been called.
    func shutdown(deadline: UInt64) -> Bool? {
        if shutdownStarted.exchange(true, ordering: .acquiringAndReleasing) { return nil }
        if workerState.load(ordering: .acquiring) == 0 && otel_shim_ring_count(queue) > 0 { startWorker() }
        var drained = otel_shim_ring_count(queue) == 0
        if workerState.load(ordering: .acquiring) == 1 {
            lock.lock()
            lock.broadcast()
            while !workerExited {
                if !lock.wait(untilMonotonic: deadline) { break }
            }
            drained = workerExited
            lock.unlock()
        }
        if !drained {
            // What is queued and the batch still being exported (it does not end before the process does).
            let unexported = otel_shim_ring_count(queue) + exporting.load(ordering: .acquiring)
            diagnostics.warn("shutdown timed out with \(unexported) \(itemName)\(unexported == 1 ? "" : "s") not exported")
        }
        let droppedTotal = droppedCount
        if droppedTotal > 0 {
            diagnostics.warn("\(droppedTotal) \(itemName)s were dropped because the \(itemName) queue was full (\(variablePrefix)_MAX_QUEUE_SIZE=\(configuration.maxQueueSize))")
        }
        return drained
    }

    /// In a forked child (one thread): what the parent had queued is dropped
    /// (the parent exports it; nothing is sent twice), and the export thread,
    /// which does not survive a fork, starts again with the child's first item.
    func resetAfterFork() {
        lock.reinitializeAfterFork()
        while let entry = otel_shim_ring_pop(queue) { discard(entry) }
        otel_shim_ring_reset(queue) // a slot a parent thread was filling at fork, too
        workerExited = false
        flushRequested = 0
        flushCompleted = 0
        workerState.store(0, ordering: .releasing)
    }

    /// Starts the export thread once (the first caller wins).
    private func startWorker() {
        guard workerState.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged else { return }
        if !startBackgroundThread(name: threadName, ownDescriptors: ownDescriptors, { [self] in runWorker() }) {
            workerState.store(2, ordering: .releasing)
            diagnostics.error("could not start the \(itemName) export thread; \(itemName)s will not be exported")
        }
    }

    /// Takes up to `limit` items off the queue (worker thread only).
    private func take(_ limit: Int) -> [Item] {
        var batch: [Item] = []
        batch.reserveCapacity(min(limit, otel_shim_ring_count(queue)))
        while batch.count < limit, let entry = otel_shim_ring_pop(queue) {
            let bits = UInt(bitPattern: entry)
            if bits & Self.foreignTag == 0 {
                batch.append(Unmanaged<Item>.fromOpaque(entry).takeRetainedValue())
            } else if let foreign {
                batch.append(foreign.adopt(UnsafeMutableRawPointer(bitPattern: bits & ~Self.foreignTag)!))
            }
        }
        return batch
    }

    private func runWorker() {
        let batchSize = configuration.maxExportBatchSize
        func pending() -> Int { otel_shim_ring_count(queue) }
        while true {
            lock.lock()
            if pending() < batchSize && !shutdownStarted.load(ordering: .acquiring) && flushRequested == flushCompleted {
                let deadline = monotonicDeadline(after: configuration.scheduleDelayNanoseconds)
                while pending() < batchSize && !shutdownStarted.load(ordering: .acquiring) && flushRequested == flushCompleted {
                    if !lock.wait(untilMonotonic: deadline) { break }
                }
            }
            let flushTarget = flushRequested
            let stopping = shutdownStarted.load(ordering: .acquiring)
            let drainAll = stopping || flushTarget > flushCompleted
            lock.unlock()
            repeat {
                let batch = take(batchSize)
                if batch.isEmpty { break }
                exporting.store(batch.count, ordering: .releasing)
                exportBatch(batch)
                exporting.store(0, ordering: .releasing)
            } while pending() >= batchSize || (drainAll && pending() > 0)
            lock.lock()
            flushCompleted = max(flushCompleted, flushTarget)
            if stopping { workerExited = true }
            lock.broadcast()
            lock.unlock()
            if stopping { return }
        }
    }
}
