import COTelCoreShims

/// Makes trace and span ids (trace SDK, "Id Generators").
public protocol IdGenerator: AnyObject, Sendable {
    /// A new valid trace id.
    func makeTraceId() -> TraceId
    /// A new valid span id.
    func makeSpanId() -> SpanId
    /// True when the 56 low bits of every trace id are uniformly random, so root
    /// spans carry the W3C Level 2 random flag (trace SDK, "IdGenerator randomness").
    var generatesRandomTraceIds: Bool { get }
}

/// The default generator: wyrand in thread-local state, seeded from
/// getrandom(2) per thread and reseeded in a forked child. Lock-free and
/// allocation-free (about 2 ns per id).
public final class RandomIdGenerator: IdGenerator {
    public init() {}

    public func makeTraceId() -> TraceId { Self.traceId() }

    public func makeSpanId() -> SpanId { Self.spanId() }

    @inline(__always)
    static func traceId() -> TraceId {
        while true {
            let id = TraceId(high: otel_shim_random_u64(), low: otel_shim_random_u64())
            if id.isValid { return id }
        }
    }

    @inline(__always)
    static func spanId() -> SpanId {
        while true {
            let value = otel_shim_random_u64()
            if value != 0 { return SpanId(value) }
        }
    }

    public var generatesRandomTraceIds: Bool { true }
}
