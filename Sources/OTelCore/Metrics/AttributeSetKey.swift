#if canImport(Glibc)
import Glibc
#endif
import COTelCore
import COTelCoreShims

/// The canonical bytes of a metric attribute set, as `otel_shim_metric_key`
/// writes them for C attributes: attributes sorted by the UTF-8 bytes of
/// their keys (the last of equal keys wins), each as a length-prefixed key, a
/// type byte (`otel_attribute_type`) and the value. Equal sets give equal
/// bytes whichever API recorded them, so they aggregate together.
enum AttributeSetKey {
    /// The key of `attributes`, written through `body`: built in temporary
    /// (stack) memory, no allocation for small sets.
    static func withKey<Result>(_ attributes: [Attribute], _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if attributes.isEmpty { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        // Constant sizes: the compiler puts both buffers on the stack without asking the runtime.
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: Int(OTEL_SHIM_METRIC_MAX_ATTRIBUTES)) { order in
            let kept = sortedIndices(attributes, into: order)
            var length = 0
            for index in order[..<kept] { length += encodedSize(attributes[index]) }
            func encode(into buffer: UnsafeMutableRawBufferPointer) -> Result {
                var writer = Writer(base: buffer.baseAddress!)
                for index in order[..<kept] { writer.write(attributes[index]) }
                return body(UnsafeRawBufferPointer(rebasing: buffer[..<length]))
            }
            if length <= 512 {
                return withUnsafeTemporaryAllocation(byteCount: 512, alignment: 8, encode)
            }
            let heap = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 8)
            defer { heap.deallocate() }
            return encode(into: heap)
        }
    }

    /// Fills `order` with the indices of the attributes to encode, sorted by
    /// the UTF-8 bytes of their keys: empty keys dropped, the last of equal
    /// keys kept, at most OTEL_SHIM_METRIC_MAX_ATTRIBUTES. Returns how many.
    private static func sortedIndices(_ attributes: [Attribute], into order: UnsafeMutableBufferPointer<Int>) -> Int {
        var kept = 0
        for index in attributes.indices where kept < Int(OTEL_SHIM_METRIC_MAX_ATTRIBUTES) {
            let key = attributes[index].key
            if key.isEmpty { continue }
            var at = kept
            var same = false
            while at > 0 {
                let comparison = compareBytes(attributes[order[at - 1]].key, key)
                if comparison == 0 {
                    same = true
                    break
                }
                if comparison < 0 { break }
                at -= 1
            }
            if same {
                order[at - 1] = index
                continue
            }
            var shift = kept
            while shift > at {
                order[shift] = order[shift - 1]
                shift -= 1
            }
            order[at] = index
            kept += 1
        }
        return kept
    }

    /// strcmp of the two strings' UTF-8 bytes: C sorts keys so, and String's
    /// own ordering would differ for keys that are not in normal form.
    private static func compareBytes(_ first: String, _ second: String) -> Int {
        let order = first.utf8.withContiguousStorageIfAvailable { a in
            second.utf8.withContiguousStorageIfAvailable { b in
                let common = min(a.count, b.count)
                let order = common == 0 ? 0 : Int(memcmp(a.baseAddress!, b.baseAddress!, common))
                return order != 0 ? order : a.count - b.count
            }
        }
        if let order = order ?? nil { return order }
        // Bridged or foreign storage: compare byte by byte.
        return first.utf8.elementsEqual(second.utf8) ? 0 : first.utf8.lexicographicallyPrecedes(second.utf8) ? -1 : 1
    }

    /// The bytes `attribute` takes in a key.
    private static func encodedSize(_ attribute: Attribute) -> Int {
        let value: Int = switch attribute.value {
        case .string(let text): 4 + text.utf8.count
        case .bool: 1
        case .int, .double: 8
        case .stringArray(let items): 4 + items.reduce(0) { $0 + 4 + $1.utf8.count }
        case .boolArray(let items): 4 + items.count
        case .intArray(let items): 4 + 8 * items.count
        case .doubleArray(let items): 4 + 8 * items.count
        }
        return 4 + attribute.key.utf8.count + 1 + value
    }

    /// Writes encoded attributes front to back into memory sized by `encodedSize`.
    private struct Writer {
        let base: UnsafeMutableRawPointer
        var offset = 0

        mutating func write(_ attribute: Attribute) {
            string(attribute.key)
            switch attribute.value {
            case .string(let text):
                byte(OTEL_ATTRIBUTE_STRING)
                string(text)
            case .bool(let value):
                byte(OTEL_ATTRIBUTE_BOOL)
                byte(value ? 1 : 0)
            case .int(let value):
                byte(OTEL_ATTRIBUTE_INT)
                word(UInt64(bitPattern: value))
            case .double(let value):
                byte(OTEL_ATTRIBUTE_DOUBLE)
                word(value.bitPattern)
            case .stringArray(let items):
                byte(OTEL_ATTRIBUTE_STRING_ARRAY)
                count(items.count)
                for item in items { string(item) }
            case .boolArray(let items):
                byte(OTEL_ATTRIBUTE_BOOL_ARRAY)
                count(items.count)
                for item in items { byte(item ? 1 : 0) }
            case .intArray(let items):
                byte(OTEL_ATTRIBUTE_INT_ARRAY)
                count(items.count)
                for item in items { word(UInt64(bitPattern: item)) }
            case .doubleArray(let items):
                byte(OTEL_ATTRIBUTE_DOUBLE_ARRAY)
                count(items.count)
                for item in items { word(item.bitPattern) }
            }
        }

        private mutating func byte(_ type: otel_attribute_type) { byte(UInt8(type.rawValue)) }

        private mutating func byte(_ value: UInt8) {
            base.storeBytes(of: value, toByteOffset: offset, as: UInt8.self)
            offset += 1
        }

        private mutating func count(_ value: Int) {
            base.storeBytes(of: UInt32(truncatingIfNeeded: value), toByteOffset: offset, as: UInt32.self)
            offset += 4
        }

        private mutating func word(_ value: UInt64) {
            base.storeBytes(of: value, toByteOffset: offset, as: UInt64.self)
            offset += 8
        }

        private mutating func string(_ text: String) {
            let copied: Int? = text.utf8.withContiguousStorageIfAvailable { bytes in
                base.storeBytes(of: UInt32(truncatingIfNeeded: bytes.count), toByteOffset: offset, as: UInt32.self)
                if let source = bytes.baseAddress { (base + offset + 4).copyMemory(from: source, byteCount: bytes.count) }
                return bytes.count
            }
            if let copied {
                offset += 4 + copied
                return
            }
            count(text.utf8.count)
            for unit in text.utf8 { byte(unit) }
        }
    }

    /// The attributes a key encodes, in its (key) order.
    static func attributes(_ key: UnsafeRawBufferPointer) -> [Attribute] {
        var reader = Reader(bytes: key)
        var attributes: [Attribute] = []
        while !reader.atEnd, let name = reader.string(), let type = reader.byte() {
            let value: AttributeValue?
            switch otel_attribute_type(rawValue: UInt32(type)) {
            case OTEL_ATTRIBUTE_STRING: value = reader.string().map(AttributeValue.string)
            case OTEL_ATTRIBUTE_BOOL: value = reader.byte().map { .bool($0 != 0) }
            case OTEL_ATTRIBUTE_INT: value = reader.word().map { .int(Int64(bitPattern: $0)) }
            case OTEL_ATTRIBUTE_DOUBLE: value = reader.word().map { .double(Double(bitPattern: $0)) }
            case OTEL_ATTRIBUTE_STRING_ARRAY: value = reader.array { $0.string() }.map(AttributeValue.stringArray)
            case OTEL_ATTRIBUTE_BOOL_ARRAY: value = reader.array { $0.byte().map { $0 != 0 } }.map(AttributeValue.boolArray)
            case OTEL_ATTRIBUTE_INT_ARRAY: value = reader.array { $0.word().map { Int64(bitPattern: $0) } }.map(AttributeValue.intArray)
            case OTEL_ATTRIBUTE_DOUBLE_ARRAY: value = reader.array { $0.word().map { Double(bitPattern: $0) } }.map(AttributeValue.doubleArray)
            default: value = nil
            }
            guard let value else { break }
            attributes.append(Attribute(name, value))
        }
        return attributes
    }

    /// Reads a key front to back; nil once a read would go past its end.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        var atEnd: Bool { offset >= bytes.count }

        mutating func byte() -> UInt8? {
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func count() -> Int? {
            guard bytes.count - offset >= 4 else { return nil }
            defer { offset += 4 }
            return Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }

        mutating func word() -> UInt64? {
            guard bytes.count - offset >= 8 else { return nil }
            defer { offset += 8 }
            return bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        }

        mutating func string() -> String? {
            guard let length = count(), bytes.count - offset >= length else { return nil }
            defer { offset += length }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length]), as: UTF8.self)
        }

        mutating func array<Item>(_ item: (inout Reader) -> Item?) -> [Item]? {
            guard let count = count() else { return nil }
            var items: [Item] = []
            for _ in 0..<count {
                guard let next = item(&self) else { return nil }
                items.append(next)
            }
            return items
        }
    }
}
