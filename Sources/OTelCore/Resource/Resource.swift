#if canImport(Glibc)
import Glibc
#endif

/// The entity producing telemetry, as attributes (resource/sdk.md).
public struct Resource: Sendable, Equatable {
    public var attributes: Attributes
    public var schemaURL: String

    /// A resource with `attributes` in the given order.
    public init(attributes: [Attribute] = [], schemaURL: String = "") {
        var kept = Attributes(countLimit: Int.max)
        for attribute in attributes { kept.set(attribute.key, attribute.value) }
        self.attributes = kept
        self.schemaURL = schemaURL
    }

    /// This resource with `process.pid` (when it has one) set to the calling
    /// process's: what a forked child's telemetry must say.
    public func withCurrentProcessId() -> Resource {
        guard attributes["process.pid"] != nil else { return self }
        var updated = self
        updated.attributes.set("process.pid", .int(Int64(getpid())))
        return updated
    }

    /// This resource updated by `other`: its values win (resource/sdk.md, "Merge").
    /// Schema URLs: the non-empty one wins; two different ones keep this one's.
    public func merging(_ other: Resource) -> Resource {
        var merged = self
        for attribute in other.attributes.entries { merged.attributes.set(attribute.key, attribute.value) }
        if schemaURL.isEmpty { merged.schemaURL = other.schemaURL }
        return merged
    }
}
