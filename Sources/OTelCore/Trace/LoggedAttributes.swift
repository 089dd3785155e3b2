import COTelCore
import COTelCoreShims

/// The attributes plugins set on an ended span, still as the bytes of its
/// attribute log (attribute_log.c): they become `Attributes` only when
/// something asks for them, and the OTLP encoder writes a log that reads as
/// written straight from its bytes. Shared by every snapshot of the span; immutable but for the
/// conversion, which is done once.
final class LoggedAttributes: @unchecked Sendable {
    private var log: otel_shim_attribute_log
    /// What the log's attributes are set on when converted: the span's (empty) attributes, with its limits.
    private let initial: Attributes
    private let lock = SpinLock()
    /// Read and written only under `lock`.
    private var converted: Attributes?

    /// Takes the bytes of `log`, leaving it empty.
    init(moving log: inout otel_shim_attribute_log, into initial: Attributes) {
        self.log = log
        log = otel_shim_attribute_log()
        self.initial = initial
    }

    deinit { otel_shim_attribute_log_clear(&log) }

    /// The attributes, converted at the first call.
    var attributes: Attributes {
        lock.lock()
        defer { lock.unlock() }
        if let converted { return converted }
        var attributes = initial
        Self.convert(log, into: &attributes)
        converted = attributes
        return attributes
    }

    /// Writes the attributes as OTLP KeyValue messages in `field` (1 to 15)
    /// straight from the log's bytes (`otel_shim_attribute_log_encode`): what
    /// converting them and encoding the result would write. False, writing
    /// nothing, when a limit could change them (a value length limit, more
    /// attributes than the count limit, attributes set before the log's) or
    /// the log does not read as written.
    func encode(into writer: inout ProtobufWriter, field: Int) -> Bool {
        guard initial.isEmpty && initial.valueLengthLimit == nil && log.count <= initial.countLimit else { return false }
        return withUnsafePointer(to: log) { log in
            writer.writeInPlace(atMost: log.pointee.length) { out in
                var written = 0
                return otel_shim_attribute_log_encode(log, UInt32(field), out, &written) ? written : nil
            }
        }
    }

    /// Sets the attributes of `log` on `attributes`, in the order they were
    /// set, as one batch (the usual first batch is taken whole).
    static func convert(_ log: otel_shim_attribute_log, into attributes: inout Attributes) {
        let count = log.count
        guard count > 0 else { return }
        withUnsafeTemporaryAllocation(of: Attribute.self, capacity: count) { buffer in
            var converted = 0
            var offset = 0
            var entry = otel_shim_logged_attribute()
            var log = log
            while converted < count && otel_shim_attribute_log_next(&log, &offset, &entry) {
                let value: AttributeValue
                switch otel_attribute_type(rawValue: UInt32(entry.type)) {
                case OTEL_ATTRIBUTE_BOOL: value = .bool(entry.scalar.int_value != 0)
                case OTEL_ATTRIBUTE_INT: value = .int(entry.scalar.int_value)
                case OTEL_ATTRIBUTE_DOUBLE: value = .double(entry.scalar.double_value)
                default:
                    value = .string(String(decoding: UnsafeRawBufferPointer(start: entry.string_value, count: entry.string_length),
                                           as: UTF8.self))
                }
                buffer.initializeElement(at: converted, to: Attribute(ThreadState.attributeKey(entry.key, cachedAt: entry.key_address), value))
                converted += 1
            }
            attributes.set(moving: UnsafeMutableBufferPointer(rebasing: buffer[..<converted]))
        }
    }
}
