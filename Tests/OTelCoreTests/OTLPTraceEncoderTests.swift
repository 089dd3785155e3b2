import COTelCore
import Foundation
@testable import OTelCore
import XCTest

/// Our OTLP protobuf, decoded by the official opentelemetry-proto package.
final class OTLPTraceEncoderTests: XCTestCase {
    func decode(_ bytes: [UInt8]) throws -> [String: Any] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("otlp-\(UUID().uuidString).bin")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = ConsoleExporterInteropTests.repository.appendingPathComponent("Tests/interop/decode_otlp_traces.py")
        let result = try runProgram("/usr/bin/env", ["python3", script.path, file.path],
                                    environment: ProcessInfo.processInfo.environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    func testEveryFieldRoundTripsThroughTheOfficialDecoder() throws {
        let spans = ConsoleExporterInteropTests.fixedSpans()
        let request = try decode(OTLPTraceEncoder.encode(spans))
        let resourceSpans = try XCTUnwrap(request["resource_spans"] as? [[String: Any]])
        XCTAssertEqual(resourceSpans.count, 2, "two resources")
        let first = resourceSpans[0]
        XCTAssertEqual(first["schema_url"] as? String, "https://opentelemetry.io/schemas/1.26.0")
        let resourceAttributes = try XCTUnwrap((first["resource"] as? [String: Any])?["attributes"] as? [[String: Any]])
        XCTAssertEqual(resourceAttributes.map { $0["key"] as? String }, ["service.name", "process.pid", "deployment.environment"])
        XCTAssertEqual((resourceAttributes[1]["value"] as? [String: Any])?["int_value"] as? String, "4242", "int64 as a JSON string")
        let scopeSpans = try XCTUnwrap(first["scope_spans"] as? [[String: Any]])
        XCTAssertEqual((scopeSpans[0]["scope"] as? [String: Any])?["name"] as? String, "test")
        let span = try XCTUnwrap((scopeSpans[0]["spans"] as? [[String: Any]])?.first)
        // JSON mapping of bytes is base64.
        XCTAssertEqual(span["trace_id"] as? String, hexBytes("0af7651916cd43dd8448eb211c80319c").base64EncodedString())
        XCTAssertEqual(span["span_id"] as? String, hexBytes("00f067aa0ba902b7").base64EncodedString())
        XCTAssertEqual(span["parent_span_id"] as? String, hexBytes("b7ad6b7169203331").base64EncodedString())
        XCTAssertEqual(span["trace_state"] as? String, "vendor=v1,other=it's")
        XCTAssertEqual(span["name"] as? String, "GET /items")
        XCTAssertEqual(span["kind"] as? String, "SPAN_KIND_SERVER")
        XCTAssertEqual(span["start_time_unix_nano"] as? String, "1732540800000001000")
        XCTAssertEqual(span["end_time_unix_nano"] as? String, "1732540801500000500")
        XCTAssertEqual(span["flags"] as? Int, 0x301, "sampled, parent known to be remote")
        XCTAssertEqual(span["status"] as? [String: String], ["message": "boom", "code": "STATUS_CODE_ERROR"])
        let attributes = try XCTUnwrap(span["attributes"] as? [[String: Any]])
        func value(_ key: String) -> [String: Any]? { attributes.first { $0["key"] as? String == key }?["value"] as? [String: Any] }
        XCTAssertEqual(attributes.count, 13)
        XCTAssertEqual(value("text")?["string_value"] as? String, "line\nbreak \"quoted\" back\\slash tab\t café 日本 🎉")
        XCTAssertEqual(value("flag")?["bool_value"] as? Bool, true)
        XCTAssertEqual(value("count")?["int_value"] as? String, "-42")
        XCTAssertEqual(value("ratio")?["double_value"] as? Double, 0.1)
        func elements(_ key: String) -> [[String: Any]] {
            let array = value(key)?["array_value"] as? [String: Any]
            return array?["values"] as? [[String: Any]] ?? []
        }
        XCTAssertEqual(elements("ints").map { $0["int_value"] as? String }, ["1", "-2", "3"])
        XCTAssertEqual(elements("bools").map { $0["bool_value"] as? Bool }, [true, false])
        XCTAssertEqual(elements("doubles").map { $0["double_value"] as? Double }, [1.5, -0.25])
        XCTAssertEqual(elements("strings").map { $0["string_value"] as? String }, ["a", "b"])
        XCTAssertNotNil(value("empty")?["array_value"], "an empty array is still an array")
        let events = try XCTUnwrap(span["events"] as? [[String: Any]])
        XCTAssertEqual(events.map { $0["name"] as? String }, ["exception", "plain"])
        XCTAssertEqual(events[0]["time_unix_nano"] as? String, "1732540800123456789")
        let link = try XCTUnwrap((span["links"] as? [[String: Any]])?.first)
        XCTAssertEqual(link["flags"] as? Int, 0x300, "not sampled, remote")
        XCTAssertEqual((link["attributes"] as? [[String: Any]])?.first?["key"] as? String, "link.kind")
        let rootScopes = resourceSpans[1]["scope_spans"] as? [[String: Any]]
        let root = try XCTUnwrap((rootScopes?.first?["spans"] as? [[String: Any]])?.first)
        XCTAssertNil(root["parent_span_id"])
        XCTAssertEqual(root["flags"] as? Int, 0x101, "a root's parent is known not to be remote")
        XCTAssertEqual(root["status"] as? [String: String], ["code": "STATUS_CODE_OK"])
    }

    /// Items of interleaved resources and scopes: one group per resource, one
    /// per scope within it, items in their order (what ResourceSpans and
    /// ScopeSpans are built from).
    func testItemsAreGroupedByResourceThenScopeWhateverTheirOrder() {
        let resources = [Resource(attributes: [Attribute("service.name", "a")]), Resource(attributes: [Attribute("service.name", "b")])]
        let scopes = [InstrumentationScope(name: "x"), InstrumentationScope(name: "y")]
        let items: [(resource: Int, scope: Int)] = [(0, 0), (1, 0), (0, 1), (0, 0), (1, 0), (0, 1), (1, 1)]
        let groups = OTLPCommon.groups(count: items.count, sameResource: { resources[items[$0].resource] == resources[items[$1].resource] },
                                       sameScope: { scopes[items[$0].scope] == scopes[items[$1].scope] })
        XCTAssertEqual(groups.map(\.resource), [0, 1])
        XCTAssertEqual(groups[0].scopes.map(\.scope), [0, 2])
        XCTAssertEqual(groups[0].scopes.map(\.items), [[0, 3], [2, 5]])
        XCTAssertEqual(groups[1].scopes.map(\.scope), [1, 6])
        XCTAssertEqual(groups[1].scopes.map(\.items), [[1, 4], [6]])
    }

    /// A batch large enough for 3-byte message lengths (the writer moves a
    /// message up when its length outgrows the byte it kept), several scopes.
    func testLargeBatchesDecode() throws {
        let template = ConsoleExporterInteropTests.fixedSpans()[0]
        let spans = (0..<300).map { index -> SpanData in
            var span = template
            span.name = "span \(index)"
            span.scope = InstrumentationScope(name: "scope \(index % 3)")
            return span
        }
        let request = try decode(OTLPTraceEncoder.encode(spans))
        let scopeSpans = try XCTUnwrap((request["resource_spans"] as? [[String: Any]])?.first?["scope_spans"] as? [[String: Any]])
        XCTAssertEqual(scopeSpans.map { ($0["scope"] as? [String: Any])?["name"] as? String }, ["scope 0", "scope 1", "scope 2"])
        let names = scopeSpans.flatMap { ($0["spans"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } }
        XCTAssertEqual(names.count, 300)
        XCTAssertEqual(Set(names), Set((0..<300).map { "span \($0)" }))
    }

    /// Strings are written as all their UTF-8 bytes: a NUL inside one does not
    /// end it, and short (inline) and long (heap) strings alike.
    func testStringsKeepEveryByte() throws {
        let (provider, exporter) = makeProvider()
        let span = provider.tracer(name: "t").startSpan("s", parent: .root)
        span.setAttribute("with nul", "before\u{0}after")
        span.setAttribute("short", "é")
        span.setAttribute(String(repeating: "k", count: 40), .string(String(repeating: "日本", count: 30)))
        span.end()
        let decoded = try decode(OTLPTraceEncoder.encode(exporter.spans))
        let resourceSpans = decoded["resource_spans"] as? [[String: Any]]
        let scopeSpans = resourceSpans?.first?["scope_spans"] as? [[String: Any]]
        let attributes = try XCTUnwrap((scopeSpans?.first?["spans"] as? [[String: Any]])?.first?["attributes"] as? [[String: Any]])
        let pairs = attributes.map { ($0["key"] as? String ?? "", ($0["value"] as? [String: Any])?["string_value"] as? String ?? "") }
        XCTAssertEqual(pairs.map(\.0), ["with nul", "short", String(repeating: "k", count: 40)])
        XCTAssertEqual(pairs.map(\.1), ["before\u{0}after", "é", String(repeating: "日本", count: 30)])
    }

    /// Whether the encoder writes `logged` from its bytes (rather than converting it first).
    func encodesAsWritten(_ logged: LoggedAttributes) -> Bool {
        var writer = ProtobufWriter()
        return logged.encode(into: &writer, field: 9)
    }

    /// A span whose attributes a plugin set is encoded from their logged bytes
    /// when the log is plain: the bytes must be those its converted attributes
    /// give; a log that is not plain (a key twice, a non-ASCII value, more than
    /// the count limit) is converted first.
    func testLoggedAttributesEncodeAsConverted() throws {
        var limits = SpanLimits()
        limits.attributeCount = 3
        let (provider, exporter) = makeProvider(limits: limits)
        OTelSDK.install(SDKState(diagnostics: Diagnostics(level: .none), tracerProvider: provider, propagator: TraceContextPropagator()))
        let names: [String] = ["url.path", "/a?b", "server.port", "flag", "ratio", "twice", "café", "more",
                               "crème brûlée", String(repeating: "x", count: 20) + "é", "schlüssel", "a.long.key.with.ümlaut"]
        let texts = try names.map { name in try XCTUnwrap(strdup(name)) }
        defer { texts.forEach { free($0) } }
        let plain = [otel_attribute_string(texts[0], texts[1]), otel_attribute_int(texts[2], 8080)]
        let cases: [(attributes: [otel_attribute], isPlain: Bool)] = [
            (plain, true),
            ([otel_attribute_int(texts[2], -1)], true), // a scalar's bytes are not text
            (plain + [otel_attribute_string(texts[0], texts[0])], false), // a key twice
            ([otel_attribute_string(texts[5], texts[6])], false), // not ASCII: short,
            ([otel_attribute_string(texts[5], texts[8])], false), // from 8 to 16 bytes,
            ([otel_attribute_string(texts[5], texts[9])], false), // longer (its last byte),
            ([otel_attribute_string(texts[10], texts[1])], false), // a key,
            ([otel_attribute_string(texts[11], texts[1])], false), // a longer key
            (plain + [otel_attribute_int(texts[3], 1), otel_attribute_int(texts[4], 2), otel_attribute_int(texts[7], 3)], false), // over the limit
        ]
        for (attributes, isPlain) in cases {
            var span = otel_span()
            otel_span_start(nil, "s", OTEL_SPAN_KIND_SERVER, otel_context_root(), &span)
            var batch = attributes
            otel_span_set_attributes(&span, &batch, batch.count)
            otel_span_set_bool(&span, texts[3], true)
            otel_span_end(&span)
        }
        XCTAssertEqual(exporter.spans.count, cases.count)
        for (logged, expected) in zip(exporter.spans, cases) {
            XCTAssertEqual(try encodesAsWritten(XCTUnwrap(logged.logged)), expected.isPlain)
            var converted = logged
            converted.attributes = logged.attributes
            XCTAssertNil(converted.logged)
            XCTAssertEqual(OTLPTraceEncoder.encode([logged]), OTLPTraceEncoder.encode([converted]))
        }
        let decoded = try decode(OTLPTraceEncoder.encode([exporter.spans[0]]))
        let resourceSpans = decoded["resource_spans"] as? [[String: Any]]
        let scopeSpans = resourceSpans?.first?["scope_spans"] as? [[String: Any]]
        let attributes = try XCTUnwrap((scopeSpans?.first?["spans"] as? [[String: Any]])?.first?["attributes"] as? [[String: Any]])
        XCTAssertEqual(attributes.map { $0["key"] as? String }, ["url.path", "server.port", "flag"])
        XCTAssertEqual((attributes[0]["value"] as? [String: Any])?["string_value"] as? String, "/a?b")
        XCTAssertEqual((attributes[1]["value"] as? [String: Any])?["int_value"] as? String, "8080")
        XCTAssertEqual((attributes[2]["value"] as? [String: Any])?["bool_value"] as? Bool, true)
    }

    /// Every value type a plain log holds, keys and values of each length the
    /// writer copies its own way (under 8 bytes, 8 to 16, more), and lengths that
    /// take two-byte varints (a long key, a long value, a message over 127
    /// bytes), written from the log's bytes: the same bytes as the converted attributes.
    func testPlainLogsOfEveryValueTypeEncodeAsConverted() throws {
        let (provider, exporter) = makeProvider()
        OTelSDK.install(SDKState(diagnostics: Diagnostics(level: .none), tracerProvider: provider, propagator: TraceContextPropagator()))
        let names: [String] = ["empty", "", "long", String(repeating: "v", count: 200), "negative", "large", "ratio", "off",
                               String(repeating: "k", count: 130), "short", "server.address", "example.com"]
        let texts = try names.map { name in try XCTUnwrap(strdup(name)) }
        defer { texts.forEach { free($0) } }
        var double = otel_attribute(key: texts[6], type: OTEL_ATTRIBUTE_DOUBLE, value: .init())
        double.value.double_value = -0.25
        var off = otel_attribute(key: texts[7], type: OTEL_ATTRIBUTE_BOOL, value: .init())
        off.value.bool_value = false
        var batch = [otel_attribute_string(texts[0], texts[1]), otel_attribute_string(texts[2], texts[3]),
                     otel_attribute_int(texts[4], -5), otel_attribute_int(texts[5], Int64.max), double, off,
                     otel_attribute_string(texts[8], texts[9]), otel_attribute_string(texts[10], texts[11])]
        var span = otel_span()
        otel_span_start(nil, "s", OTEL_SPAN_KIND_SERVER, otel_context_root(), &span)
        otel_span_set_attributes(&span, &batch, batch.count)
        otel_span_end(&span)
        let logged = try XCTUnwrap(exporter.spans.first)
        XCTAssertEqual(try encodesAsWritten(XCTUnwrap(logged.logged)), true)
        var converted = logged
        converted.attributes = logged.attributes
        XCTAssertEqual(OTLPTraceEncoder.encode([logged]), OTLPTraceEncoder.encode([converted]))
        let decoded = try decode(OTLPTraceEncoder.encode([logged]))
        let resourceSpans = decoded["resource_spans"] as? [[String: Any]]
        let scopeSpans = resourceSpans?.first?["scope_spans"] as? [[String: Any]]
        let attributes = try XCTUnwrap((scopeSpans?.first?["spans"] as? [[String: Any]])?.first?["attributes"] as? [[String: Any]])
        XCTAssertEqual(attributes.map { $0["key"] as? String }, ["empty", "long", "negative", "large", "ratio", "off", names[8], "server.address"])
        XCTAssertEqual((attributes[1]["value"] as? [String: Any])?["string_value"] as? String, names[3])
        XCTAssertEqual((attributes[2]["value"] as? [String: Any])?["int_value"] as? String, "-5")
        XCTAssertEqual((attributes[4]["value"] as? [String: Any])?["double_value"] as? Double, -0.25)
    }

    /// A log of more attributes than the C encoder looks through (64), within
    /// the count limit, is converted first and written whole.
    func testLogsOfMoreThanSixtyFourAttributesAreConverted() throws {
        let (provider, exporter) = makeProvider()
        OTelSDK.install(SDKState(diagnostics: Diagnostics(level: .none), tracerProvider: provider, propagator: TraceContextPropagator()))
        let keys = try (0..<65).map { index in try XCTUnwrap(strdup("key.\(index)")) }
        defer { keys.forEach { free($0) } }
        var span = otel_span()
        otel_span_start(nil, "s", OTEL_SPAN_KIND_SERVER, otel_context_root(), &span)
        for (index, key) in keys.enumerated() { otel_span_set_int(&span, key, Int64(index)) }
        otel_span_end(&span)
        let logged = try XCTUnwrap(exporter.spans.first)
        XCTAssertEqual(try encodesAsWritten(XCTUnwrap(logged.logged)), false)
        let decoded = try decode(OTLPTraceEncoder.encode([logged]))
        let resourceSpans = decoded["resource_spans"] as? [[String: Any]]
        let scopeSpans = resourceSpans?.first?["scope_spans"] as? [[String: Any]]
        let attributes = try XCTUnwrap((scopeSpans?.first?["spans"] as? [[String: Any]])?.first?["attributes"] as? [[String: Any]])
        XCTAssertEqual(attributes.map { $0["key"] as? String }, (0..<65).map { "key.\($0)" })
        XCTAssertEqual((attributes[64]["value"] as? [String: Any])?["int_value"] as? String, "64")
    }

    /// Requests whose writers expect 64 KiB or more, so that each keeps its
    /// storage for the next (ProtobufWriter): one after another, a smaller one in the kept storage
    /// and a larger one in new storage decode whole; the same spans give the
    /// same bytes whether lent or copied.
    func testLargeRequestsInKeptStorageDecodeWhole() throws {
        let (provider, exporter) = makeProvider()
        let tracer = provider.tracer(name: "t")
        for index in 0..<1_500 {
            let span = tracer.startSpan("GET", parent: .root)
            span.setAttribute("url.path", .string("/items/\(index)"))
            span.setAttribute("http.response.status_code", .int(200))
            span.end()
        }
        for count in [600, 300, 1_500] {
            let spans = Array(exporter.spans.prefix(count))
            let bytes = OTLPTraceEncoder.encode(spans)
            XCTAssertGreaterThan(bytes.count, 16 * 1024)
            XCTAssertEqual(OTLPTraceEncoder.encode(spans) { Array($0) }, bytes)
            let decoded = try decode(bytes)
            let resourceSpans = decoded["resource_spans"] as? [[String: Any]]
            let scopeSpans = resourceSpans?.first?["scope_spans"] as? [[String: Any]]
            let decodedSpans = try XCTUnwrap(scopeSpans?.first?["spans"] as? [[String: Any]])
            XCTAssertEqual(decodedSpans.count, count)
            let last = try XCTUnwrap(decodedSpans.last?["attributes"] as? [[String: Any]])
            XCTAssertEqual((last.first?["value"] as? [String: Any])?["string_value"] as? String, "/items/\(count - 1)")
        }
    }

    func testDroppedCountsAreCarried() throws {
        var limits = SpanLimits()
        limits.attributeCount = 1
        limits.eventCount = 0
        let (provider, exporter) = makeProvider(limits: limits)
        let span = provider.tracer(name: "t").startSpan("s", parent: .root)
        span.setAttribute("a", 1)
        span.setAttribute("b", 2)
        span.addEvent("e")
        span.end()
        let decoded = try decode(OTLPTraceEncoder.encode(exporter.spans))
        let resourceSpans = decoded["resource_spans"] as? [[String: Any]]
        let scopeSpans = resourceSpans?.first?["scope_spans"] as? [[String: Any]]
        let encoded = try XCTUnwrap((scopeSpans?.first?["spans"] as? [[String: Any]])?.first)
        XCTAssertEqual(encoded["dropped_attributes_count"] as? Int, 1)
        XCTAssertEqual(encoded["dropped_events_count"] as? Int, 1)
    }
}

/// The bytes a hexadecimal string spells (ids as the wire carries them: big-endian).
func hexBytes(_ hex: String) -> Data {
    var bytes = Data()
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        bytes.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}
