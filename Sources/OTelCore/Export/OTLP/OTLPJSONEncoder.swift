/// Encodes the same requests as the protobuf encoders in the OTLP JSON
/// encoding (OTLP spec, "JSON Protobuf Encoding"): the proto3 JSON mapping
/// with lowerCamelCase keys, trace and span ids as lowercase hex (not
/// base64), enums as numbers, 64-bit integers as decimal strings; fields
/// with default values are left out.
public enum OTLPJSONEncoder {
    /// An ExportTraceServiceRequest.
    public static func traces(_ spans: [SpanData]) -> [UInt8] {
        grouped(count: spans.count, items: "resourceSpans", scopeItems: "scopeSpans", itemsKey: "spans",
                resource: { spans[$0].resource }, scope: { spans[$0].scope },
                sameResource: { spans[$0].resource == spans[$1].resource }, sameScope: { spans[$0].scope == spans[$1].scope }) { writer, index in
            span(&writer, spans[index])
        }
    }

    /// An ExportLogsServiceRequest.
    public static func logs(_ records: [LogRecordData]) -> [UInt8] {
        grouped(count: records.count, items: "resourceLogs", scopeItems: "scopeLogs", itemsKey: "logRecords",
                resource: { records[$0].resource }, scope: { records[$0].scope },
                sameResource: { records[$0].resource == records[$1].resource }, sameScope: { records[$0].scope == records[$1].scope }) { writer, index in
            logRecord(&writer, records[index])
        }
    }

    /// An ExportMetricsServiceRequest of one collection of `resource`.
    public static func metrics(_ metrics: [MetricData], resource: Resource) -> [UInt8] {
        var writer = JSONWriter()
        writer.object { request in
            request.array("resourceMetrics") { list in
                list.element { resourceMetrics in
                    resourceMetrics.object("resource") { Self.resource(&$0, resource) }
                    var scopes: [InstrumentationScope] = []
                    for metric in metrics where !scopes.contains(metric.scope) { scopes.append(metric.scope) }
                    resourceMetrics.array("scopeMetrics") { scopeList in
                        for scope in scopes {
                            scopeList.element { scopeMetrics in
                                scopeMetrics.object("scope") { Self.scope(&$0, scope) }
                                scopeMetrics.array("metrics") { metricList in
                                    for metric in metrics where metric.scope == scope { metricList.element { Self.metric(&$0, metric) } }
                                }
                                scopeMetrics.string("schemaUrl", scope.schemaURL ?? "")
                            }
                        }
                    }
                    resourceMetrics.string("schemaUrl", resource.schemaURL)
                }
            }
        }
        return writer.bytes
    }

    private static func grouped(count: Int, items: String, scopeItems: String, itemsKey: String, resource: (Int) -> Resource,
                                scope: (Int) -> InstrumentationScope, sameResource: (Int, Int) -> Bool, sameScope: (Int, Int) -> Bool,
                                encode: (inout JSONWriter, Int) -> Void) -> [UInt8] {
        var writer = JSONWriter()
        writer.object { request in
            request.array(items) { list in
                for group in OTLPCommon.groups(count: count, sameResource: sameResource, sameScope: sameScope) {
                    let groupResource = resource(group.resource)
                    list.element { resourceItems in
                        resourceItems.object("resource") { Self.resource(&$0, groupResource) }
                        resourceItems.array(scopeItems) { scopeList in
                            for scopeGroup in group.scopes {
                                let groupScope = scope(scopeGroup.scope)
                                scopeList.element { scopeObject in
                                    scopeObject.object("scope") { Self.scope(&$0, groupScope) }
                                    scopeObject.array(itemsKey) { itemList in
                                        for index in scopeGroup.items { itemList.element { encode(&$0, index) } }
                                    }
                                    scopeObject.string("schemaUrl", groupScope.schemaURL ?? "")
                                }
                            }
                        }
                        resourceItems.string("schemaUrl", groupResource.schemaURL)
                    }
                }
            }
        }
        return writer.bytes
    }

    private static func resource(_ writer: inout JSONWriter, _ resource: Resource) {
        attributes(&writer, resource.attributes)
    }

    private static func scope(_ writer: inout JSONWriter, _ scope: InstrumentationScope) {
        writer.string("name", scope.name)
        writer.string("version", scope.version ?? "")
    }

    private static func attributes(_ writer: inout JSONWriter, _ attributes: Attributes, key: String = "attributes") {
        if !attributes.isEmpty {
            writer.array(key) { list in
                for attribute in attributes.entries {
                    list.element { keyValue in
                        keyValue.string("key", attribute.key)
                        keyValue.object("value") { anyValue(&$0, attribute.value) }
                    }
                }
            }
        }
        writer.number("droppedAttributesCount", attributes.droppedCount)
    }

    private static func attributeList(_ writer: inout JSONWriter, _ list: [Attribute]) {
        var attributes = Attributes(countLimit: Int.max)
        for attribute in list { attributes.set(attribute.key, attribute.value) }
        if !attributes.isEmpty { Self.attributes(&writer, attributes) }
    }

    /// AnyValue: a oneof, so written even when zero.
    private static func anyValue(_ writer: inout JSONWriter, _ value: AttributeValue) {
        func array<T>(_ items: [T], _ element: (inout JSONWriter, T) -> Void) {
            writer.object("arrayValue") { arrayValue in
                arrayValue.array("values") { list in
                    for item in items { list.element { element(&$0, item) } }
                }
            }
        }
        switch value {
        case .string(let text): writer.string("stringValue", text, always: true)
        case .bool(let flag): writer.bool("boolValue", flag, always: true)
        case .int(let number): writer.int64String("intValue", number, always: true)
        case .double(let number): writer.double("doubleValue", number, always: true)
        case .stringArray(let items): array(items) { $0.string("stringValue", $1, always: true) }
        case .boolArray(let items): array(items) { $0.bool("boolValue", $1, always: true) }
        case .intArray(let items): array(items) { $0.int64String("intValue", $1, always: true) }
        case .doubleArray(let items): array(items) { $0.double("doubleValue", $1, always: true) }
        }
    }

    private static func span(_ writer: inout JSONWriter, _ span: SpanData) {
        writer.string("traceId", span.context.traceId.hexString)
        writer.string("spanId", span.context.spanId.hexString)
        writer.string("traceState", span.context.traceState.headerValue)
        if let parent = span.parentContext { writer.string("parentSpanId", parent.spanId.hexString) }
        writer.number("flags", Int(OTLPTraceEncoder.flags(span.context.traceFlags, remote: span.parentContext?.isRemote ?? false)))
        writer.string("name", span.name)
        writer.number("kind", span.kind.rawValue + 1)
        writer.uint64String("startTimeUnixNano", span.startTime)
        writer.uint64String("endTimeUnixNano", span.endTime)
        attributes(&writer, span.attributes)
        if !span.events.isEmpty {
            writer.array("events") { list in
                for event in span.events {
                    list.element { eventObject in
                        eventObject.uint64String("timeUnixNano", event.timestamp)
                        eventObject.string("name", event.name)
                        attributes(&eventObject, event.attributes)
                    }
                }
            }
        }
        writer.number("droppedEventsCount", span.droppedEvents)
        if !span.links.isEmpty {
            writer.array("links") { list in
                for link in span.links {
                    list.element { linkObject in
                        linkObject.string("traceId", link.context.traceId.hexString)
                        linkObject.string("spanId", link.context.spanId.hexString)
                        linkObject.string("traceState", link.context.traceState.headerValue)
                        attributes(&linkObject, link.attributes)
                        linkObject.number("flags", Int(OTLPTraceEncoder.flags(link.context.traceFlags, remote: link.context.isRemote)))
                    }
                }
            }
        }
        writer.number("droppedLinksCount", span.droppedLinks)
        if span.status.code != .unset || span.status.description != nil {
            writer.object("status") { status in
                status.string("message", span.status.description ?? "")
                status.number("code", span.status.code.rawValue)
            }
        }
    }

    private static func logRecord(_ writer: inout JSONWriter, _ record: LogRecordData) {
        writer.uint64String("timeUnixNano", record.timestamp ?? 0)
        writer.uint64String("observedTimeUnixNano", record.observedTimestamp)
        writer.number("severityNumber", record.severityNumber)
        writer.string("severityText", record.severityText ?? "")
        if let body = record.body { writer.object("body") { anyValue(&$0, body) } }
        attributes(&writer, record.attributes)
        if let context = record.spanContext {
            writer.number("flags", Int(context.traceFlags.rawValue))
            writer.string("traceId", context.traceId.hexString)
            writer.string("spanId", context.spanId.hexString)
        }
        writer.string("eventName", record.eventName ?? "")
    }

    private static func metric(_ writer: inout JSONWriter, _ metric: MetricData) {
        writer.string("name", metric.name)
        writer.string("description", metric.description)
        writer.string("unit", metric.unit)
        let temporality = metric.temporality?.rawValue ?? 0
        switch metric.kind {
        case .gauge:
            writer.object("gauge") { gauge in
                gauge.array("dataPoints") { list in for point in metric.points { list.element { numberPoint(&$0, point) } } }
            }
        case .histogram:
            writer.object("histogram") { histogram in
                histogram.array("dataPoints") { list in for point in metric.points { list.element { histogramPoint(&$0, point) } } }
                histogram.number("aggregationTemporality", temporality)
            }
        case .counter, .upDownCounter:
            writer.object("sum") { sum in
                sum.array("dataPoints") { list in for point in metric.points { list.element { numberPoint(&$0, point) } } }
                sum.number("aggregationTemporality", temporality)
                sum.bool("isMonotonic", metric.isMonotonic)
            }
        }
    }

    private static func numberPoint(_ writer: inout JSONWriter, _ point: MetricPoint) {
        attributeList(&writer, point.attributes)
        writer.uint64String("startTimeUnixNano", point.startTime ?? 0)
        writer.uint64String("timeUnixNano", point.time)
        switch point.value {
        case .double(let value): writer.double("asDouble", value, always: true)
        case .int(let value): writer.int64String("asInt", value, always: true)
        case .histogram: break
        }
    }

    private static func histogramPoint(_ writer: inout JSONWriter, _ point: MetricPoint) {
        guard case .histogram(let value) = point.value else { return }
        attributeList(&writer, point.attributes)
        writer.uint64String("startTimeUnixNano", point.startTime ?? 0)
        writer.uint64String("timeUnixNano", point.time)
        writer.uint64String("count", value.count)
        writer.double("sum", value.sum, always: true)
        writer.array("bucketCounts") { list in for count in value.bucketCounts { list.uint64StringElement(count) } }
        writer.array("explicitBounds") { list in for bound in value.boundaries { list.doubleElement(bound) } }
        if value.count > 0 {
            writer.double("min", value.min, always: true)
            writer.double("max", value.max, always: true)
        }
    }
}

/// Writes compact JSON: objects and arrays opened by closures, members and
/// elements separated as they come.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Whether the innermost object or array has a member or element yet.
    private var hasItem: [Bool] = []

    private mutating func separate() {
        if let last = hasItem.last, last { bytes.append(UInt8(ascii: ",")) }
        if !hasItem.isEmpty { hasItem[hasItem.count - 1] = true }
    }

    private mutating func key(_ name: String) {
        separate()
        quoted(name)
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func quoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += Array("\\\"".utf8)
            case UInt8(ascii: "\\"): bytes += Array("\\\\".utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func scoped(_ open: Character, _ close: Character, _ body: (inout JSONWriter) -> Void) {
        bytes.append(UInt8(ascii: open.unicodeScalars.first!))
        hasItem.append(false)
        body(&self)
        hasItem.removeLast()
        bytes.append(UInt8(ascii: close.unicodeScalars.first!))
    }

    /// The top-level object.
    mutating func object(_ body: (inout JSONWriter) -> Void) { scoped("{", "}", body) }

    mutating func object(_ name: String, _ body: (inout JSONWriter) -> Void) {
        key(name)
        scoped("{", "}", body)
    }

    mutating func array(_ name: String, _ body: (inout JSONWriter) -> Void) {
        key(name)
        scoped("[", "]", body)
    }

    /// An object element of an array.
    mutating func element(_ body: (inout JSONWriter) -> Void) {
        separate()
        scoped("{", "}", body)
    }

    mutating func uint64StringElement(_ value: UInt64) {
        separate()
        quoted(String(value))
    }

    mutating func doubleElement(_ value: Double) {
        separate()
        writeDouble(value)
    }

    mutating func string(_ name: String, _ value: String, always: Bool = false) {
        guard !value.isEmpty || always else { return }
        key(name)
        quoted(value)
    }

    mutating func bool(_ name: String, _ value: Bool, always: Bool = false) {
        guard value || always else { return }
        key(name)
        bytes += Array((value ? "true" : "false").utf8)
    }

    mutating func number(_ name: String, _ value: Int) {
        guard value != 0 else { return }
        key(name)
        bytes += Array(String(value).utf8)
    }

    mutating func int64String(_ name: String, _ value: Int64, always: Bool = false) {
        guard value != 0 || always else { return }
        key(name)
        quoted(String(value))
    }

    mutating func uint64String(_ name: String, _ value: UInt64) {
        guard value != 0 else { return }
        key(name)
        quoted(String(value))
    }

    mutating func double(_ name: String, _ value: Double, always: Bool = false) {
        guard value != 0 || always else { return }
        key(name)
        writeDouble(value)
    }

    /// A JSON number, or the proto3 JSON strings for NaN and the infinities.
    private mutating func writeDouble(_ value: Double) {
        if value.isNaN { quoted("NaN") } else if value.isInfinite { quoted(value > 0 ? "Infinity" : "-Infinity") } else {
            bytes += Array("\(value)".utf8)
        }
    }
}
