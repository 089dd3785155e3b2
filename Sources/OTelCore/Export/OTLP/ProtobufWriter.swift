#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The storage of the last large writer, kept for the next (its capacity in
/// its first eight bytes; 0: none). An exporter encodes a request of every
/// batch: freed each time, glibc gives such a block back to the kernel
/// (trimming the export thread's arena) and the next request faults its pages
/// in again, one by one (docs/performance.md: ~14 % of the export thread's time).
private let retainedStorage = Atomic<UInt>(0)

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

    /// Storage of this many bytes or more is kept for the next writer (and up to `retainedMaximum`).
    private static let retainedMinimum = 64 * 1024
    private static let retainedMaximum = 16 * 1024 * 1024

    /// A writer expecting about `expectedBytes` (it grows as needed).
    init(expectedBytes: Int = 256) {
        capacity = max(expectedBytes, 64)
        if capacity >= Self.retainedMinimum, let kept = UnsafeMutablePointer<UInt8>(bitPattern: retainedStorage.exchange(0, ordering: .acquiring)) {
            let keptCapacity = UnsafeRawPointer(kept).loadUnaligned(as: Int.self)
            if keptCapacity >= capacity {
                storage = kept
                capacity = keptCapacity
                return
            }
            kept.deallocate()
        }
        storage = .allocate(capacity: capacity)
    }

    deinit {
        guard capacity >= Self.retainedMinimum && capacity <= Self.retainedMaximum else {
            storage.deallocate()
            return
        }
        UnsafeMutableRawPointer(storage).storeBytes(of: capacity, as: Int.self)
        let previous = retainedStorage.exchange(UInt(bitPattern: storage), ordering: .acquiringAndReleasing)
        UnsafeMutablePointer<UInt8>(bitPattern: previous)?.deallocate()
    }

    /// The bytes written so far.
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: storage, count: count)) }

    /// Lends the bytes written so far, where they are.
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        body(UnsafeRawBufferPointer(start: storage, count: count))
    }

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

    /// Lets `body` write up to `bound` bytes where the next bytes go (a writer
    /// in C); it returns how many it wrote, or nil when they count for nothing.
    /// True when they count.
    mutating func writeInPlace(atMost bound: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int?) -> Bool {
        reserve(bound)
        guard let written = body(storage + count) else { return false }
        precondition(written <= bound, "a writer in place wrote past its bound")
        count += written
        return true
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
