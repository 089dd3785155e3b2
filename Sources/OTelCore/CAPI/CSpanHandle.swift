import COTelCore
import COTelCoreShims

/// Conversions between the C `otel_span` handle and Swift spans.
///
/// `impl` tells what it holds by its two low bits (OTEL_SHIM_SPAN_IMPL_*): a
/// retained `RecordingSpan`; a non-recording span's retained trace-state
/// storage; or a span recorded in C (span_record.c), which holds the SDK's
/// `RecordingSpan` once promoted. NULL: a non-recording span without trace
/// state, which costs no allocation and no reference count.
enum CSpanHandle {
    private static var tags: UInt { UInt(OTEL_SHIM_SPAN_IMPL_TAGS) }
    private static var traceStateTag: UInt { UInt(OTEL_SHIM_SPAN_IMPL_TRACE_STATE) }
    private static var recordTag: UInt { UInt(OTEL_SHIM_SPAN_IMPL_RECORD) }

    /// Fills `handle` from `span`, taking a reference the handle owns.
    static func fill(_ handle: UnsafeMutablePointer<otel_span>, from span: Span) {
        guard let recorder = span.recorder else { return fill(handle, nonRecording: span.context) }
        fill(handle, context: span.context, impl: Unmanaged.passRetained(recorder).toOpaque())
    }

    /// Fills `handle` with a span that records nothing, taking a reference
    /// to the trace state when there is one.
    @inline(__always)
    static func fill(_ handle: UnsafeMutablePointer<otel_span>, nonRecording context: SpanContext) {
        var impl: UnsafeMutableRawPointer?
        if let storage = context.traceState.storage {
            impl = UnsafeMutableRawPointer(bitPattern: UInt(bitPattern: Unmanaged.passRetained(storage).toOpaque()) | traceStateTag)
        }
        fill(handle, context: context, impl: impl)
    }

    /// Writes the handle's fields; `impl` is the reference it now owns.
    @inline(__always)
    private static func fill(_ handle: UnsafeMutablePointer<otel_span>, context: SpanContext, impl: UnsafeMutableRawPointer?) {
        handle.pointee = otel_span(
            impl: impl, trace_id_high: context.traceId.high, trace_id_low: context.traceId.low,
            span_id: context.spanId.value, trace_flags: context.traceFlags.rawValue,
            is_remote: context.isRemote ? 1 : 0, reserved: (0, 0, 0, 0, 0, 0))
    }

    /// The recorder behind `impl`: the handle's own, or its record's once promoted.
    @inline(__always)
    private static func recorderPointer(_ impl: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
        guard let impl else { return nil }
        let bits = UInt(bitPattern: impl)
        switch bits & tags {
        case 0: return impl
        case recordTag: return record(bits).pointee.promoted
        default: return nil
        }
    }

    @inline(__always)
    private static func record(_ bits: UInt) -> UnsafeMutablePointer<otel_shim_span_record> {
        UnsafeMutablePointer(bitPattern: bits & ~tags)!
    }

    /// The recorder behind a handle, or nil when it does not record.
    @inline(__always)
    static func recorder(_ handle: UnsafePointer<otel_span>?) -> RecordingSpan? {
        recorderPointer(handle?.pointee.impl).map { Unmanaged<RecordingSpan>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Runs `body` with the recorder behind a handle, borrowed from the
    /// handle's own reference (no reference counting: the C API's hot path);
    /// nothing when it does not record. A span still recorded in C is not
    /// seen here (span_record.c answers for it first).
    @inline(__always)
    static func withRecorder(_ handle: UnsafePointer<otel_span>?, _ body: (RecordingSpan) -> Void) {
        guard let raw = recorderPointer(handle?.pointee.impl) else { return }
        Unmanaged<RecordingSpan>.fromOpaque(raw)._withUnsafeGuaranteedRef(body)
    }

    /// Like `withRecorder`, for what only the SDK records (events, links): a
    /// span recorded in C is promoted to the SDK's first.
    static func withRecorder(promoting handle: UnsafePointer<otel_span>?, _ body: (RecordingSpan) -> Void) {
        guard let impl = handle?.pointee.impl else { return }
        let bits = UInt(bitPattern: impl)
        if bits & tags == recordTag { otel_shim_span_record_promote(record(bits)) }
        withRecorder(handle, body)
    }

    /// The Swift span a handle stands for (no reference is taken from the handle).
    /// A span still recorded in C is its context, without a recorder.
    static func span(_ handle: UnsafePointer<otel_span>) -> Span {
        if let recorder = recorder(handle) {
            return Span(context: recorder.context, recorder: recorder)
        }
        let value = handle.pointee
        var traceState = TraceState()
        if let raw = value.impl, UInt(bitPattern: raw) & tags == traceStateTag {
            let pointer = UnsafeRawPointer(bitPattern: UInt(bitPattern: raw) & ~tags)!
            traceState = TraceState(storage: Unmanaged<TraceState.Storage>.fromOpaque(pointer).takeUnretainedValue())
        }
        return Span(nonRecording: SpanContext(
            traceId: TraceId(high: value.trace_id_high, low: value.trace_id_low), spanId: SpanId(value.span_id),
            traceFlags: TraceFlags(rawValue: value.trace_flags), traceState: traceState, isRemote: value.is_remote != 0))
    }

    /// Drops what the handle owns and clears `impl`.
    static func release(_ handle: UnsafeMutablePointer<otel_span>) {
        guard let raw = handle.pointee.impl else { return }
        handle.pointee.impl = nil
        let bits = UInt(bitPattern: raw)
        switch bits & tags {
        case 0:
            Unmanaged<RecordingSpan>.fromOpaque(raw).release()
        case recordTag:
            let record = record(bits)
            if let promoted = record.pointee.promoted { Unmanaged<RecordingSpan>.fromOpaque(promoted).release() }
            otel_shim_span_record_free(record)
        default:
            Unmanaged<TraceState.Storage>.fromOpaque(UnsafeRawPointer(bitPattern: bits & ~tags)!).release()
        }
    }
}

/// The object behind an `otel_context *`.
final class CContextBox: Sendable {
    let context: Context
    init(_ context: Context) { self.context = context }

    /// The shared root context, never released.
    static let root = CContextBox(.root)

    /// A retained pointer to a new box.
    static func retained(_ context: Context) -> OpaquePointer {
        OpaquePointer(Unmanaged.passRetained(CContextBox(context)).toOpaque())
    }

    /// The context behind a pointer; nil pointer means the current context.
    static func context(_ pointer: OpaquePointer?) -> Context {
        guard let pointer else { return Context.current }
        return Unmanaged<CContextBox>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue().context
    }
}

/// An `otel_carrier` seen as a text-map getter and setter.
struct CCarrier: TextMapGetter, TextMapSetter {
    let carrier: otel_carrier

    func get(_ key: String) -> String? {
        guard let get = carrier.get else { return nil }
        return key.withCString { get(carrier.user, $0) }.map { String(cString: $0) }
    }

    mutating func set(_ key: String, _ value: String) {
        guard let set = carrier.set else { return }
        key.withCString { keyPointer in value.withCString { set(carrier.user, keyPointer, $0) } }
    }
}

extension AttributeValue {
    /// The value of a C attribute, or nil for an unknown type or NULL data.
    init?(_ attribute: otel_attribute) {
        let value = attribute.value
        func array<T>(_ type: T.Type) -> UnsafeBufferPointer<T>? {
            guard let values = value.array.values else { return value.array.count == 0 ? UnsafeBufferPointer(start: nil, count: 0) : nil }
            return UnsafeBufferPointer(start: values.assumingMemoryBound(to: T.self), count: value.array.count)
        }
        switch attribute.type {
        case OTEL_ATTRIBUTE_STRING:
            guard let text = value.string_value else { return nil }
            self = .string(String(cString: text))
        case OTEL_ATTRIBUTE_BOOL: self = .bool(value.bool_value)
        case OTEL_ATTRIBUTE_INT: self = .int(value.int_value)
        case OTEL_ATTRIBUTE_DOUBLE: self = .double(value.double_value)
        case OTEL_ATTRIBUTE_STRING_ARRAY:
            guard let items = array(UnsafePointer<CChar>?.self) else { return nil }
            self = .stringArray(items.map { $0.map { String(cString: $0) } ?? "" })
        case OTEL_ATTRIBUTE_BOOL_ARRAY:
            guard let items = array(Bool.self) else { return nil }
            self = .boolArray(Array(items))
        case OTEL_ATTRIBUTE_INT_ARRAY:
            guard let items = array(Int64.self) else { return nil }
            self = .intArray(Array(items))
        case OTEL_ATTRIBUTE_DOUBLE_ARRAY:
            guard let items = array(Double.self) else { return nil }
            self = .doubleArray(Array(items))
        default:
            return nil
        }
    }
}

/// The Swift attributes of a C array (entries with a NULL key or bad value are skipped).
func swiftAttributes(_ attributes: UnsafePointer<otel_attribute>?, _ count: Int) -> [Attribute] {
    guard let attributes, count > 0 else { return [] }
    return UnsafeBufferPointer(start: attributes, count: count).compactMap { attribute in
        guard let key = attribute.key, let value = AttributeValue(attribute) else { return nil }
        return Attribute(ThreadState.attributeKey(key), value)
    }
}
