#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Where console exporters write.
public enum ConsoleDestination: Sendable, Equatable {
    case standardOutput
    case standardError
    /// A file, created if needed and appended to.
    case file(String)

    /// OTEL_NATIVE_CONSOLE_OUTPUT: `stdout` (the default, like Python),
    /// `stderr`, or a file path (containing a `/`).
    public init(config: ConfigReader) {
        guard let value = config.string("OTEL_NATIVE_CONSOLE_OUTPUT") else {
            self = .standardOutput
            return
        }
        switch value.lowercasedASCII() {
        case "stdout": self = .standardOutput
        case "stderr": self = .standardError
        default:
            if value.contains("/") {
                self = .file(value)
            } else {
                config.diagnostics.warn("OTEL_NATIVE_CONSOLE_OUTPUT=\(value) is not stdout, stderr or a path containing /; using stdout")
                self = .standardOutput
            }
        }
    }
}

/// The stream or file a console exporter writes to.
final class ConsoleOutput: Sendable {
    let destination: ConsoleDestination
    let diagnostics: Diagnostics
    /// Our own descriptor for the output: -1 before a file is first opened,
    /// -2 after close. Atomic, so closing never waits behind a write stuck in
    /// open(2) or write(2) (a FIFO nobody reads, a full pipe).
    private let fileDescriptor = Atomic<Int32>(-1)

    /// For stdout and stderr the output is a duplicate taken now
    /// (close-on-exec): programs close their standard streams in their own
    /// exit handlers (coreutils' close_stdout does, for both), which run
    /// before the SDK's exit flush. The duplicate keeps the stream open until
    /// the process exits, so a reader sees end-of-file then, not earlier.
    init(destination: ConsoleDestination, diagnostics: Diagnostics) {
        self.destination = destination
        self.diagnostics = diagnostics
        let standard: Int32? = switch destination {
        case .standardOutput: 1
        case .standardError: 2
        case .file: nil
        }
        if let standard {
            let duplicate = fcntl(standard, F_DUPFD_CLOEXEC, 3)
            fileDescriptor.store(duplicate >= 0 ? duplicate : standard, ordering: .releasing)
        }
    }

    /// Writes `text` whole; false when the output cannot be opened or is closed.
    func write(_ text: String) -> Bool {
        guard let descriptor = openDestination() else { return false }
        writeFully(fileDescriptor: descriptor, text)
        return true
    }

    /// Closes our descriptor (never the program's own stdout or stderr).
    func close() {
        let descriptor = fileDescriptor.exchange(-2, ordering: .acquiringAndReleasing)
        if descriptor > 2 { Glibc.close(descriptor) }
    }

    private func openDestination() -> Int32? {
        switch destination {
        case .standardOutput, .standardError:
            let descriptor = fileDescriptor.load(ordering: .acquiring)
            return descriptor >= 0 ? descriptor : nil
        case .file(let path):
            let existing = fileDescriptor.load(ordering: .acquiring)
            if existing >= 0 { return existing }
            if existing == -2 { return nil }
            let opened = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            if opened < 0 {
                diagnostics.error("cannot open the console output file \(path): \(String(cString: strerror(errno)))")
                return nil
            }
            let (stored, current) = fileDescriptor.compareExchange(expected: -1, desired: opened, ordering: .acquiringAndReleasing)
            if stored { return opened }
            Glibc.close(opened)
            return current >= 0 ? current : nil
        }
    }
}
