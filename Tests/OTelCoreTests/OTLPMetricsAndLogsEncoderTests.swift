import Foundation
@testable import OTelCore
import XCTest

/// Our OTLP metrics and logs protobuf, decoded by the official opentelemetry-proto package.
final class OTLPMetricsAndLogsEncoderTests: XCTestCase {
    func decode(_ signal: String, _ bytes: [UInt8]) throws -> [String: Any] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("otlp-\(UUID().uuidString).bin")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = ConsoleExporterInteropTests.repository.appendingPathComponent("Tests/interop/decode_otlp_request.py")
        let result = try runProgram("/usr/bin/env", ["python3", script.path, signal, file.path],
                                    environment: ProcessInfo.processInfo.environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    func testEveryKindOfMetricRoundTrips() throws {
        let exporter = CollectingMetricExporter()
        let provider = MeterProvider(resource: Resource(attributes: [Attribute("service.name", "svc")]), exporters: [exporter],
                                     intervalNanoseconds: 3_600_000_000_000, temporality: .delta, diagnostics: Diagnostics(level: .none))
        let meter = provider.meter(name: "lib", version: "2.0", schemaURL: "https://s")
        let every: [Attribute] = [Attribute("s", "x"), Attribute("b", true), Attribute("i", 7), Attribute("d", 0.5),
                                  Attribute("sa", .stringArray(["p", "q"])), Attribute("ia", .intArray([1, 2]))]
        meter.counter("c", unit: "1", description: "count").record(Int64(3), attributes: every)
        meter.upDownCounter("u", isDouble: true).record(-1.5)
        meter.histogram("h", unit: "s", boundaries: [1, 2]).record(1.5)
        meter.gauge("g", isDouble: false).record(Int64(0))
        let request = try decode("metrics", OTLPMetricsEncoder.encode(provider.collect(), resource: provider.resource))
        let resourceMetrics = try XCTUnwrap((request["resource_metrics"] as? [[String: Any]])?.first)
        let scope = try XCTUnwrap((resourceMetrics["scope_metrics"] as? [[String: Any]])?.first)
        XCTAssertEqual((scope["scope"] as? [String: Any])?["version"] as? String, "2.0")
        XCTAssertEqual(scope["schema_url"] as? String, "https://s")
        let metrics = Dictionary(uniqueKeysWithValues: (scope["metrics"] as? [[String: Any]] ?? []).map { ($0["name"] as! String, $0) })
        let sum = try XCTUnwrap(metrics["c"]?["sum"] as? [String: Any])
        XCTAssertEqual(sum["is_monotonic"] as? Bool, true)
        XCTAssertEqual(sum["aggregation_temporality"] as? String, "AGGREGATION_TEMPORALITY_DELTA")
        let point = try XCTUnwrap((sum["data_points"] as? [[String: Any]])?.first)
        XCTAssertEqual(point["as_int"] as? String, "3")
        XCTAssertEqual((point["attributes"] as? [[String: Any]])?.compactMap { $0["key"] as? String }, ["b", "d", "i", "ia", "s", "sa"])
        let upDown = try XCTUnwrap(metrics["u"]?["sum"] as? [String: Any])
        XCTAssertNil(upDown["is_monotonic"], "false is the default and not written")
        XCTAssertEqual(upDown["aggregation_temporality"] as? String, "AGGREGATION_TEMPORALITY_CUMULATIVE")
        XCTAssertEqual((upDown["data_points"] as? [[String: Any]])?.first?["as_double"] as? Double, -1.5)
        let histogram = try XCTUnwrap((metrics["h"]?["histogram"] as? [String: Any])?["data_points"] as? [[String: Any]])
        XCTAssertEqual(histogram.first?["bucket_counts"] as? [String], ["0", "1", "0"])
        XCTAssertEqual(histogram.first?["explicit_bounds"] as? [Double], [1, 2])
        XCTAssertEqual(histogram.first?["sum"] as? Double, 1.5)
        XCTAssertEqual(histogram.first?["min"] as? Double, 1.5)
        XCTAssertEqual(histogram.first?["max"] as? Double, 1.5)
        let gauge = try XCTUnwrap((metrics["g"]?["gauge"] as? [String: Any])?["data_points"] as? [[String: Any]])
        XCTAssertEqual(gauge.first?["as_int"] as? String, "0", "a zero value is still written (oneof)")
        XCTAssertNil(gauge.first?["start_time_unix_nano"])
    }

    func testLogRecordsRoundTrip() throws {
        let context = SpanContext(traceId: TraceId(hex: "0af7651916cd43dd8448eb211c80319c")!, spanId: SpanId(hex: "00f067aa0ba902b7")!,
                                  traceFlags: .sampled)
        var attributes = Attributes()
        attributes.set("k", .int(1))
        let records = [
            LogRecordData(timestamp: 5, observedTimestamp: 6, severityNumber: 17, severityText: "ERROR", body: "boom",
                          attributes: attributes, spanContext: context, eventName: "app.crash",
                          scope: InstrumentationScope(name: "lib"), resource: Resource(attributes: [Attribute("service.name", "svc")])),
            LogRecordData(timestamp: nil, observedTimestamp: 7, severityNumber: 0, severityText: nil, body: .intArray([1, 2]),
                          attributes: Attributes(), spanContext: nil, eventName: nil,
                          scope: InstrumentationScope(name: "lib"), resource: Resource(attributes: [Attribute("service.name", "svc")])),
        ]
        let request = try decode("logs", OTLPLogsEncoder.encode(records))
        let resourceLogs = try XCTUnwrap(request["resource_logs"] as? [[String: Any]])
        XCTAssertEqual(resourceLogs.count, 1, "one resource, one scope")
        let decoded = try XCTUnwrap((resourceLogs.first?["scope_logs"] as? [[String: Any]])?.first?["log_records"] as? [[String: Any]])
        XCTAssertEqual(decoded.count, 2)
        XCTAssertEqual(decoded[0]["time_unix_nano"] as? String, "5")
        XCTAssertEqual(decoded[0]["observed_time_unix_nano"] as? String, "6")
        XCTAssertEqual(decoded[0]["severity_number"] as? String, "SEVERITY_NUMBER_ERROR")
        XCTAssertEqual(decoded[0]["severity_text"] as? String, "ERROR")
        XCTAssertEqual((decoded[0]["body"] as? [String: Any])?["string_value"] as? String, "boom")
        XCTAssertEqual(decoded[0]["trace_id"] as? String, hexBytes("0af7651916cd43dd8448eb211c80319c").base64EncodedString())
        XCTAssertEqual(decoded[0]["span_id"] as? String, hexBytes("00f067aa0ba902b7").base64EncodedString())
        XCTAssertEqual(decoded[0]["flags"] as? Int, 1)
        XCTAssertEqual(decoded[0]["event_name"] as? String, "app.crash")
        XCTAssertNil(decoded[1]["trace_id"])
        XCTAssertNotNil((decoded[1]["body"] as? [String: Any])?["array_value"])
    }
}
