import COTelCore
import Foundation
@testable import OTelCore
import XCTest

/// Collects exported log records.
final class CollectingLogRecordExporter: LogRecordExporter, @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [LogRecordData] = []
    var records: [LogRecordData] { lock.withLock { collected } }

    func export(_ records: [LogRecordData]) -> ExportResult {
        lock.withLock { collected += records }
        return .success
    }

    func forceFlush(timeoutNanoseconds: UInt64) -> Bool { true }
    func shutdown(timeoutNanoseconds: UInt64) -> Bool { true }
}

final class LogsTests: XCTestCase {
    func makeLoggerProvider(limits: LogRecordLimits = LogRecordLimits()) -> (LoggerProvider, CollectingLogRecordExporter) {
        let exporter = CollectingLogRecordExporter()
        let processor = BatchLogRecordProcessor(exporter: exporter, configuration: BatchConfiguration(), diagnostics: Diagnostics(level: .none))
        let provider = LoggerProvider(resource: Resource(attributes: [Attribute("service.name", "reference")]), limits: limits,
                                      processors: [processor], diagnostics: Diagnostics(level: .none))
        return (provider, exporter)
    }

    /// A record emitted inside a span carries its trace id, span id and flags;
    /// outside any span, none. Limits drop and count attributes.
    func testRecordsCarryTheCurrentSpanAndTheirLimits() throws {
        var limits = LogRecordLimits()
        limits.attributeCount = 2
        let (provider, exporter) = makeLoggerProvider(limits: limits)
        let logger = provider.logger(name: "lib")
        let (tracerProvider, _) = makeProvider()
        let span = tracerProvider.tracer(name: "t").startSpan("work")
        let scope = span.makeCurrent()
        logger.emit(body: "inside", severityNumber: 9, attributes: [Attribute("a", 1), Attribute("b", 2), Attribute("c", 3)])
        scope.restore()
        span.end()
        logger.emit(body: "outside", severityNumber: 17, severityText: "ERROR")
        XCTAssertTrue(provider.forceFlush(timeoutNanoseconds: 5_000_000_000))
        let records = exporter.records
        XCTAssertEqual(records.map(\.body), [.string("inside"), .string("outside")])
        XCTAssertEqual(records[0].spanContext, span.context)
        XCTAssertNil(records[1].spanContext)
        XCTAssertEqual(records[0].attributes.count, 2)
        XCTAssertEqual(records[0].attributes.droppedCount, 1)
        XCTAssertGreaterThan(records[0].observedTimestamp, 0)
        XCTAssertNil(records[0].timestamp)
        XCTAssertTrue(provider.shutdown(timeoutNanoseconds: 1_000_000_000))
        logger.emit(body: "after shutdown")
        XCTAssertEqual(exporter.records.count, 2)
    }

    /// Through the C API, as plugins emit.
    func testTheCAPIEmits() throws {
        let (provider, exporter) = makeLoggerProvider()
        let logger = provider.logger(name: "plugin")
        "key".withCString { key in
            "value".withCString { value in
                var attribute = otel_attribute()
                attribute.key = key
                attribute.type = OTEL_ATTRIBUTE_STRING
                attribute.value.string_value = value
                otel_log_emit(logger.cLogger, 13, "WARN", "from C", [attribute], 1)
            }
        }
        otel_log_emit(nil, 13, nil, "ignored", nil, 0)
        XCTAssertTrue(provider.forceFlush(timeoutNanoseconds: 5_000_000_000))
        let record = try XCTUnwrap(exporter.records.first)
        XCTAssertEqual(record.body, .string("from C"))
        XCTAssertEqual(record.severityNumber, 13)
        XCTAssertEqual(record.severityText, "WARN")
        XCTAssertEqual(record.attributes["key"], .string("value"))
        XCTAssertEqual(record.scope.name, "plugin")
    }

    /// ConsoleLogRecordExporter's output equals OpenTelemetry Python's, line for line.
    func testConsoleOutputEqualsOpenTelemetryPython() throws {
        let script = ConsoleExporterInteropTests.repository.appendingPathComponent("Tests/interop/python_console_logs.py")
        let python = try runProgram("/usr/bin/env", ["python3", script.path], environment: ProcessInfo.processInfo.environment)
        XCTAssertEqual(python.status, 0, "OpenTelemetry Python must be installed (pip install opentelemetry-sdk): \(python.stderr)")
        let resource = Resource(attributes: [Attribute("service.name", "reference")])
        let scope = InstrumentationScope(name: "lib", version: "1.0", schemaURL: "https://s")
        var attributes = Attributes()
        for attribute in [Attribute("disk", "sda"), Attribute("pct", 93), Attribute("ratio", 0.5), Attribute("ok", false)] {
            attributes.set(attribute.key, attribute.value)
        }
        let context = SpanContext(traceId: TraceId(hex: "0af7651916cd43dd8448eb211c80319c")!, spanId: SpanId(hex: "00f067aa0ba902b7")!,
                                  traceFlags: TraceFlags(rawValue: 3))
        let records = [
            LogRecordData(timestamp: 1732540800123456789, observedTimestamp: 1732540800999999000, severityNumber: 13, severityText: "WARN",
                          body: "disk almost full", attributes: attributes, spanContext: context, eventName: "disk.alert",
                          scope: scope, resource: resource),
            LogRecordData(timestamp: nil, observedTimestamp: 1732540801000000000, severityNumber: 9, severityText: nil, body: "no span",
                          attributes: Attributes(), spanContext: nil, eventName: nil, scope: scope, resource: resource),
        ]
        let ours = records.map { ConsoleLogRecordExporter.render($0) + "\n" }.joined()
        XCTAssertEqual(ours, python.stdout)
        for (index, (a, b)) in zip(ours.split(separator: "\n"), python.stdout.split(separator: "\n")).enumerated() where a != b {
            XCTFail("first difference at line \(index + 1):\n ours:   \(a)\n python: \(b)")
            break
        }
    }
}
