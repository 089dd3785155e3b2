/// Encodes log records as an OTLP `ExportLogsServiceRequest` in protobuf
/// (opentelemetry/proto/collector/logs/v1/logs_service.proto and
/// logs/v1/logs.proto, field numbers as there).
public enum OTLPLogsEncoder {
    /// The request for `records`, grouped by resource and instrumentation scope.
    public static func encode(_ records: [LogRecordData]) -> [UInt8] {
        var groups: [(resource: Int, scopes: [(scope: Int, records: [Int])])] = []
        for index in records.indices {
            let record = records[index]
            guard let resourceIndex = groups.firstIndex(where: { records[$0.resource].resource == record.resource }) else {
                groups.append((index, [(index, [index])]))
                continue
            }
            if let scopeIndex = groups[resourceIndex].scopes.firstIndex(where: { records[$0.scope].scope == record.scope }) {
                groups[resourceIndex].scopes[scopeIndex].records.append(index)
            } else {
                groups[resourceIndex].scopes.append((index, [index]))
            }
        }
        var writer = ProtobufWriter(expectedBytes: 512 + records.count * 256)
        for group in groups {
            let resource = records[group.resource].resource
            writer.messageField(1) { resourceLogs in
                resourceLogs.messageField(1) { OTLPCommon.resource(&$0, resource) }
                for scopeGroup in group.scopes {
                    let scope = records[scopeGroup.scope].scope
                    resourceLogs.messageField(2) { scopeLogs in
                        scopeLogs.messageField(1) { OTLPCommon.scope(&$0, scope) }
                        for index in scopeGroup.records { scopeLogs.messageField(2) { encodeRecord(&$0, records[index]) } }
                        scopeLogs.stringField(3, scope.schemaURL ?? "")
                    }
                }
                resourceLogs.stringField(3, resource.schemaURL)
            }
        }
        return writer.bytes
    }

    /// LogRecord: time 1, severity_number 2, severity_text 3, body 5,
    /// attributes 6, dropped_attributes_count 7, flags 8, trace_id 9,
    /// span_id 10, observed_time 11, event_name 12.
    static func encodeRecord(_ writer: inout ProtobufWriter, _ record: LogRecordData) {
        writer.fixed64Field(1, record.timestamp ?? 0)
        writer.varintField(2, UInt64(record.severityNumber))
        writer.stringField(3, record.severityText ?? "")
        if let body = record.body { writer.messageField(5) { OTLPCommon.anyValue(&$0, body) } }
        for attribute in record.attributes.entries { writer.messageField(6) { OTLPCommon.keyValue(&$0, attribute) } }
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
