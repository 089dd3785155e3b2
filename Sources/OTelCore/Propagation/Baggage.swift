/// Name/value pairs propagated with a context (baggage/api.md), each with
/// optional W3C metadata. Immutable; empty baggage allocates nothing.
public struct Baggage: Sendable, Equatable {
    /// One entry; `metadata` is the raw property string after the first `;`.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let value: String
        public let metadata: String?
    }

    /// The entries in insertion order; names are unique.
    public private(set) var entries: [Entry] = []

    /// Empty baggage.
    public init() {}

    /// The value of `name`, if present.
    public func value(_ name: String) -> String? {
        entries.first { $0.name == name }?.value
    }

    /// This baggage with `name` set (replacing a previous value).
    public func setting(_ name: String, to value: String, metadata: String? = nil) -> Baggage {
        var copy = self
        copy.entries.removeAll { $0.name == name }
        copy.entries.append(Entry(name: name, value: value, metadata: metadata))
        return copy
    }

    /// This baggage without `name`.
    public func removing(_ name: String) -> Baggage {
        var copy = self
        copy.entries.removeAll { $0.name == name }
        return copy
    }

    /// True when there is no entry.
    public var isEmpty: Bool { entries.isEmpty }
}
