/// Writes each log record as OpenTelemetry Python's ConsoleLogRecordExporter
/// does: the pretty-printed JSON of `ReadableLogRecord.to_json()` followed by
/// a newline, keys in the same order, values in the same format.
public final class ConsoleLogRecordExporter: LogRecordExporter {
    let output: ConsoleOutput

    public init(destination: ConsoleDestination = .standardOutput, diagnostics: Diagnostics) {
        output = ConsoleOutput(destination: destination, diagnostics: diagnostics)
    }

    public func export(_ records: [LogRecordData]) -> ExportResult {
        var text = ""
        for record in records { text += Self.render(record) + "\n" }
        return output.write(text) ? .success : .failure
    }

    public func forceFlush(timeoutNanoseconds: UInt64) -> Bool { true }

    public func shutdown(timeoutNanoseconds: UInt64) -> Bool {
        output.close()
        return true
    }

    /// The record as `to_json(indent=4)` of OpenTelemetry Python renders it.
    public static func render(_ record: LogRecordData) -> String {
        let context = record.spanContext
        return PythonJSON.object([
            ("body", record.body.map(ConsoleSpanExporter.valueJSON) ?? .null),
            ("severity_number", .int(Int64(record.severityNumber))),
            ("severity_text", record.severityText.map(PythonJSON.string) ?? .null),
            ("attributes", record.attributes.isEmpty ? .null : ConsoleSpanExporter.attributesJSON(record.attributes)),
            ("dropped_attributes", .int(Int64(record.attributes.droppedCount))),
            ("timestamp", record.timestamp.map { .string(isoTimestamp(nanoseconds: $0)) } ?? .null),
            ("observed_timestamp", .string(isoTimestamp(nanoseconds: record.observedTimestamp))),
            ("trace_id", .string("0x" + (context?.traceId.hexString ?? String(repeating: "0", count: 32)))),
            ("span_id", .string("0x" + (context?.spanId.hexString ?? String(repeating: "0", count: 16)))),
            ("trace_flags", .int(Int64(context?.traceFlags.rawValue ?? 0))),
            ("resource", .object([
                ("attributes", ConsoleSpanExporter.attributesJSON(record.resource.attributes)),
                ("schema_url", .string(record.resource.schemaURL)),
            ])),
            ("event_name", .string(record.eventName ?? "")),
        ]).rendered()
    }
}
