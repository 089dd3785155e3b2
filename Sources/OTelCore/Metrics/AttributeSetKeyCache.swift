import COTelCoreShims

/// The last attribute set a thread recorded, with its canonical key and hash.
///
/// Instrumentations usually record with the same attribute array again and
/// again (a constant, or one built once). The cache keeps that array alive,
/// so when the next record passes an array with the same storage it is the
/// same immutable array (arrays are copy-on-write: shared storage is never
/// changed), and its key is reused without being built or hashed again.
final class AttributeSetKeyCache {
    private var attributes: [Attribute] = []
    private var key: [UInt8] = []
    private var hash: UInt64 = 0

    /// Runs `body` with the key and hash of `attributes`, from the cache when
    /// they are the array last seen.
    func withKey<Result>(_ attributes: [Attribute], _ body: (UnsafeRawBufferPointer, UInt64) -> Result) -> Result {
        if !attributes.isEmpty && Self.sameStorage(attributes, self.attributes) {
            return key.withUnsafeBytes { body($0, hash) }
        }
        return AttributeSetKey.withKey(attributes) { bytes in
            let hash = otel_shim_metric_key_hash(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
            self.attributes = attributes
            self.key.removeAll(keepingCapacity: true)
            self.key.append(contentsOf: bytes)
            self.hash = hash
            return body(bytes, hash)
        }
    }

    private static func sameStorage(_ first: [Attribute], _ second: [Attribute]) -> Bool {
        first.withUnsafeBufferPointer { a in second.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress && a.count == b.count } }
    }
}
