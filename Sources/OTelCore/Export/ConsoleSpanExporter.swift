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

/// Writes each span as OpenTelemetry Python's ConsoleSpanExporter does: the
/// pretty-printed JSON of `ReadableSpan.to_json()` followed by a newline,
/// keys in the same order, values in the same format.
public final class ConsoleSpanExporter: SpanExporter {
    let destination: ConsoleDestination
    let diagnostics: Diagnostics
    /// Our own descriptor for the output: -1 before a file is first opened,
    /// -2 after shutdown. Atomic, so shutdown never waits behind an export
    /// stuck in open(2) or write(2) (a FIFO nobody reads, a full pipe).
    private let fileDescriptor = Atomic<Int32>(-1)

    /// For stdout and stderr the exporter writes to a duplicate taken now
    /// (close-on-exec): programs close their standard streams in their own
    /// exit handlers (coreutils' close_stdout does, for both), which run
    /// before the SDK's exit flush. The duplicate keeps the stream open until
    /// the process exits, so a reader sees end-of-file then, not earlier.
    public init(destination: ConsoleDestination = .standardOutput, diagnostics: Diagnostics) {
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

    public func export(_ spans: [SpanData]) -> ExportResult {
        guard let descriptor = openDestination() else { return .failure }
        var text = ""
        for span in spans { text += Self.render(span) + "\n" }
        writeFully(fileDescriptor: descriptor, text)
        return .success
    }

    public func forceFlush(timeoutNanoseconds: UInt64) -> Bool { true }

    public func shutdown(timeoutNanoseconds: UInt64) -> Bool {
        let descriptor = fileDescriptor.exchange(-2, ordering: .acquiringAndReleasing)
        if descriptor > 2 { close(descriptor) }
        return true
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
            close(opened)
            return current >= 0 ? current : nil
        }
    }

    /// The span as `ReadableSpan.to_json(indent=4)` of OpenTelemetry Python renders it.
    public static func render(_ span: SpanData) -> String {
        var status: [(String, PythonJSON)] = [("status_code", .string(span.status.code.name))]
        if let description = span.status.description, !description.isEmpty {
            status.append(("description", .string(description)))
        }
        let object: PythonJSON = .object([
            ("name", .string(span.name)),
            ("context", contextJSON(span.context)),
            ("kind", .string(span.kind.pythonName)),
            ("parent_id", span.parentContext.map { .string("0x" + $0.spanId.hexString) } ?? .null),
            ("start_time", .string(isoTimestamp(nanoseconds: span.startTime))),
            ("end_time", .string(isoTimestamp(nanoseconds: span.endTime))),
            ("status", .object(status)),
            ("attributes", attributesJSON(span.attributes)),
            ("events", .array(span.events.map { event in
                .object([
                    ("name", .string(event.name)),
                    ("timestamp", .string(isoTimestamp(nanoseconds: event.timestamp))),
                    ("attributes", attributesJSON(event.attributes)),
                ])
            })),
            ("links", .array(span.links.map { link in
                .object([("context", contextJSON(link.context)), ("attributes", attributesJSON(link.attributes))])
            })),
            ("resource", .object([
                ("attributes", attributesJSON(span.resource.attributes)),
                ("schema_url", .string(span.resource.schemaURL)),
            ])),
        ])
        return object.rendered()
    }

    static func contextJSON(_ context: SpanContext) -> PythonJSON {
        .object([
            ("trace_id", .string("0x" + context.traceId.hexString)),
            ("span_id", .string("0x" + context.spanId.hexString)),
            ("trace_state", .string(pythonTraceStateRepr(context.traceState))),
        ])
    }

    /// `repr(TraceState)` in Python: a list repr of `{key=k, value=v}` strings.
    static func pythonTraceStateRepr(_ state: TraceState) -> String {
        "[" + state.entries.map { pythonStringRepr("{key=\($0.key), value=\($0.value)}") }.joined(separator: ", ") + "]"
    }

    /// Python's `repr(str)` for printable ASCII text.
    static func pythonStringRepr(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var result = String(quote)
        for character in text {
            if character == "\\" { result += "\\\\" } else if character == quote { result += "\\'" } else { result.append(character) }
        }
        result.append(quote)
        return result
    }

    static func attributesJSON(_ attributes: Attributes) -> PythonJSON {
        .object(attributes.entries.map { ($0.key, valueJSON($0.value)) })
    }

    static func valueJSON(_ value: AttributeValue) -> PythonJSON {
        switch value {
        case .string(let text): .string(text)
        case .bool(let flag): .bool(flag)
        case .int(let number): .int(number)
        case .double(let number): .double(number)
        case .stringArray(let items): .array(items.map { .string($0) })
        case .boolArray(let items): .array(items.map { .bool($0) })
        case .intArray(let items): .array(items.map { .int($0) })
        case .doubleArray(let items): .array(items.map { .double($0) })
        }
    }
}
