#if canImport(Glibc)
import Glibc
#endif
import COTelCoreShims

/// Where configuration comes from: the process environment, or a fixed table in tests.
///
/// Every read of an OTEL_* variable goes through one of these, so each rule of the
/// specification can be tested without touching the real environment.
public struct Environment: Sendable {
    private let lookup: @Sendable (String) -> String?

    /// An environment answering from `lookup`.
    public init(lookup: @escaping @Sendable (String) -> String?) {
        self.lookup = lookup
    }

    /// An environment answering from a fixed table.
    public init(_ values: [String: String]) {
        self.lookup = { values[$0] }
    }

    /// The process environment (read from the environment block itself, not
    /// through getenv, which programs such as bash replace), then the defaults
    /// a distro set; empty values count as unset.
    public static let process = Environment { name in
        guard let raw = otel_shim_config_get(name) else { return nil }
        return String(cString: raw)
    }

    /// The raw value of `name`, or nil when it is not set.
    public func rawValue(_ name: String) -> String? { lookup(name) }
}
