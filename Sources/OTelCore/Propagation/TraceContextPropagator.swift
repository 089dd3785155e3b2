/// W3C Trace Context (traceparent/tracestate), parsed strictly.
///
/// Rules (W3C Trace Context §3.2.2 and §4.3 "Versioning of traceparent"):
/// lowercase hex only; version ff is invalid; version 00 is exactly 55
/// characters; a higher version is parsed for its first four fields when it
/// is at least 55 characters and the 56th is `-`; all-zero trace or parent
/// ids are invalid; tracestate is read only with a valid traceparent, and a
/// malformed tracestate is dropped as a whole.
public struct TraceContextPropagator: TextMapPropagator {
    public init() {}

    public var fields: [String] { ["traceparent", "tracestate"] }

    /// The flags this implementation understands and forwards (sampled, random).
    static let knownFlags: UInt8 = 0x03

    public func inject<Setter: TextMapSetter>(_ context: Context, into carrier: inout Setter) {
        guard let spanContext = context.span?.context, spanContext.isValid else { return }
        carrier.set("traceparent", Self.traceparent(spanContext))
        if !spanContext.traceState.isEmpty {
            carrier.set("tracestate", spanContext.traceState.headerValue)
        }
    }

    public func extract<Getter: TextMapGetter>(from carrier: Getter, into context: Context) -> Context {
        guard let header = carrier.get("traceparent"), var spanContext = Self.parseTraceparent(header) else {
            return context
        }
        if let stateHeader = carrier.get("tracestate"), let state = TraceState(header: stateHeader) {
            spanContext.traceState = state
        }
        return context.with(span: Span(nonRecording: spanContext))
    }

    /// `00-<trace-id>-<parent-id>-<flags>` for `context`.
    public static func traceparent(_ context: SpanContext) -> String {
        var bytes: [UInt8] = Array("00-".utf8)
        bytes.reserveCapacity(55)
        Hex.append(context.traceId.high, width: 16, to: &bytes)
        Hex.append(context.traceId.low, width: 16, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Hex.append(context.spanId.value, width: 16, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Hex.append(UInt64(context.traceFlags.rawValue & knownFlags), width: 2, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The remote span context in a traceparent value, or nil when invalid.
    public static func parseTraceparent(_ header: String) -> SpanContext? {
        let bytes = Array(header.trimmingOWS().utf8)
        guard bytes.count >= 55, let version = Hex.parseLowercase(bytes[0..<2]), bytes[0..<2].count == 2 else { return nil }
        if version == 0xFF { return nil }
        if version == 0 {
            guard bytes.count == 55 else { return nil }
        } else if bytes.count > 55 && bytes[55] != UInt8(ascii: "-") {
            return nil
        }
        let dash = UInt8(ascii: "-")
        guard bytes[2] == dash, bytes[35] == dash, bytes[52] == dash,
              let high = Hex.parseLowercase(bytes[3..<19]), let low = Hex.parseLowercase(bytes[19..<35]),
              let parent = Hex.parseLowercase(bytes[36..<52]), let flags = Hex.parseLowercase(bytes[53..<55]) else {
            return nil
        }
        let traceId = TraceId(high: high, low: low)
        let spanId = SpanId(parent)
        guard traceId.isValid, spanId.isValid else { return nil }
        return SpanContext(traceId: traceId, spanId: spanId,
                           traceFlags: TraceFlags(rawValue: UInt8(flags) & knownFlags), isRemote: true)
    }
}
