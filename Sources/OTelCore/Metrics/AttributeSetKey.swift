import COTelCore
import COTelCoreShims

/// The canonical bytes of a metric attribute set, as `otel_shim_metric_key`
/// writes them for C attributes: attributes sorted by the UTF-8 bytes of
/// their keys (the last of equal keys wins), each as a length-prefixed key, a
/// type byte (`otel_attribute_type`) and the value. Equal sets give equal
/// bytes whichever API recorded them, so they aggregate together.
enum AttributeSetKey {
    /// The key of `attributes`, written through `body` (no allocation for small sets).
    static func withKey<Result>(_ attributes: [Attribute], _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if attributes.isEmpty { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        for attribute in canonicalOrder(attributes) { append(attribute, to: &bytes) }
        return bytes.withUnsafeBytes(body)
    }

    /// The attributes in key order, empty keys dropped, the last of equal keys kept.
    static func canonicalOrder(_ attributes: [Attribute]) -> [Attribute] {
        var kept: [Attribute] = []
        kept.reserveCapacity(attributes.count)
        for attribute in attributes where !attribute.key.isEmpty {
            if let index = kept.firstIndex(where: { $0.key.utf8.elementsEqual(attribute.key.utf8) }) {
                kept[index] = attribute
            } else {
                kept.append(attribute)
            }
        }
        kept.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return Array(kept.prefix(Int(OTEL_SHIM_METRIC_MAX_ATTRIBUTES)))
    }

    private static func append(_ attribute: Attribute, to bytes: inout [UInt8]) {
        appendString(attribute.key, to: &bytes)
        switch attribute.value {
        case .string(let text):
            bytes.append(UInt8(OTEL_ATTRIBUTE_STRING.rawValue))
            appendString(text, to: &bytes)
        case .bool(let value):
            bytes.append(UInt8(OTEL_ATTRIBUTE_BOOL.rawValue))
            bytes.append(value ? 1 : 0)
        case .int(let value):
            bytes.append(UInt8(OTEL_ATTRIBUTE_INT.rawValue))
            appendWord(UInt64(bitPattern: value), to: &bytes)
        case .double(let value):
            bytes.append(UInt8(OTEL_ATTRIBUTE_DOUBLE.rawValue))
            appendWord(value.bitPattern, to: &bytes)
        case .stringArray(let items):
            bytes.append(UInt8(OTEL_ATTRIBUTE_STRING_ARRAY.rawValue))
            appendCount(items.count, to: &bytes)
            for item in items { appendString(item, to: &bytes) }
        case .boolArray(let items):
            bytes.append(UInt8(OTEL_ATTRIBUTE_BOOL_ARRAY.rawValue))
            appendCount(items.count, to: &bytes)
            for item in items { bytes.append(item ? 1 : 0) }
        case .intArray(let items):
            bytes.append(UInt8(OTEL_ATTRIBUTE_INT_ARRAY.rawValue))
            appendCount(items.count, to: &bytes)
            for item in items { appendWord(UInt64(bitPattern: item), to: &bytes) }
        case .doubleArray(let items):
            bytes.append(UInt8(OTEL_ATTRIBUTE_DOUBLE_ARRAY.rawValue))
            appendCount(items.count, to: &bytes)
            for item in items { appendWord(item.bitPattern, to: &bytes) }
        }
    }

    private static func appendCount(_ count: Int, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: count)) { bytes.append(contentsOf: $0) }
    }

    private static func appendWord(_ word: UInt64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: word) { bytes.append(contentsOf: $0) }
    }

    private static func appendString(_ text: String, to bytes: inout [UInt8]) {
        appendCount(text.utf8.count, to: &bytes)
        bytes.append(contentsOf: text.utf8)
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
