/// A 16-byte W3C trace id, stored as two big-endian halves.
public struct TraceId: Hashable, Sendable {
    /// The first (most significant) eight bytes.
    public var high: UInt64
    /// The last eight bytes; their low 56 bits carry the randomness samplers use.
    public var low: UInt64

    /// The id made of `high` and `low`.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The all-zero, invalid trace id.
    public static let invalid = TraceId(high: 0, low: 0)

    /// False for the all-zero id, which W3C trace context forbids.
    public var isValid: Bool { high | low != 0 }

    /// 32 lowercase hex digits.
    public var hexString: String { Hex.string(high) + Hex.string(low) }

    /// Parses 32 lowercase hex digits.
    public init?(hex: String) {
        let bytes = Array(hex.utf8)
        guard bytes.count == 32, let high = Hex.parseLowercase(bytes[0..<16]),
              let low = Hex.parseLowercase(bytes[16..<32]) else { return nil }
        self.init(high: high, low: low)
    }
}

/// An 8-byte W3C span id (parent-id in traceparent).
public struct SpanId: Hashable, Sendable {
    /// The id as a big-endian integer.
    public var value: UInt64

    /// The id whose bytes are `value`, big-endian.
    public init(_ value: UInt64) { self.value = value }

    /// The all-zero, invalid span id.
    public static let invalid = SpanId(0)

    /// False for the all-zero id, which W3C trace context forbids.
    public var isValid: Bool { value != 0 }

    /// 16 lowercase hex digits.
    public var hexString: String { Hex.string(value) }

    /// Parses 16 lowercase hex digits.
    public init?(hex: String) {
        let bytes = Array(hex.utf8)
        guard bytes.count == 16, let value = Hex.parseLowercase(bytes[...]) else { return nil }
        self.init(value)
    }
}

/// The W3C trace-flags byte.
public struct TraceFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The caller may have recorded trace data (W3C trace context, "sampled").
    public static let sampled = TraceFlags(rawValue: 0x01)
    /// At least the 7 rightmost bytes of the trace id are random
    /// (W3C Trace Context Level 2, "random-trace-id flag").
    public static let random = TraceFlags(rawValue: 0x02)
}
