/// Writes protocol buffers wire format (protobuf encoding guide: varints,
/// fixed-width fields, length-delimited fields). Nested messages are written
/// into a scratch writer and appended with their length.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    private mutating func tag(_ field: Int, _ type: WireType) {
        varint(UInt64(field) << 3 | type.rawValue)
    }

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// A uint32/uint64/enum/bool/int64 field; zero (the default) is omitted.
    mutating func varintField(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, .varint)
        varint(value)
    }

    /// An int64 field (two's complement varint); zero is omitted unless `always`.
    mutating func int64Field(_ field: Int, _ value: Int64, always: Bool = false) {
        guard value != 0 || always else { return }
        tag(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    mutating func boolField(_ field: Int, _ value: Bool, always: Bool = false) {
        guard value || always else { return }
        tag(field, .varint)
        varint(value ? 1 : 0)
    }

    /// A fixed64 or sfixed64 field; zero is omitted unless `always` (a oneof member).
    mutating func fixed64Field(_ field: Int, _ value: UInt64, always: Bool = false) {
        guard value != 0 || always else { return }
        tag(field, .fixed64)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func doubleField(_ field: Int, _ value: Double, always: Bool = false) {
        guard value != 0 || always else { return }
        tag(field, .fixed64)
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    }

    mutating func fixed32Field(_ field: Int, _ value: UInt32) {
        guard value != 0 else { return }
        tag(field, .fixed32)
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    /// A string field; empty is omitted unless `always` (a oneof member must be present).
    mutating func stringField(_ field: Int, _ value: String, always: Bool = false) {
        guard !value.isEmpty || always else { return }
        tag(field, .lengthDelimited)
        varint(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    mutating func bytesField(_ field: Int, _ value: [UInt8]) {
        guard !value.isEmpty else { return }
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A packed repeated fixed64 field (omitted when empty).
    mutating func packedFixed64Field(_ field: Int, _ values: [UInt64]) {
        guard !values.isEmpty else { return }
        tag(field, .lengthDelimited)
        varint(UInt64(values.count * 8))
        for value in values {
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
    }

    /// A packed repeated double field (omitted when empty).
    mutating func packedDoubleField(_ field: Int, _ values: [Double]) {
        packedFixed64Field(field, values.map(\.bitPattern))
    }

    /// A nested message field, always written (an empty message still marks presence).
    mutating func messageField(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        var nested = ProtobufWriter()
        body(&nested)
        tag(field, .lengthDelimited)
        varint(UInt64(nested.bytes.count))
        bytes.append(contentsOf: nested.bytes)
    }
}
