import COTelCoreShims

/// Batches ended spans and exports them from one background thread
/// (trace SDK, "Batching processor"; the queue is a BatchExportQueue).
public final class BatchSpanProcessor: SpanProcessor, @unchecked Sendable {
    /// OTEL_BSP_* settings.
    public typealias Configuration = BatchConfiguration

    let exporter: any SpanExporter
    public var configuration: Configuration { queue.configuration }
    private let queue: BatchExportQueue<RecordingSpan>

    /// A processor sending batches to `exporter`.
    public init(exporter: any SpanExporter, configuration: Configuration = Configuration(), diagnostics: Diagnostics) {
        self.exporter = exporter
        // Spans recorded in C are queued as their records and made the SDK's spans by the export thread.
        let records = BatchExportQueue<RecordingSpan>.ForeignEntries(
            adopt: { RecordingSpan.taking(ended: $0.assumingMemoryBound(to: otel_shim_span_record.self)) },
            discard: { otel_shim_span_record_free($0.assumingMemoryBound(to: otel_shim_span_record.self)) })
        queue = BatchExportQueue(configuration: configuration, itemName: "span", variablePrefix: "OTEL_BSP", threadName: "otel-bsp",
                                 ownDescriptors: exporter.confinesDescriptors, diagnostics: diagnostics, foreign: records) { batch in
            if exporter.export(batch.map { $0.snapshot() }) == .failure {
                // The exporter has said why (each reports its own failures); this is for debugging.
                diagnostics.debug("the span exporter failed to export a batch")
            }
        }
    }

    public func afterForkInChild() { queue.resetAfterFork() }

    /// Spans dropped so far because the queue was full.
    public var droppedSpans: Int { queue.droppedCount }

    public var observesStart: Bool { false }

    public func onStart(_ span: RecordingSpan, parentContext: SpanContext?) {}

    public func onEnd(_ span: RecordingSpan) {
        guard span.context.isSampled else { return }
        queue.push(span)
    }

    /// A span recorded in C has ended (it is sampled): queued as it is.
    func onEnd(record: UnsafeMutablePointer<otel_shim_span_record>) {
        queue.push(foreign: UnsafeMutableRawPointer(record))
    }

    public func forceFlush(timeoutNanoseconds: UInt64) -> Bool {
        queue.forceFlush(timeoutNanoseconds: timeoutNanoseconds) && exporter.forceFlush(timeoutNanoseconds: timeoutNanoseconds)
    }

    public func shutdown(timeoutNanoseconds: UInt64) -> Bool {
        let deadline = monotonicDeadline(after: timeoutNanoseconds)
        guard let drained = queue.shutdown(deadline: deadline) else { return true }
        let now = otel_shim_monotonic_ns()
        return exporter.shutdown(timeoutNanoseconds: deadline > now ? deadline - now : 0) && drained
    }
}
