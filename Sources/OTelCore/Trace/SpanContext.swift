/// The part of a span that crosses process boundaries (trace API, "SpanContext").
public struct SpanContext: Hashable, Sendable {
    public var traceId: TraceId
    public var spanId: SpanId
    public var traceFlags: TraceFlags
    public var traceState: TraceState
    /// True when the context was extracted from a carrier.
    public var isRemote: Bool

    /// A span context with the given fields.
    public init(traceId: TraceId, spanId: SpanId, traceFlags: TraceFlags = [], traceState: TraceState = TraceState(), isRemote: Bool = false) {
        self.traceId = traceId
        self.spanId = spanId
        self.traceFlags = traceFlags
        self.traceState = traceState
        self.isRemote = isRemote
    }

    /// The invalid context of the root: no trace, no span.
    public static let invalid = SpanContext(traceId: .invalid, spanId: .invalid)

    /// Both ids are non-zero (trace API, "IsValid").
    public var isValid: Bool { traceId.isValid && spanId.isValid }

    /// The sampled flag is set.
    public var isSampled: Bool { traceFlags.contains(.sampled) }
}
