/// Small string helpers that Foundation would otherwise provide.
extension String {
    /// The string without leading and trailing ASCII spaces and tabs (and CR/LF).
    public func trimmingASCIIWhitespace() -> String {
        let utf8 = self.utf8
        var start = utf8.startIndex
        var end = utf8.endIndex
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        while start < end, isSpace(utf8[start]) { start = utf8.index(after: start) }
        while end > start, isSpace(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        if start == utf8.startIndex && end == utf8.endIndex { return self }
        return String(self[start..<end])
    }

    /// The string with ASCII letters lowercased; other characters unchanged.
    public func lowercasedASCII() -> String {
        if !utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) { return self }
        return String(decoding: utf8.map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}

/// Percent-decoding as in RFC 3986 (used by OTEL_RESOURCE_ATTRIBUTES and W3C baggage).
/// Returns nil for a malformed escape or bytes that are not UTF-8.
func percentDecode<S: StringProtocol>(_ text: S) -> String? {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count)
    var iterator = text.utf8.makeIterator()
    while let byte = iterator.next() {
        if byte != UInt8(ascii: "%") {
            bytes.append(byte)
            continue
        }
        guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
            return nil
        }
        bytes.append(high << 4 | low)
    }
    return String(validating: bytes, as: UTF8.self)
}

/// The value of one hexadecimal digit in either case, or nil.
func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}

extension String {
    /// True when `needle` occurs in the string, compared byte for byte in UTF-8
    /// (what `contains(_:)` of _StringProcessing would do, without importing it).
    public func containsBytes(_ needle: String) -> Bool {
        prefix(beforeBytes: needle) != nil
    }

    /// The part of the string before the first occurrence of `needle`
    /// (compared byte for byte in UTF-8), or nil when it does not occur.
    public func prefix(beforeBytes needle: String) -> String? {
        let haystack = Array(utf8)
        let pattern = Array(needle.utf8)
        guard haystack.count >= pattern.count else { return nil }
        for start in 0...(haystack.count - pattern.count) where haystack[start..<(start + pattern.count)].elementsEqual(pattern) {
            return String(decoding: haystack[..<start], as: UTF8.self)
        }
        return nil
    }
}
