#if canImport(Glibc)
import Glibc
#endif

/// Writes each span as OpenTelemetry Python's ConsoleSpanExporter does: the
/// pretty-printed JSON of `ReadableSpan.to_json()` followed by a newline,
/// keys in the same order, values in the same format.
public final class ConsoleSpanExporter: SpanExporter {
    let output: ConsoleOutput

    public init(destination: ConsoleDestination = .standardOutput, diagnostics: Diagnostics) {
        output = ConsoleOutput(destination: destination, diagnostics: diagnostics)
    }

    public func export(_ spans: [SpanData]) -> ExportResult {
        var text = ""
        for span in spans { text += Self.render(span) + "\n" }
        return output.write(text) ? .success : .failure
    }

    public func forceFlush(timeoutNanoseconds: UInt64) -> Bool { true }

    public func shutdown(timeoutNanoseconds: UInt64) -> Bool {
        output.close()
        return true
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
