#if canImport(Glibc)
import Glibc
#endif
import COTelCoreShims
import Synchronization

/// Severity of one of the SDK's own diagnostics, ordered from most to least verbose.
public enum DiagnosticLevel: Int, Comparable, Sendable {
    case debug = 0, info, warning, error, none

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The level named by an OTEL_LOG_LEVEL value, or nil for an unknown name.
    public init?(name: String) {
        switch name.lowercasedASCII() {
        case "debug", "trace": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warning
        case "error", "fatal", "critical": self = .error
        case "none", "off", "silent": self = .none
        default: return nil
        }
    }

    var label: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .warning: "warning"
        case .error: "error"
        case .none: "none"
        }
    }
}

/// The SDK's own diagnostics: one line each on stderr, prefixed `otel-native:`,
/// filtered by OTEL_LOG_LEVEL (default info), and each distinct message printed
/// once per process, so a failing exporter cannot flood the program's stderr.
/// errno is preserved across every call.
public final class Diagnostics: Sendable {
    /// Messages below this level are not printed.
    public let level: DiagnosticLevel
    private let sink: @Sendable (String) -> Void
    private let printed = ForkSafeMutex<Set<String>>([])

    /// Around fork (ForkSafeMutex): taken before, given back after.
    func lockForFork() { printed.lockForFork() }
    func unlockAfterFork() { printed.unlockAfterFork() }

    /// Diagnostics at `level` written to `sink` (stderr by default).
    public init(level: DiagnosticLevel = .info, sink: @escaping @Sendable (String) -> Void = Diagnostics.writeToStandardError) {
        self.level = level
        self.sink = sink
    }

    /// Diagnostics configured from OTEL_LOG_LEVEL in `environment`.
    public convenience init(environment: Environment, sink: @escaping @Sendable (String) -> Void = Diagnostics.writeToStandardError) {
        let raw = environment.rawValue("OTEL_LOG_LEVEL").map { $0.trimmingASCIIWhitespace() } ?? ""
        let parsed = raw.isEmpty ? DiagnosticLevel.info : DiagnosticLevel(name: raw)
        self.init(level: parsed ?? .info, sink: sink)
        if parsed == nil {
            warn("OTEL_LOG_LEVEL=\(raw) is not one of debug, info, warn, error, none; using the default info")
        }
    }

    /// Prints `message` once at debug level.
    public func debug(_ message: @autoclosure () -> String) { emit(.debug, message) }
    /// Prints `message` once at info level.
    public func info(_ message: @autoclosure () -> String) { emit(.info, message) }
    /// Prints `message` once at warning level.
    public func warn(_ message: @autoclosure () -> String) { emit(.warning, message) }
    /// Prints `message` once at error level.
    public func error(_ message: @autoclosure () -> String) { emit(.error, message) }

    private func emit(_ messageLevel: DiagnosticLevel, _ message: () -> String) {
        guard messageLevel >= level, level != .none else { return }
        let savedErrno = otel_shim_get_errno()
        defer { otel_shim_set_errno(savedErrno) }
        let line = "otel-native: \(messageLevel.label): \(message())\n"
        let isNew = printed.withLock { $0.insert(line).inserted }
        if isNew { sink(line) }
    }

    /// Writes a line to the program's file descriptor 2 with write(2),
    /// retrying on EINTR (from an export thread with a descriptor table of
    /// its own, through a duplicate of the program's).
    public static let writeToStandardError: @Sendable (String) -> Void = { line in
        writeFully(fileDescriptor: 2, line)
    }
}

/// Writes all of `text` to the program's `fileDescriptor`, retrying short
/// writes and EINTR (otel_shim_write_to_program: from an export thread with a
/// descriptor table of its own, through a duplicate); gives up silently on any
/// other error (diagnostics must never fail the host).
func writeFully(fileDescriptor: Int32, _ text: String) {
    var text = text
    text.withUTF8 { otel_shim_write_to_program(fileDescriptor, $0.baseAddress, $0.count) }
}
