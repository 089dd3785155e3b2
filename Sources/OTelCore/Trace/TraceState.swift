/// The W3C `tracestate`: vendor key/value pairs carried with a trace, most
/// recently updated first. Immutable; an empty state allocates nothing.
///
/// Validation follows W3C Trace Context §3.3.1.3 (list members, keys, values)
/// and §3.3.1.5 (at most 32 members). A header that breaks any rule is
/// discarded as a whole, as OpenTelemetry Python does.
public struct TraceState: Hashable, Sendable {
    /// One list member.
    public struct Entry: Hashable, Sendable {
        public let key: String
        public let value: String
    }

    final class Storage: Hashable, Sendable {
        let entries: [Entry]
        init(_ entries: [Entry]) { self.entries = entries }
        static func == (lhs: Storage, rhs: Storage) -> Bool { lhs.entries == rhs.entries }
        func hash(into hasher: inout Hasher) { hasher.combine(entries) }
    }

    let storage: Storage?

    /// The members, most recent first.
    public var entries: [Entry] { storage?.entries ?? [] }

    /// True when there are no members.
    public var isEmpty: Bool { storage == nil }

    /// The maximum number of list members (W3C Trace Context §3.3.1.5).
    public static let maximumMembers = 32

    /// The empty trace state.
    public init() { storage = nil }

    /// A trace state from already validated entries (nil when invalid).
    public init?(entries: [Entry]) {
        guard entries.count <= Self.maximumMembers,
              entries.allSatisfy({ Self.isValidKey($0.key) && Self.isValidValue($0.value) }),
              Set(entries.map(\.key)).count == entries.count else { return nil }
        storage = entries.isEmpty ? nil : Storage(entries)
    }

    /// The value for `key`, if any.
    public func value(forKey key: String) -> String? {
        entries.first { $0.key == key }?.value
    }

    /// This state with `key` set to `value` and moved to the front, as a vendor
    /// updating its entry must do; unchanged when the key or value is invalid.
    public func setting(_ key: String, to value: String) -> TraceState {
        guard Self.isValidKey(key), Self.isValidValue(value) else { return self }
        var updated = entries.filter { $0.key != key }
        updated.insert(Entry(key: key, value: value), at: 0)
        if updated.count > Self.maximumMembers { updated.removeLast() }
        return TraceState(storage: Storage(updated))
    }

    /// This state without `key`.
    public func removing(_ key: String) -> TraceState {
        let remaining = entries.filter { $0.key != key }
        return TraceState(storage: remaining.isEmpty ? nil : Storage(remaining))
    }

    init(storage: Storage?) { self.storage = storage }

    /// The header value: members joined by commas.
    public var headerValue: String {
        entries.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// Parses a tracestate header value (several headers joined with commas).
    /// Nil when any member is invalid, a key repeats, or there are more than 32.
    public init?(header: String) {
        var parsed: [Entry] = []
        var seen = Set<String>()
        for member in header.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = String(member).trimmingOWS()
            if trimmed.isEmpty { continue } // empty list members are allowed
            guard let equals = trimmed.utf8.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            let key = String(trimmed[..<equals])
            let value = String(trimmed[trimmed.index(after: equals)...])
            guard Self.isValidKey(key), Self.isValidValue(value), seen.insert(key).inserted else { return nil }
            parsed.append(Entry(key: key, value: value))
            if parsed.count > Self.maximumMembers { return nil }
        }
        storage = parsed.isEmpty ? nil : Storage(parsed)
    }

    /// W3C Trace Context §3.3.1.3.1: `lcalpha 0*255(keychar)` or
    /// `(lcalpha / DIGIT) 0*240(keychar) "@" lcalpha 0*13(keychar)`,
    /// keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/".
    static func isValidKey(_ key: String) -> Bool {
        func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7A }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        func isKeyChar(_ b: UInt8) -> Bool {
            isLower(b) || isDigit(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: "*") || b == UInt8(ascii: "/")
        }
        let bytes = Array(key.utf8)
        guard let first = bytes.first else { return false }
        if let at = bytes.firstIndex(of: UInt8(ascii: "@")) {
            let tenant = bytes[..<at]
            let system = bytes[(at + 1)...]
            guard let tenantFirst = tenant.first, tenant.count <= 241, isLower(tenantFirst) || isDigit(tenantFirst),
                  tenant.allSatisfy(isKeyChar),
                  let systemFirst = system.first, system.count <= 14, isLower(systemFirst),
                  system.allSatisfy(isKeyChar) else { return false }
            return true
        }
        return bytes.count <= 256 && isLower(first) && bytes.allSatisfy(isKeyChar)
    }

    /// W3C Trace Context §3.3.1.3.2: `0*255(chr) nblk-chr`, chr = %x20 / nblk-chr,
    /// nblk-chr = %x21-2B / %x2D-3C / %x3E-7E.
    static func isValidValue(_ value: String) -> Bool {
        func isNonBlank(_ b: UInt8) -> Bool { (0x21...0x2B).contains(b) || (0x2D...0x3C).contains(b) || (0x3E...0x7E).contains(b) }
        let bytes = Array(value.utf8)
        guard let last = bytes.last, bytes.count <= 256, isNonBlank(last) else { return false }
        return bytes.allSatisfy { $0 == 0x20 || isNonBlank($0) }
    }
}

extension String {
    /// Without the optional white space (spaces and tabs) that W3C list headers allow.
    func trimmingOWS() -> String {
        var utf8 = Substring(self).utf8
        while let first = utf8.first, first == 0x20 || first == 0x09 { utf8.removeFirst() }
        while let last = utf8.last, last == 0x20 || last == 0x09 { utf8.removeLast() }
        return String(Substring(utf8))
    }
}
