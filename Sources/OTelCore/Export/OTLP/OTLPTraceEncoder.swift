/// Encodes spans as an OTLP `ExportTraceServiceRequest` in protobuf
/// (opentelemetry/proto/collector/trace/v1/trace_service.proto and
/// trace/v1/trace.proto, field numbers as there). Exporter plugins receive
/// this; the OTLP exporter will send it.
public enum OTLPTraceEncoder {
    /// The request for `spans`, grouped by resource and instrumentation scope.
    public static func encode(_ spans: [SpanData]) -> [UInt8] {
        var groups: [(resource: Resource, scopes: [(scope: InstrumentationScope, spans: [SpanData])])] = []
        for span in spans {
            if let resourceIndex = groups.firstIndex(where: { $0.resource == span.resource }) {
                if let scopeIndex = groups[resourceIndex].scopes.firstIndex(where: { $0.scope == span.scope }) {
                    groups[resourceIndex].scopes[scopeIndex].spans.append(span)
                } else {
                    groups[resourceIndex].scopes.append((span.scope, [span]))
                }
            } else {
                groups.append((span.resource, [(span.scope, [span])]))
            }
        }
        var writer = ProtobufWriter()
        for group in groups {
            writer.messageField(1) { resourceSpans in
                resourceSpans.messageField(1) { OTLPCommon.resource(&$0, group.resource) }
                for scopeGroup in group.scopes {
                    resourceSpans.messageField(2) { scopeSpans in
                        scopeSpans.messageField(1) { OTLPCommon.scope(&$0, scopeGroup.scope) }
                        for span in scopeGroup.spans { scopeSpans.messageField(2) { encodeSpan(&$0, span) } }
                        scopeSpans.stringField(3, scopeGroup.scope.schemaURL ?? "")
                    }
                }
                resourceSpans.stringField(3, group.resource.schemaURL)
            }
        }
        return writer.bytes
    }

    static func encodeSpan(_ writer: inout ProtobufWriter, _ span: SpanData) {
        writer.bytesField(1, traceIdBytes(span.context.traceId))
        writer.bytesField(2, spanIdBytes(span.context.spanId))
        writer.stringField(3, span.context.traceState.headerValue)
        if let parent = span.parentContext { writer.bytesField(4, spanIdBytes(parent.spanId)) }
        writer.stringField(5, span.name)
        writer.varintField(6, UInt64(span.kind.rawValue + 1))
        writer.fixed64Field(7, span.startTime)
        writer.fixed64Field(8, span.endTime)
        for attribute in span.attributes.entries { writer.messageField(9) { OTLPCommon.keyValue(&$0, attribute) } }
        writer.varintField(10, UInt64(span.attributes.droppedCount))
        for event in span.events {
            writer.messageField(11) { eventWriter in
                eventWriter.fixed64Field(1, event.timestamp)
                eventWriter.stringField(2, event.name)
                for attribute in event.attributes.entries { eventWriter.messageField(3) { OTLPCommon.keyValue(&$0, attribute) } }
                eventWriter.varintField(4, UInt64(event.attributes.droppedCount))
            }
        }
        writer.varintField(12, UInt64(span.droppedEvents))
        for link in span.links {
            writer.messageField(13) { linkWriter in
                linkWriter.bytesField(1, traceIdBytes(link.context.traceId))
                linkWriter.bytesField(2, spanIdBytes(link.context.spanId))
                linkWriter.stringField(3, link.context.traceState.headerValue)
                for attribute in link.attributes.entries { linkWriter.messageField(4) { OTLPCommon.keyValue(&$0, attribute) } }
                linkWriter.varintField(5, UInt64(link.attributes.droppedCount))
                linkWriter.fixed32Field(6, flags(link.context.traceFlags, remote: link.context.isRemote))
            }
        }
        writer.varintField(14, UInt64(span.droppedLinks))
        if span.status.code != .unset || span.status.description != nil {
            writer.messageField(15) { status in
                status.stringField(2, span.status.description ?? "")
                status.varintField(3, UInt64(span.status.code.rawValue))
            }
        }
        // trace.proto, Span.flags: the W3C trace flags, and bits 8-9 saying
        // whether the parent is known to be remote (a root's is "not remote").
        writer.fixed32Field(16, flags(span.context.traceFlags, remote: span.parentContext?.isRemote ?? false))
    }

    static func flags(_ traceFlags: TraceFlags, remote: Bool) -> UInt32 {
        UInt32(traceFlags.rawValue) | 0x100 | (remote ? 0x200 : 0)
    }

    static func traceIdBytes(_ id: TraceId) -> [UInt8] {
        bigEndian(id.high) + bigEndian(id.low)
    }

    static func spanIdBytes(_ id: SpanId) -> [UInt8] { bigEndian(id.value) }

    private static func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> UInt64(56 - $0 * 8)) }
    }
}
