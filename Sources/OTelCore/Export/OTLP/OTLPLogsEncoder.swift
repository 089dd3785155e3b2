/// Encodes log records as an OTLP `ExportLogsServiceRequest` in protobuf
/// (opentelemetry/proto/collector/logs/v1/logs_service.proto and
/// logs/v1/logs.proto, field numbers as there).
public enum OTLPLogsEncoder {
    /// The request for `records`, grouped by resource and instrumentation scope.
    public static func encode(_ records: [LogRecordData]) -> [UInt8] {
        encode(records) { Array($0) }
    }

    /// The same request, lent to `use` where it was written (no copy of it).
    public static func encode<Result>(_ records: [LogRecordData], _ use: (UnsafeRawBufferPointer) -> Result) -> Result {
        OTLPCommon.groupedRequest(count: records.count, bytesPerItem: 256, resource: { records[$0].resource },
                                  scope: { records[$0].scope }, sameResource: { records[$0].resource == records[$1].resource },
                                  sameScope: { records[$0].scope == records[$1].scope }, encode: { encodeRecord(&$0, records[$1]) },
                                  finish: use)
    }

    /// LogRecord: time 1, severity_number 2, severity_text 3, body 5,
    /// attributes 6, dropped_attributes_count 7, flags 8, trace_id 9,
    /// span_id 10, observed_time 11, event_name 12.
    static func encodeRecord(_ writer: inout ProtobufWriter, _ record: LogRecordData) {
        writer.fixed64Field(1, record.timestamp ?? 0)
        writer.varintField(2, UInt64(record.severityNumber))
        writer.stringField(3, record.severityText ?? "")
        if let body = record.body { writer.messageField(5) { OTLPCommon.anyValue(&$0, body) } }
        OTLPCommon.keyValues(&writer, field: 6, record.attributes.entries)
        writer.varintField(7, UInt64(record.attributes.droppedCount))
        if let context = record.spanContext {
            writer.fixed32Field(8, UInt32(context.traceFlags.rawValue))
            writer.bigEndianField(9, context.traceId.high, context.traceId.low)
            writer.bigEndianField(10, context.spanId.value)
        }
        writer.fixed64Field(11, record.observedTimestamp)
        writer.stringField(12, record.eventName ?? "")
    }
}
