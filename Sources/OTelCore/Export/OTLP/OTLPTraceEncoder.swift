/// Encodes spans as an OTLP `ExportTraceServiceRequest` in protobuf
/// (opentelemetry/proto/collector/trace/v1/trace_service.proto and
/// trace/v1/trace.proto, field numbers as there). Exporter plugins receive
/// this; the OTLP exporter will send it.
public enum OTLPTraceEncoder {
    /// The request for `spans`, grouped by resource and instrumentation scope.
    public static func encode(_ spans: [SpanData]) -> [UInt8] {
        encode(spans) { Array($0) }
    }

    /// The same request, lent to `use` where it was written: an exporter
    /// sends it without a copy of it (one large allocation fewer per batch).
    public static func encode<Result>(_ spans: [SpanData], _ use: (UnsafeRawBufferPointer) -> Result) -> Result {
        // Spans read in place: a copy of each would count references to all its parts.
        spans.withUnsafeBufferPointer { spans in
            OTLPCommon.groupedRequest(count: spans.count, bytesPerItem: 320, resource: { spans[$0].resource }, scope: { spans[$0].scope },
                                      sameResource: { spans[$0].resource == spans[$1].resource },
                                      sameScope: { spans[$0].scope == spans[$1].scope },
                                      encode: { encodeSpan(&$0, spans.baseAddress.unsafelyUnwrapped + $1) }, finish: use)
        }
    }

    /// Writes the span `span` points to, its fields read where they are (a
    /// copy of the span would count references to every part of it).
    static func encodeSpan(_ writer: inout ProtobufWriter, _ span: UnsafePointer<SpanData>) {
        writer.bigEndianField(1, span.pointee.context.traceId.high, span.pointee.context.traceId.low)
        writer.bigEndianField(2, span.pointee.context.spanId.value)
        if !span.pointee.context.traceState.entries.isEmpty { writer.stringField(3, span.pointee.context.traceState.headerValue) }
        if let parent = span.pointee.parentContext { writer.bigEndianField(4, parent.spanId.value) }
        writer.stringField(5, span.pointee.name)
        writer.varintField(6, UInt64(span.pointee.kind.rawValue + 1))
        writer.fixed64Field(7, span.pointee.startTime)
        writer.fixed64Field(8, span.pointee.endTime)
        if let logged = span.pointee.logged, logged.encode(into: &writer, field: 9) {
            // written from the log's bytes; nothing dropped
        } else {
            let attributes = span.pointee.attributes
            OTLPCommon.keyValues(&writer, field: 9, attributes.entries)
            writer.varintField(10, UInt64(attributes.droppedCount))
        }
        for event in span.pointee.events {
            writer.messageField(11) { eventWriter in
                eventWriter.fixed64Field(1, event.timestamp)
                eventWriter.stringField(2, event.name)
                OTLPCommon.keyValues(&eventWriter, field: 3, event.attributes.entries)
                eventWriter.varintField(4, UInt64(event.attributes.droppedCount))
            }
        }
        writer.varintField(12, UInt64(span.pointee.droppedEvents))
        for link in span.pointee.links {
            writer.messageField(13) { linkWriter in
                linkWriter.bigEndianField(1, link.context.traceId.high, link.context.traceId.low)
                linkWriter.bigEndianField(2, link.context.spanId.value)
                linkWriter.stringField(3, link.context.traceState.headerValue)
                OTLPCommon.keyValues(&linkWriter, field: 4, link.attributes.entries)
                linkWriter.varintField(5, UInt64(link.attributes.droppedCount))
                linkWriter.fixed32Field(6, flags(link.context.traceFlags, remote: link.context.isRemote))
            }
        }
        writer.varintField(14, UInt64(span.pointee.droppedLinks))
        if span.pointee.status.code != .unset || span.pointee.status.description != nil {
            writer.messageField(15) { status in
                status.stringField(2, span.pointee.status.description ?? "")
                status.varintField(3, UInt64(span.pointee.status.code.rawValue))
            }
        }
        // trace.proto, Span.flags: the W3C trace flags, and bits 8-9 saying
        // whether the parent is known to be remote (a root's is "not remote").
        writer.fixed32Field(16, flags(span.pointee.context.traceFlags, remote: span.pointee.parentContext?.isRemote ?? false))
    }

    static func flags(_ traceFlags: TraceFlags, remote: Bool) -> UInt32 {
        UInt32(traceFlags.rawValue) | 0x100 | (remote ? 0x200 : 0)
    }
}
