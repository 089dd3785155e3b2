/// Receives spans as they start and end (trace SDK, "Span processor").
public protocol SpanProcessor: AnyObject, Sendable {
    /// False when `onStart` does nothing, so the provider need not call it
    /// for every span (the default is true).
    var observesStart: Bool { get }
    /// Called synchronously when a recording span starts.
    func onStart(_ span: RecordingSpan, parentContext: SpanContext?)
    /// Called synchronously when a recording span ends; must not block.
    func onEnd(_ span: RecordingSpan)
    /// Exports everything received so far, waiting at most `timeoutNanoseconds`.
    func forceFlush(timeoutNanoseconds: UInt64) -> Bool
    /// Flushes and stops, waiting at most `timeoutNanoseconds`.
    func shutdown(timeoutNanoseconds: UInt64) -> Bool
    /// In a forked child, before anything else runs there: forget what the
    /// parent had pending and be ready to work without the parent's threads.
    func afterForkInChild()
}

extension SpanProcessor {
    /// Nothing to repair by default (a processor without threads or locks).
    public func afterForkInChild() {}
}

extension SpanProcessor {
    public var observesStart: Bool { true }
}

/// The outcome of one export call.
public enum ExportResult: Sendable {
    case success
    case failure
}

/// Sends ended spans somewhere (trace SDK, "Span Exporter"). Export calls are
/// never concurrent.
public protocol SpanExporter: AnyObject, Sendable {
    func export(_ spans: [SpanData]) -> ExportResult
    func forceFlush(timeoutNanoseconds: UInt64) -> Bool
    func shutdown(timeoutNanoseconds: UInt64) -> Bool
    /// Whether every descriptor the exporter uses is opened and closed within
    /// each call on the calling thread: its export thread may then have a
    /// descriptor table of its own (OTEL_EXPORTER_CONFINED_DESCRIPTORS).
    var confinesDescriptors: Bool { get }
}

extension SpanExporter {
    public var confinesDescriptors: Bool { false }
}

/// Exports each span as soon as it ends, on the ending thread (trace SDK,
/// "Simple processor"). For tests and debugging: it blocks the caller.
public final class SimpleSpanProcessor: SpanProcessor {
    let exporter: any SpanExporter
    private let lock = ConditionLock()

    public init(exporter: any SpanExporter) {
        self.exporter = exporter
    }

    public var observesStart: Bool { false }

    public func onStart(_ span: RecordingSpan, parentContext: SpanContext?) {}

    public func onEnd(_ span: RecordingSpan) {
        guard span.context.isSampled else { return }
        let data = span.snapshot()
        lock.withLock { _ = exporter.export([data]) }
    }

    public func forceFlush(timeoutNanoseconds: UInt64) -> Bool {
        lock.withLock { exporter.forceFlush(timeoutNanoseconds: timeoutNanoseconds) }
    }

    public func shutdown(timeoutNanoseconds: UInt64) -> Bool {
        lock.withLock { exporter.shutdown(timeoutNanoseconds: timeoutNanoseconds) }
    }
}
