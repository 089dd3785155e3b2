/// An attribute value (common/README.md, "Attribute"): a primitive or a
/// homogeneous array of one.
public enum AttributeValue: Hashable, Sendable {
    case string(String)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case stringArray([String])
    case boolArray([Bool])
    case intArray([Int64])
    case doubleArray([Double])

    /// The value with every string cut to `limit` characters
    /// (common/README.md, "Attribute Limits": strings and strings in arrays).
    func truncated(to limit: Int?) -> AttributeValue {
        guard let limit else { return self }
        switch self {
        case .string(let text) where text.unicodeScalars.count > limit:
            return .string(text.truncatedScalars(limit))
        case .stringArray(let items) where items.contains(where: { $0.unicodeScalars.count > limit }):
            return .stringArray(items.map { $0.unicodeScalars.count > limit ? $0.truncatedScalars(limit) : $0 })
        default:
            return self
        }
    }
}

extension AttributeValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension String {
    func truncatedScalars(_ limit: Int) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: unicodeScalars.prefix(limit))
        return String(view)
    }
}

/// One key and its value.
public struct Attribute: Hashable, Sendable {
    public let key: String
    public let value: AttributeValue

    public init(_ key: String, _ value: AttributeValue) {
        self.key = key
        self.value = value
    }
}

/// Attributes in insertion order, bounded by a count limit and a value length
/// limit; what does not fit is counted in `droppedCount` (common/README.md,
/// "Attribute Limits"). Setting an existing key replaces its value in place.
public struct Attributes: Sendable, Equatable {
    /// The attributes kept, in the order they were first set.
    public private(set) var entries: [Attribute] = []
    /// How many attributes the count limit discarded.
    public private(set) var droppedCount: Int = 0
    let countLimit: Int
    let valueLengthLimit: Int?

    /// An empty set with the given limits (nil: no length limit).
    public init(countLimit: Int = 128, valueLengthLimit: Int? = nil) {
        self.countLimit = countLimit
        self.valueLengthLimit = valueLengthLimit
    }

    /// Sets `key` to `value`; an empty key is ignored (it is not a valid attribute).
    public mutating func set(_ key: consuming String, _ value: consuming AttributeValue) {
        let length = key.utf8.count
        guard length > 0 else { return }
        if valueLengthLimit != nil { value = value.truncated(to: valueLengthLimit) }
        // A plain loop comparing lengths first (O(1)); most keys differ in length.
        var index = 0
        let count = entries.count
        while index < count {
            if entries[index].key.utf8.count == length && entries[index].key == key {
                entries[index] = Attribute(key, value)
                return
            }
            index += 1
        }
        if count < countLimit {
            if count == 0 { entries.reserveCapacity(min(countLimit, 8)) }
            entries.append(Attribute(key, value))
        } else {
            droppedCount += 1
        }
    }

    /// Sets the attributes of `buffer` in order, as `set` would one by one,
    /// moving them out of it (it is left uninitialized). The search for an
    /// existing key compares lengths from a table made once for the batch,
    /// instead of reading every kept key again for each new one.
    public mutating func set(moving buffer: UnsafeMutableBufferPointer<Attribute>) {
        if entries.isEmpty && takeWhole(buffer) { return }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: entries.count + buffer.count) { lengths in
            var known = 0
            for index in entries.indices {
                lengths[known] = entries[index].key.utf8.count
                known += 1
            }
            for position in buffer.indices {
                var attribute = buffer.moveElement(from: position)
                let length = attribute.key.utf8.count
                guard length > 0 else { continue }
                if valueLengthLimit != nil { attribute = Attribute(attribute.key, attribute.value.truncated(to: valueLengthLimit)) }
                var existing = -1
                for index in 0..<known where lengths[index] == length && entries[index].key == attribute.key {
                    existing = index
                    break
                }
                if existing >= 0 {
                    entries[existing] = attribute
                } else if known < countLimit {
                    if known == 0 { entries.reserveCapacity(min(countLimit, max(8, buffer.count))) }
                    entries.append(attribute)
                    lengths[known] = length
                    known += 1
                } else {
                    droppedCount += 1
                }
            }
        }
    }

    /// The usual first batch (a span's attributes at its start): when it fits
    /// the count limit, needs no cutting and has no empty or repeated key, its
    /// attributes become the entries in one move, with room for a few more.
    private mutating func takeWhole(_ buffer: UnsafeMutableBufferPointer<Attribute>) -> Bool {
        guard let base = buffer.baseAddress, buffer.count <= countLimit, valueLengthLimit == nil else { return false }
        let count = buffer.count
        let distinct = withUnsafeTemporaryAllocation(of: Int.self, capacity: count) { lengths in
            for index in 0..<count {
                let length = buffer[index].key.utf8.count
                if length == 0 { return false }
                for earlier in 0..<index where lengths[earlier] == length && buffer[earlier].key == buffer[index].key { return false }
                lengths[index] = length
            }
            return true
        }
        guard distinct else { return false }
        entries = Array(unsafeUninitializedCapacity: Swift.min(countLimit, count + 4)) { storage, initialized in
            storage.baseAddress!.moveInitialize(from: base, count: count)
            initialized = count
        }
        return true
    }

    /// The value of `key`, if set.
    public subscript(key: String) -> AttributeValue? {
        entries.first { $0.key == key }?.value
    }

    /// The number of attributes kept.
    public var count: Int { entries.count }
    /// True when no attribute is kept.
    public var isEmpty: Bool { entries.isEmpty }
}
