import COTelCoreShims

/// A started span as callers hold it: its context, and the recorder when the
/// span is sampled. A non-recording span is a plain value: creating, making
/// current and ending it allocates nothing and takes no lock.
public struct Span: Sendable {
    /// The span's identity, propagated to children and other processes.
    public let context: SpanContext
    /// The recorder, nil when the span is not recording.
    public let recorder: RecordingSpan?

    /// A span around a context that records nothing (e.g. a remote parent).
    public init(nonRecording context: SpanContext) {
        self.context = context
        self.recorder = nil
    }

    init(context: SpanContext, recorder: RecordingSpan?) {
        self.context = context
        self.recorder = recorder
    }

    /// True while the span records (trace API, "IsRecording").
    public var isRecording: Bool { recorder?.isRecording ?? false }

    /// Sets an attribute; a no-op when not recording.
    public func setAttribute(_ key: String, _ value: AttributeValue) {
        recorder?.setAttribute(key, value)
    }

    /// Adds an event, now or at `timestamp` (ns since the epoch).
    public func addEvent(_ name: String, attributes: [Attribute] = [], timestamp: UInt64? = nil) {
        guard let recorder else { return }
        recorder.addEvent(name, attributes: attributes, timestamp: timestamp ?? otel_shim_realtime_ns())
    }

    /// Adds a link to another span context.
    public func addLink(_ context: SpanContext, attributes: [Attribute] = []) {
        guard let recorder, context.isValid else { return }
        let limits = recorder.provider.limits
        var kept = Attributes(countLimit: limits.attributesPerLink, valueLengthLimit: limits.attributeValueLength)
        for attribute in attributes { kept.set(attribute.key, attribute.value) }
        recorder.addLink(SpanLink(context: context, attributes: kept))
    }

    /// Records an exception as an event named "exception" with the
    /// exception.* attributes (trace/exceptions.md).
    public func recordException(type: String?, message: String?, stacktrace: String? = nil) {
        var attributes: [Attribute] = []
        if let type { attributes.append(Attribute("exception.type", .string(type))) }
        if let message { attributes.append(Attribute("exception.message", .string(message))) }
        if let stacktrace { attributes.append(Attribute("exception.stacktrace", .string(stacktrace))) }
        addEvent("exception", attributes: attributes)
    }

    /// Sets the status (OK is final; the description is kept for ERROR only).
    public func setStatus(_ status: SpanStatus) {
        recorder?.setStatus(status)
    }

    /// Renames the span.
    public func updateName(_ name: String) {
        recorder?.updateName(name)
    }

    /// Ends the span now or at `time` (ns since the epoch); later calls are ignored.
    public func end(at time: UInt64? = nil) {
        guard let recorder else { return }
        recorder.end(at: time ?? otel_shim_realtime_ns())
    }

    /// Makes this span current on the calling thread until the scope is restored.
    @discardableResult
    public func makeCurrent() -> ContextScope {
        ContextScope(token: ThreadState.current.attach(span: self))
    }
}
