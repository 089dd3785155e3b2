import Foundation
import XCTest

/// Runs the example program as a user would and checks what they see: the
/// spans exported once at exit, one trace with the right parents, the
/// program's exit status, and diagnostics on stderr.
final class ExampleProgramTests: XCTestCase {
    let example = builtProduct("otel-example")

    /// Splits concatenated pretty-printed JSON objects.
    func spans(in text: String) throws -> [[String: Any]] {
        try text.components(separatedBy: "\n}\n").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }.map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(($0 + "\n}").utf8)) as? [String: Any])
        }
    }

    func baseEnvironment(_ extra: [String: String]) -> [String: String] {
        var environment = ["PATH": "/usr/bin:/bin", "OTEL_TRACES_EXPORTER": "console", "OTEL_METRICS_EXPORTER": "none",
                           "OTEL_LOGS_EXPORTER": "none"]
        environment.merge(extra) { $1 }
        return environment
    }

    func testSpansAreExportedOnceAtExitAsOneTrace() throws {
        let result = try runProgram(example.path, [], environment: baseEnvironment(["OTEL_SERVICE_NAME": "report-job"]))
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stderr, "")
        let spans = try spans(in: result.stdout)
        XCTAssertEqual(spans.map { $0["name"] as? String }, ["SELECT items", "SELECT items", "SELECT items", "render", "nightly-report"])
        let contexts = spans.map { $0["context"] as! [String: String] }
        XCTAssertEqual(Set(contexts.map { $0["trace_id"]! }).count, 1, "one trace")
        XCTAssertEqual(Set(contexts.map { $0["span_id"]! }).count, 5, "each span once")
        let root = spans[4]
        XCTAssertTrue(root["parent_id"] is NSNull)
        for child in spans[0..<4] {
            XCTAssertEqual(child["parent_id"] as? String, contexts[4]["span_id"])
        }
        XCTAssertEqual((spans[2]["status"] as? [String: String]), ["status_code": "ERROR", "description": "no such row"])
        let render = spans[3]["attributes"] as! [String: Any]
        let traceparent = try XCTUnwrap(render["propagated.traceparent"] as? String)
        XCTAssertEqual(traceparent, "00-\(contexts[3]["trace_id"]!.dropFirst(2))-\(contexts[3]["span_id"]!.dropFirst(2))-03")
        let resource = (root["resource"] as! [String: Any])["attributes"] as! [String: Any]
        XCTAssertEqual(resource["service.name"] as? String, "report-job")
        XCTAssertEqual(resource["process.executable.name"] as? String, "otel-example")
    }

    func testConsoleOutputCanGoToStderrOrAFile() throws {
        let toStderr = try runProgram(example.path, [], environment: baseEnvironment(["OTEL_NATIVE_CONSOLE_OUTPUT": "stderr"]))
        XCTAssertEqual(toStderr.stdout, "")
        XCTAssertEqual(try spans(in: toStderr.stderr).count, 5)

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("otel-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let toFile = try runProgram(example.path, [], environment: baseEnvironment(["OTEL_NATIVE_CONSOLE_OUTPUT": file.path]))
        XCTAssertEqual(toFile.stdout, "")
        XCTAssertEqual(try spans(in: String(contentsOf: file, encoding: .utf8)).count, 5)
    }

    func testInvalidSettingsWarnOnceAndTheProgramRunsOn() throws {
        var environment = baseEnvironment(ConfigurationTests.invalidValues)
        environment["OTEL_TRACES_EXPORTER"] = "console,fax"
        environment["OTEL_LOG_LEVEL"] = "info"
        let result = try runProgram(example.path, [], environment: environment)
        XCTAssertEqual(result.status, 0)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("otel-native: ") }, result.stderr)
        XCTAssertEqual(Set(lines).count, lines.count, "each message once")
        for name in ConfigurationTests.invalidValues.keys where !ConfigurationTests.invalidValues[name]!.isEmpty
            && !["OTEL_LOG_LEVEL", "OTEL_TRACES_SAMPLER_ARG", "OTEL_TRACES_EXPORTER"].contains(name) {
            XCTAssertEqual(lines.filter { $0.contains(name) }.count, 1, "\(name): \(result.stderr)")
        }
        XCTAssertEqual(try spans(in: result.stdout).count, 5, "the defaults still export")
    }

    func testDisabledSdkEmitsNothing() throws {
        let result = try runProgram(example.path, [], environment: baseEnvironment(["OTEL_SDK_DISABLED": "true"]))
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "")
    }

    /// An exporter stuck at exit (console output to a FIFO nobody reads) adds
    /// at most OTEL_NATIVE_SHUTDOWN_TIMEOUT to the exit.
    func testExitIsBoundedWhenTheExporterHangs() throws {
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("otel-fifo-\(UUID().uuidString)")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        defer { try? FileManager.default.removeItem(at: fifo) }
        let start = Date()
        let result = try runProgram(example.path, [], environment: baseEnvironment([
            "OTEL_NATIVE_CONSOLE_OUTPUT": fifo.path, "OTEL_NATIVE_SHUTDOWN_TIMEOUT": "300",
        ]))
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(result.status, 0)
        XCTAssertLessThan(elapsed, 3.0, "exit waited \(elapsed) s")
        XCTAssertTrue(result.stderr.contains("otel-native: warning: shutdown timed out"), result.stderr)
    }
}

/// The example program's real console output, parsed by Python's json module
/// with key order kept, against a span exported by OpenTelemetry Python's
/// ConsoleSpanExporter: same keys, same order, same value formats.
final class ConsoleFormatAgainstPythonTests: XCTestCase {
    func testExampleOutputHasPythonsKeysInOrder() throws {
        let output = try runProgram(builtProduct("otel-example").path, [], environment: ["OTEL_TRACES_EXPORTER": "console", "PATH": "/usr/bin:/bin"])
        XCTAssertEqual(output.status, 0)
        let script = ConsoleExporterInteropTests.repository.appendingPathComponent("Tests/interop/compare_console_keys.py")
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("otel-spans-\(UUID().uuidString).json")
        try output.stdout.write(to: input, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: input) }
        let check = try runProgram("/bin/sh", ["-c", "python3 \"$0\" < \"$1\"", script.path, input.path],
                                   environment: ProcessInfo.processInfo.environment)
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertEqual(check.stdout, "5 spans match the ConsoleSpanExporter format\n")
    }
}
