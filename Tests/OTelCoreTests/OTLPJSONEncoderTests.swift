import Foundation
@testable import OTelCore
import XCTest

/// The OTLP JSON encoding says exactly what the protobuf encoding says: both
/// are decoded by the official opentelemetry-proto package and compared.
final class OTLPJSONEncoderTests: XCTestCase {
    func assertSameMessage(_ signal: String, protobuf: [UInt8], json: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws {
        let directory = FileManager.default.temporaryDirectory
        let protobufFile = directory.appendingPathComponent("otlp-\(UUID().uuidString).bin")
        let jsonFile = directory.appendingPathComponent("otlp-\(UUID().uuidString).json")
        try Data(protobuf).write(to: protobufFile)
        try Data(json).write(to: jsonFile)
        defer {
            try? FileManager.default.removeItem(at: protobufFile)
            try? FileManager.default.removeItem(at: jsonFile)
        }
        let script = ConsoleExporterInteropTests.repository.appendingPathComponent("Tests/interop/compare_otlp_encodings.py")
        let result = try runProgram("/usr/bin/env", ["python3", script.path, signal, protobufFile.path, jsonFile.path],
                                    environment: ProcessInfo.processInfo.environment)
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
    }

    func testTracesMatchTheProtobufEncoding() throws {
        let spans = ConsoleExporterInteropTests.fixedSpans()
        try assertSameMessage("traces", protobuf: OTLPTraceEncoder.encode(spans), json: OTLPJSONEncoder.traces(spans))
    }

    func testMetricsMatchTheProtobufEncoding() throws {
        let provider = MeterProvider(resource: Resource(attributes: [Attribute("service.name", "svc")]), exporters: [CollectingMetricExporter()],
                                     intervalNanoseconds: 3_600_000_000_000, diagnostics: Diagnostics(level: .none))
        let meter = provider.meter(name: "lib", version: "2.0", schemaURL: "https://s")
        meter.counter("c").record(Int64(3), attributes: [Attribute("s", "x\"y\n"), Attribute("d", 0.25), Attribute("b", .boolArray([true]))])
        meter.upDownCounter("u", isDouble: true).record(-1.5)
        meter.histogram("h", boundaries: [1, 2]).record(1.5)
        meter.gauge("g", isDouble: false).record(Int64(0))
        let metrics = provider.collect()
        try assertSameMessage("metrics", protobuf: OTLPMetricsEncoder.encode(metrics, resource: provider.resource),
                              json: OTLPJSONEncoder.metrics(metrics, resource: provider.resource))
    }

    func testLogsMatchTheProtobufEncoding() throws {
        let context = SpanContext(traceId: TraceId(hex: "0af7651916cd43dd8448eb211c80319c")!, spanId: SpanId(hex: "00f067aa0ba902b7")!,
                                  traceFlags: .sampled)
        var attributes = Attributes()
        attributes.set("k", .intArray([1, -2]))
        let records = [
            LogRecordData(timestamp: 5, observedTimestamp: 6, severityNumber: 17, severityText: "ERROR", body: "boom ✓",
                          attributes: attributes, spanContext: context, eventName: "app.crash",
                          scope: InstrumentationScope(name: "lib"), resource: Resource(attributes: [Attribute("service.name", "svc")])),
            LogRecordData(timestamp: nil, observedTimestamp: 7, severityNumber: 0, severityText: nil, body: .double(.infinity),
                          attributes: Attributes(), spanContext: nil, eventName: nil,
                          scope: InstrumentationScope(name: "lib"), resource: Resource(attributes: [Attribute("service.name", "svc")])),
        ]
        try assertSameMessage("logs", protobuf: OTLPLogsEncoder.encode(records), json: OTLPJSONEncoder.logs(records))
    }
}
