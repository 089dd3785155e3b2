import COTelCoreShims
import Synchronization

/// Batches ended spans and exports them from one background thread
/// (trace SDK, "Batching processor").
///
/// The queue is bounded: when it is full, ending a span never waits, the
/// span is dropped and counted. The thread starts with the first span, so a
/// process that emits nothing pays nothing.
public final class BatchSpanProcessor: SpanProcessor, @unchecked Sendable {
    /// OTEL_BSP_* settings (configuration/sdk-environment-variables.md,
    /// "Batch Span Processor"): defaults 5000 ms, 30000 ms, 2048, 512.
    public struct Configuration: Sendable, Equatable {
        public var scheduleDelayNanoseconds: UInt64 = 5_000_000_000
        public var exportTimeoutNanoseconds: UInt64 = 30_000_000_000
        public var maxQueueSize = 2048
        public var maxExportBatchSize = 512

        public init() {}

        /// The settings from the environment; a batch size above the queue
        /// size is lowered to it, with a warning.
        public init(config: ConfigReader) {
            scheduleDelayNanoseconds = UInt64(config.int("OTEL_BSP_SCHEDULE_DELAY", default: 5000)) * 1_000_000
            exportTimeoutNanoseconds = UInt64(config.int("OTEL_BSP_EXPORT_TIMEOUT", default: 30000)) * 1_000_000
            maxQueueSize = config.int("OTEL_BSP_MAX_QUEUE_SIZE", default: 2048, minimum: 1)
            maxExportBatchSize = config.int("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", default: 512, minimum: 1)
            if maxExportBatchSize > maxQueueSize {
                config.diagnostics.warn("OTEL_BSP_MAX_EXPORT_BATCH_SIZE=\(maxExportBatchSize) exceeds OTEL_BSP_MAX_QUEUE_SIZE=\(maxQueueSize); using \(maxQueueSize)")
                maxExportBatchSize = maxQueueSize
            }
        }
    }

    let exporter: any SpanExporter
    public let configuration: Configuration
    let diagnostics: Diagnostics
    /// Ended spans (retained pointers), pushed lock-free by any thread.
    private let queue: OpaquePointer
    private let dropped = Atomic<Int>(0)
    private let shutdownStarted = Atomic<Bool>(false)
    /// 0: no worker yet, 1: starting or running, 2: could not start.
    private let workerState = Atomic<Int>(0)

    /// Guards the worker's sleep and the flush/shutdown bookkeeping below;
    /// never taken on the span path except once per full batch, to wake the worker.
    private let lock = ConditionLock()
    private var workerExited = false
    private var flushRequested: UInt64 = 0
    private var flushCompleted: UInt64 = 0

    /// A processor sending batches to `exporter`.
    public init(exporter: any SpanExporter, configuration: Configuration = Configuration(), diagnostics: Diagnostics) {
        self.exporter = exporter
        self.configuration = configuration
        self.diagnostics = diagnostics
        // maxQueueSize ≥ 1 is guaranteed by Configuration; a failed allocation
        // falls back to the smallest queue rather than failing the host.
        queue = otel_shim_ring_create(configuration.maxQueueSize) ?? otel_shim_ring_create(1)
    }

    deinit {
        // The worker holds the processor while it runs, so no one else pops now.
        while let pointer = otel_shim_ring_pop(queue) {
            Unmanaged<RecordingSpan>.fromOpaque(pointer).release()
        }
        otel_shim_ring_destroy(queue)
    }

    /// Spans dropped so far because the queue was full.
    public var droppedSpans: Int { dropped.load(ordering: .relaxed) }

    public var observesStart: Bool { false }

    public func onStart(_ span: RecordingSpan, parentContext: SpanContext?) {}

    public func onEnd(_ span: RecordingSpan) {
        guard span.context.isSampled, !shutdownStarted.load(ordering: .relaxed) else { return }
        let pointer = Unmanaged.passRetained(span)
        guard otel_shim_ring_push(queue, pointer.toOpaque()) else {
            pointer.release()
            if dropped.add(1, ordering: .relaxed).oldValue == 0 {
                diagnostics.warn("the span queue is full (OTEL_BSP_MAX_QUEUE_SIZE=\(configuration.maxQueueSize)); dropping spans until it drains")
            }
            return
        }
        if workerState.load(ordering: .relaxed) == 0 { startWorker() }
        if otel_shim_ring_count(queue) == configuration.maxExportBatchSize {
            lock.withLock { lock.broadcast() }
        }
    }

    public func forceFlush(timeoutNanoseconds: UInt64) -> Bool {
        let deadline = monotonicDeadline(after: timeoutNanoseconds)
        if workerState.load(ordering: .acquiring) != 1 {
            if otel_shim_ring_count(queue) == 0 { return exporter.forceFlush(timeoutNanoseconds: timeoutNanoseconds) }
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
        return done && exporter.forceFlush(timeoutNanoseconds: timeoutNanoseconds)
    }

    public func shutdown(timeoutNanoseconds: UInt64) -> Bool {
        let deadline = monotonicDeadline(after: timeoutNanoseconds)
        if shutdownStarted.exchange(true, ordering: .acquiringAndReleasing) { return true }
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
            diagnostics.warn("shutdown timed out with \(otel_shim_ring_count(queue)) spans not exported")
        }
        let droppedTotal = droppedSpans
        if droppedTotal > 0 {
            diagnostics.warn("\(droppedTotal) spans were dropped because the span queue was full (OTEL_BSP_MAX_QUEUE_SIZE=\(configuration.maxQueueSize))")
        }
        let now = otel_shim_monotonic_ns()
        return exporter.shutdown(timeoutNanoseconds: deadline > now ? deadline - now : 0) && drained
    }

    /// Starts the export thread once (the first caller wins).
    private func startWorker() {
        guard workerState.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged else { return }
        if !startBackgroundThread(name: "otel-bsp", { [self] in runWorker() }) {
            workerState.store(2, ordering: .releasing)
            diagnostics.error("could not start the span export thread; spans will not be exported")
        }
    }

    /// Takes up to `limit` spans off the queue (worker thread only).
    private func take(_ limit: Int) -> [RecordingSpan] {
        var batch: [RecordingSpan] = []
        batch.reserveCapacity(min(limit, otel_shim_ring_count(queue)))
        while batch.count < limit, let pointer = otel_shim_ring_pop(queue) {
            batch.append(Unmanaged<RecordingSpan>.fromOpaque(pointer).takeRetainedValue())
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
                export(batch)
            } while pending() >= batchSize || (drainAll && pending() > 0)
            lock.lock()
            flushCompleted = max(flushCompleted, flushTarget)
            if stopping { workerExited = true }
            lock.broadcast()
            lock.unlock()
            if stopping { return }
        }
    }

    private func export(_ batch: [RecordingSpan]) {
        if exporter.export(batch.map { $0.snapshot() }) == .failure {
            // The exporter has said why (each reports its own failures); this is for debugging.
            diagnostics.debug("the span exporter failed to export a batch")
        }
    }
}
