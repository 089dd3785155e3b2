import Foundation
@testable import OTelCore
import XCTest

/// The console exporter's output equals OpenTelemetry Python's
/// ConsoleSpanExporter output for the same spans, byte for byte: same keys in
/// the same order, same value formats (ids, kinds, times, trace state, floats,
/// escaping). Python's rendering comes from the real SDK (pip package
/// opentelemetry-sdk, installed by .ci/run).
final class ConsoleExporterInteropTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func fixedSpans() -> [SpanData] {
        var resource = Resource(attributes: [
            Attribute("service.name", "checkout"),
            Attribute("process.pid", 4242),
            Attribute("deployment.environment", "staging \"blue\""),
        ], schemaURL: "https://opentelemetry.io/schemas/1.26.0")
        resource.schemaURL = "https://opentelemetry.io/schemas/1.26.0"
        let traceId = TraceId(hex: "0af7651916cd43dd8448eb211c80319c")!
        let parent = SpanContext(traceId: traceId, spanId: SpanId(hex: "b7ad6b7169203331")!, traceFlags: .sampled, isRemote: true)
        let context = SpanContext(traceId: traceId, spanId: SpanId(hex: "00f067aa0ba902b7")!, traceFlags: .sampled,
                                  traceState: TraceState(entries: [.init(key: "vendor", value: "v1"), .init(key: "other", value: "it's")])!)
        let linked = SpanContext(traceId: TraceId(hex: "4bf92f3577b34da6a3ce929d0e0e4736")!, spanId: SpanId(hex: "53995c3f42cd8ad8")!, isRemote: true)
        var attributes = Attributes()
        let values: [(String, AttributeValue)] = [
            ("http.request.method", "GET"),
            ("text", "line\nbreak \"quoted\" back\\slash tab\t café 日本 🎉"),
            ("flag", true), ("count", -42), ("ratio", 0.1), ("tiny", 1e-05), ("huge", 1e16), ("round", 123.0),
            ("strings", .stringArray(["a", "b"])), ("bools", .boolArray([true, false])),
            ("ints", .intArray([1, -2, 3])), ("doubles", .doubleArray([1.5, -0.25])), ("empty", .stringArray([])),
        ]
        for (key, value) in values { attributes.set(key, value) }
        func attrs(_ pairs: [(String, AttributeValue)]) -> Attributes {
            var result = Attributes()
            for (key, value) in pairs { result.set(key, value) }
            return result
        }
        let full = SpanData(
            name: "GET /items", context: context, parentContext: parent, kind: .server,
            scope: InstrumentationScope(name: "test"), resource: resource,
            startTime: 1732540800000001000, endTime: 1732540801500000500, attributes: attributes,
            events: [
                SpanEvent(name: "exception", timestamp: 1732540800123456789,
                          attributes: attrs([("exception.type", "ValueError"), ("exception.message", "bad")])),
                SpanEvent(name: "plain", timestamp: 1732540800999999999, attributes: Attributes()),
            ],
            droppedEvents: 0, links: [SpanLink(context: linked, attributes: attrs([("link.kind", "follows")]))],
            droppedLinks: 0, status: SpanStatus(code: .error, description: "boom"))
        let minimal = SpanData(
            name: "root", context: SpanContext(traceId: TraceId(high: 0, low: 1), spanId: SpanId(2), traceFlags: .sampled),
            parentContext: nil, kind: .internal, scope: InstrumentationScope(name: "test"), resource: Resource(),
            startTime: 1, endTime: 999, attributes: Attributes(), events: [], droppedEvents: 0, links: [], droppedLinks: 0,
            status: SpanStatus(code: .ok, description: "ignored"))
        return [full, minimal]
    }

    func testOutputEqualsOpenTelemetryPython() throws {
        let script = Self.repository.appendingPathComponent("Tests/interop/python_console_span.py")
        let python = try runProgram("/usr/bin/env", ["python3", script.path], environment: ProcessInfo.processInfo.environment)
        XCTAssertEqual(python.status, 0, "OpenTelemetry Python must be installed (pip install opentelemetry-sdk): \(python.stderr)")
        let ours = Self.fixedSpans().map { ConsoleSpanExporter.render($0) + "\n" }.joined()
        XCTAssertEqual(ours, python.stdout)
        if ours != python.stdout {
            for (index, (a, b)) in zip(ours.split(separator: "\n"), python.stdout.split(separator: "\n")).enumerated() where a != b {
                XCTFail("first difference at line \(index + 1):\n ours:   \(a)\n python: \(b)")
                break
            }
        }
    }

    /// The console exporters' dates, computed without glibc's gmtime_r (whose
    /// lock a forked child could wait on forever), are gmtime_r's: every day
    /// from 1900 to 2400 (leap years and centuries), at a time of day that
    /// changes with it, and instants around the epoch.
    func testUTCCalendarIsGmtimes() {
        var checked = 0
        for day in stride(from: Int64(-25_567), through: 157_000, by: 1) {
            for seconds in [day * 86_400 + (day * 7_919) % 86_400, day * 86_400, day * 86_400 + 86_399] {
                var time = time_t(seconds)
                var parts = tm()
                XCTAssertNotNil(gmtime_r(&time, &parts))
                let computed = utcCalendar(seconds: seconds)
                guard computed == (Int64(parts.tm_year) + 1900, Int64(parts.tm_mon) + 1, Int64(parts.tm_mday), Int64(parts.tm_hour),
                                   Int64(parts.tm_min), Int64(parts.tm_sec)) else {
                    return XCTFail("\(seconds): \(computed) against gmtime_r's \(parts)")
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 182_568 * 3)
        XCTAssertEqual(isoTimestamp(nanoseconds: 1_796_680_410_123_456_789), "2026-12-07T21:53:30.123457Z")
    }

    func testPythonFloatRepr() {
        let cases: [(Double, String)] = [
            (0.1, "0.1"), (1e-05, "1e-05"), (0.0001, "0.0001"), (1e16, "1e+16"), (1e15, "1000000000000000.0"),
            (123.0, "123.0"), (-0.25, "-0.25"), (1.5e300, "1.5e+300"), (5e-324, "5e-324"), (123456789.125, "123456789.125"),
            (0, "0.0"), (.infinity, "Infinity"), (-.infinity, "-Infinity"), (.nan, "NaN"),
        ]
        for (value, expected) in cases { XCTAssertEqual(pythonFloat(value, json: true), expected, "\(value)") }
    }

    func testConsoleOutputDestinationFromEnvironment() {
        func destination(_ value: String) -> ConsoleDestination {
            ConsoleDestination(config: ConfigReader(environment: Environment(["OTEL_NATIVE_CONSOLE_OUTPUT": value]), diagnostics: Diagnostics(level: .none)))
        }
        XCTAssertEqual(destination("stderr"), .standardError)
        XCTAssertEqual(destination("STDOUT"), .standardOutput)
        XCTAssertEqual(destination("/tmp/spans.json"), .file("/tmp/spans.json"))
        XCTAssertEqual(destination("spans"), .standardOutput)
    }
}
