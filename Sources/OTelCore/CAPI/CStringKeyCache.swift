#if canImport(Glibc)
import Glibc
#endif

/// Remembers the Swift strings made from C attribute keys, per thread.
///
/// Plugins pass keys as string literals, so the same few addresses recur on
/// every span. A hit costs a comparison of the key's bytes (the address alone
/// is not trusted: a buffer may be reused with other contents) instead of a
/// UTF-8 validation and, for keys longer than 15 bytes, an allocation.
struct CStringKeyCache {
    private static let slots = 64
    private var addresses = [UnsafeRawPointer?](repeating: nil, count: slots)
    private var strings = [String](repeating: "", count: slots)

    /// The Swift string equal to the NUL-terminated `key`, remembered under
    /// `address` (the key's own, or where a copy of it came from).
    mutating func string(for key: UnsafePointer<CChar>, cachedAt address: UnsafeRawPointer?) -> String {
        let slot = Int(truncatingIfNeeded: UInt(bitPattern: address) >> 3) & (Self.slots - 1)
        if addresses[slot] == address, Self.matches(strings[slot], key) {
            return strings[slot]
        }
        let string = String(cString: key)
        addresses[slot] = address
        strings[slot] = string
        return string
    }

    /// Whether a cached string (made from a C key: no NUL inside) spells `key`;
    /// withCString reads it without the reference count that
    /// withContiguousStorageIfAvailable takes.
    private static func matches(_ string: String, _ key: UnsafePointer<CChar>) -> Bool {
        string.withCString { strcmp($0, key) == 0 }
    }
}
