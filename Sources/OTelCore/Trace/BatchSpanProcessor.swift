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
    private let lock = ConditionLock()
    private let dropped = Atomic<Int>(0)

    // Guarded by `lock`.
    private var ring: ContiguousArray<RecordingSpan?>
    private var head = 0
    private var count = 0
    private var workerStarted = false
    private var workerExited = false
    private var isShutdown = false
    private var flushRequested: UInt64 = 0
    private var flushCompleted: UInt64 = 0

    /// A processor sending batches to `exporter`.
    public init(exporter: any SpanExporter, configuration: Configuration = Configuration(), diagnostics: Diagnostics) {
        self.exporter = exporter
        self.configuration = configuration
        self.diagnostics = diagnostics
        ring = ContiguousArray(repeating: nil, count: configuration.maxQueueSize)
    }

    /// Spans dropped so far because the queue was full.
    public var droppedSpans: Int { dropped.load(ordering: .relaxed) }

    public func onStart(_ span: RecordingSpan, parentContext: SpanContext?) {}

    public func onEnd(_ span: RecordingSpan) {
        guard span.context.isSampled else { return }
        lock.lock()
        if isShutdown {
            lock.unlock()
            return
        }
        if count == ring.count {
            lock.unlock()
            if dropped.add(1, ordering: .relaxed).oldValue == 0 {
                diagnostics.warn("the span queue is full (OTEL_BSP_MAX_QUEUE_SIZE=\(configuration.maxQueueSize)); dropping spans until it drains")
            }
            return
        }
        ring[(head + count) % ring.count] = span
        count += 1
        if !workerStarted { startWorkerLocked() }
        if count == configuration.maxExportBatchSize { lock.broadcast() }
        lock.unlock()
    }

    public func forceFlush(timeoutNanoseconds: UInt64) -> Bool {
        let deadline = monotonicDeadline(after: timeoutNanoseconds)
        lock.lock()
        if !workerStarted {
            let empty = count == 0
            if !empty { startWorkerLocked() }
            if empty || !workerStarted {
                lock.unlock()
                return empty
            }
        }
        flushRequested += 1
        let target = flushRequested
        lock.broadcast()
        while flushCompleted < target && !workerExited {
            if !lock.wait(untilMonotonic: deadline) { break }
        }
        let done = flushCompleted >= target || (workerExited && count == 0)
        lock.unlock()
        return done && exporter.forceFlush(timeoutNanoseconds: timeoutNanoseconds)
    }

    public func shutdown(timeoutNanoseconds: UInt64) -> Bool {
        let deadline = monotonicDeadline(after: timeoutNanoseconds)
        lock.lock()
        if isShutdown {
            lock.unlock()
            return true
        }
        isShutdown = true
        if !workerStarted && count > 0 { startWorkerLocked() }
        var drained = !workerStarted ? count == 0 : false
        if workerStarted {
            lock.broadcast()
            while !workerExited {
                if !lock.wait(untilMonotonic: deadline) { break }
            }
            drained = workerExited
        }
        let pending = count
        lock.unlock()
        if !drained {
            diagnostics.warn("shutdown timed out with \(pending) spans not exported")
        }
        let droppedTotal = droppedSpans
        if droppedTotal > 0 {
            diagnostics.warn("\(droppedTotal) spans were dropped because the span queue was full (OTEL_BSP_MAX_QUEUE_SIZE=\(configuration.maxQueueSize))")
        }
        let remaining = deadline > otel_shim_monotonic_ns() ? deadline - otel_shim_monotonic_ns() : 0
        return exporter.shutdown(timeoutNanoseconds: remaining) && drained
    }

    /// Starts the export thread; called with the lock held.
    private func startWorkerLocked() {
        workerStarted = startBackgroundThread(name: "otel-bsp") { [self] in runWorker() }
        if !workerStarted {
            diagnostics.error("could not start the span export thread; spans will not be exported")
            isShutdown = true
        }
    }

    /// Takes up to `limit` spans off the queue; called with the lock held.
    private func takeLocked(_ limit: Int) -> [RecordingSpan] {
        let taken = min(limit, count)
        var batch: [RecordingSpan] = []
        batch.reserveCapacity(taken)
        for _ in 0..<taken {
            batch.append(ring[head]!)
            ring[head] = nil
            head = (head + 1) % ring.count
        }
        count -= taken
        return batch
    }

    private func runWorker() {
        let batchSize = configuration.maxExportBatchSize
        lock.lock()
        while true {
            if count < batchSize && !isShutdown && flushRequested == flushCompleted {
                let deadline = monotonicDeadline(after: configuration.scheduleDelayNanoseconds)
                while count < batchSize && !isShutdown && flushRequested == flushCompleted {
                    if !lock.wait(untilMonotonic: deadline) { break }
                }
            }
            let flushTarget = flushRequested
            let drainAll = isShutdown || flushTarget > flushCompleted
            repeat {
                let batch = takeLocked(batchSize)
                if batch.isEmpty { break }
                lock.unlock()
                export(batch)
                lock.lock()
            } while count >= batchSize || (drainAll && count > 0)
            flushCompleted = max(flushCompleted, flushTarget)
            if isShutdown {
                workerExited = true
                lock.broadcast()
                lock.unlock()
                return
            }
            lock.broadcast()
        }
    }

    private func export(_ batch: [RecordingSpan]) {
        if exporter.export(batch.map { $0.snapshot() }) == .failure {
            diagnostics.warn("the span exporter failed to export a batch")
        }
    }
}
