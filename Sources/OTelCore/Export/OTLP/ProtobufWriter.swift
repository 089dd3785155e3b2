#if canImport(Glibc)
import Glibc
#endif

/// Writes protocol buffers wire format (protobuf encoding guide: varints,
/// fixed-width fields, length-delimited fields) into one growing buffer.
/// Nested messages are written in place: one byte is kept for their length
/// and the message is moved up when the length needs more.
struct ProtobufWriter: ~Copyable {
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0

    private enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    /// A writer expecting about `expectedBytes` (it grows as needed).
    init(expectedBytes: Int = 256) {
        capacity = max(expectedBytes, 64)
        storage = .allocate(capacity: capacity)
    }

    deinit {
        storage.deallocate()
    }

    /// The bytes written so far.
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: storage, count: count)) }

    /// Room for `extra` more bytes: one comparison, inlined; growing is not.
    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(extra) }
    }

    @inline(never)
    private mutating func grow(_ extra: Int) {
        let grown = max(capacity * 2, count + extra)
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        larger.update(from: storage, count: count)
        storage.deallocate()
        storage = larger
        capacity = grown
    }

    private mutating func append(_ byte: UInt8) {
        reserve(1)
        storage[count] = byte
        count += 1
    }

    private mutating func append(_ source: UnsafeRawBufferPointer) {
        guard let base = source.baseAddress, source.count > 0 else { return }
        reserve(source.count)
        UnsafeMutableRawPointer(storage + count).copyMemory(from: base, byteCount: source.count)
        count += source.count
    }

    private mutating func tag(_ field: Int, _ type: WireType) {
        varint(UInt64(field) << 3 | type.rawValue)
    }

    mutating func varint(_ value: UInt64) {
        reserve(10)
        count += Self.writeVarint(value, at: storage + count)
    }

    /// Writes `value` as a base-128 varint at `destination`; the bytes written.
    private static func writeVarint(_ value: UInt64, at destination: UnsafeMutablePointer<UInt8>) -> Int {
        var value = value
        var written = 0
        while value >= 0x80 {
            destination[written] = UInt8(truncatingIfNeeded: value) | 0x80
            written += 1
            value >>= 7
        }
        destination[written] = UInt8(value)
        return written + 1
    }

    private mutating func littleEndian64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { append($0) }
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
        littleEndian64(value)
    }

    mutating func doubleField(_ field: Int, _ value: Double, always: Bool = false) {
        guard value != 0 || always else { return }
        tag(field, .fixed64)
        littleEndian64(value.bitPattern)
    }

    mutating func fixed32Field(_ field: Int, _ value: UInt32) {
        guard value != 0 else { return }
        tag(field, .fixed32)
        withUnsafeBytes(of: value.littleEndian) { append($0) }
    }

    /// A string field; empty is omitted unless `always` (a oneof member must be present).
    mutating func stringField(_ field: Int, _ value: String, always: Bool = false) {
        let count = value.utf8.count
        // The string's own bytes (a native string keeps them NUL-terminated; any
        // other is copied), without the reference count that
        // withContiguousStorageIfAvailable takes on it: 278 → 250 ns per span.
        value.withCString { stringField(field, utf8: UnsafeRawBufferPointer(start: $0, count: count), always: always) }
    }

    /// The same from the string's UTF-8 bytes.
    mutating func stringField(_ field: Int, utf8 bytes: UnsafeRawBufferPointer, always: Bool = false) {
        guard !bytes.isEmpty || always else { return }
        tag(field, .lengthDelimited)
        varint(UInt64(bytes.count))
        append(bytes)
    }

    /// A bytes field holding `word` big-endian (a span id); omitted when zero.
    mutating func bigEndianField(_ field: Int, _ word: UInt64) {
        guard word != 0 else { return }
        tag(field, .lengthDelimited)
        varint(8)
        withUnsafeBytes(of: word.bigEndian) { append($0) }
    }

    /// A bytes field holding `high` then `low` big-endian (a trace id); omitted
    /// when both are zero. (Two functions, not one variadic: its array was made
    /// for every call.)
    mutating func bigEndianField(_ field: Int, _ high: UInt64, _ low: UInt64) {
        guard high != 0 || low != 0 else { return }
        tag(field, .lengthDelimited)
        varint(16)
        withUnsafeBytes(of: high.bigEndian) { append($0) }
        withUnsafeBytes(of: low.bigEndian) { append($0) }
    }

    /// A packed repeated fixed64 field (omitted when empty).
    mutating func packedFixed64Field(_ field: Int, _ values: [UInt64]) {
        guard !values.isEmpty else { return }
        tag(field, .lengthDelimited)
        varint(UInt64(values.count * 8))
        for value in values { littleEndian64(value) }
    }

    /// A packed repeated double field (omitted when empty).
    mutating func packedDoubleField(_ field: Int, _ values: [Double]) {
        packedFixed64Field(field, values.map(\.bitPattern))
    }

    /// A scalar or string value of a KeyValue (common.proto AnyValue's members).
    enum KeyValueScalar {
        case string(UnsafeRawBufferPointer)
        case bool(Bool)
        case int(Int64)
        case double(Double)
    }

    /// Copies `count` bytes: up to 16 in two overlapping words without a call
    /// (keys and short values mostly are), more through memmove.
    @inline(__always)
    private static func copy(_ count: Int, from source: UnsafeRawPointer, to destination: UnsafeMutablePointer<UInt8>) {
        let target = UnsafeMutableRawPointer(destination)
        if count > 16 {
            target.copyMemory(from: source, byteCount: count)
        } else if count >= 8 {
            let first = source.loadUnaligned(as: UInt64.self), last = source.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
            target.storeBytes(of: first, as: UInt64.self)
            target.storeBytes(of: last, toByteOffset: count &- 8, as: UInt64.self)
        } else {
            for index in 0..<count { destination[index] = source.load(fromByteOffset: index, as: UInt8.self) }
        }
    }

    /// The bytes `value` takes as a varint.
    private static func varintSize(_ value: UInt64) -> Int {
        value < 0x80 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
    }

    /// A KeyValue message field (common.proto: `key`, then an AnyValue holding
    /// `value`), written as messageField, stringField and the typed fields would
    /// write it (an empty key omitted, the value always present) but with every
    /// length computed first: one reservation, no closure, no message moved up
    /// (wrapping arithmetic: the sizes are of bytes in memory, far from Int's limits).
    mutating func keyValueField(_ field: Int, key: UnsafeRawBufferPointer, value: KeyValueScalar) {
        let valueSize: Int // AnyValue's bytes: its one field's tag and payload
        switch value {
        case .string(let bytes): valueSize = 1 &+ Self.varintSize(UInt64(bytes.count)) &+ bytes.count
        case .bool: valueSize = 2
        case .int(let number): valueSize = 1 &+ Self.varintSize(UInt64(bitPattern: number))
        case .double: valueSize = 9
        }
        let keySize = key.isEmpty ? 0 : 1 &+ Self.varintSize(UInt64(key.count)) &+ key.count
        let messageSize = keySize &+ 1 &+ Self.varintSize(UInt64(valueSize)) &+ valueSize
        let tag = UInt64(field) << 3 | WireType.lengthDelimited.rawValue
        reserve(Self.varintSize(tag) &+ Self.varintSize(UInt64(messageSize)) &+ messageSize)
        var at = storage + count
        at += Self.writeVarint(tag, at: at)
        at += Self.writeVarint(UInt64(messageSize), at: at)
        if let base = key.baseAddress, !key.isEmpty {
            at.pointee = 0x0A // KeyValue.key (1, length-delimited)
            at += 1 &+ Self.writeVarint(UInt64(key.count), at: at + 1)
            Self.copy(key.count, from: base, to: at)
            at += key.count
        }
        at.pointee = 0x12 // KeyValue.value (2, length-delimited)
        at += 1 &+ Self.writeVarint(UInt64(valueSize), at: at + 1)
        switch value {
        case .string(let bytes):
            at.pointee = 0x0A // AnyValue.string_value (1, length-delimited)
            at += 1 &+ Self.writeVarint(UInt64(bytes.count), at: at + 1)
            if let base = bytes.baseAddress { Self.copy(bytes.count, from: base, to: at) }
            at += bytes.count
        case .bool(let flag):
            at[0] = 0x10 // AnyValue.bool_value (2, varint)
            at[1] = flag ? 1 : 0
            at += 2
        case .int(let number):
            at.pointee = 0x18 // AnyValue.int_value (3, varint)
            at += 1 &+ Self.writeVarint(UInt64(bitPattern: number), at: at + 1)
        case .double(let number):
            at.pointee = 0x21 // AnyValue.double_value (4, fixed64)
            UnsafeMutableRawPointer(at + 1).storeBytes(of: number.bitPattern.littleEndian, as: UInt64.self)
            at += 9
        }
        count = at - storage
    }

    /// A nested message field, always written (an empty message still marks presence).
    mutating func messageField(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        tag(field, .lengthDelimited)
        let lengthAt = count
        append(0)
        body(&self)
        let length = count - lengthAt - 1
        if length < 0x80 {
            storage[lengthAt] = UInt8(length)
            return
        }
        var extra = 0
        var probe = UInt64(length) >> 7
        while probe > 0 {
            extra += 1
            probe >>= 7
        }
        reserve(extra)
        memmove(storage + lengthAt + 1 + extra, storage + lengthAt + 1, length) // overlapping: the message moves up
        _ = Self.writeVarint(UInt64(length), at: storage + lengthAt)
        count += extra
    }
}
