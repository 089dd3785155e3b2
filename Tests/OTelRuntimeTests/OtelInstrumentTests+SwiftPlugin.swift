import Foundation
import XCTest

/// The example Swift plugin, built out of tree with SwiftPM against
/// OTelPluginKit as a third party would, then dropped into a plugins.d.
extension OtelInstrumentTests {
    func testTheSwiftExamplePluginBuildsOutOfTreeAndLoads() throws {
        let instrument = self
        let example = PluginLoaderTests.repository.appendingPathComponent("Examples/swift-plugin")
        let scratch = instrument.scratch.appendingPathComponent("build")
        let build = try runCommand("/usr/bin/env", ["swift", "build", "--package-path", example.path, "--scratch-path", scratch.path],
                                   environment: ProcessInfo.processInfo.environment)
        XCTAssertEqual(build.status, 0, build.output)
        let plugins = instrument.scratch.appendingPathComponent("plugins.d")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        chmod(plugins.path, 0o755)
        try FileManager.default.copyItem(at: scratch.appendingPathComponent("debug/libExampleSwiftPlugin.so"),
                                         to: plugins.appendingPathComponent("libExampleSwiftPlugin.so"))
        try FileManager.default.copyItem(at: example.appendingPathComponent("example-swift-plugin.ini"),
                                         to: plugins.appendingPathComponent("example-swift-plugin.ini"))

        // A C program (python3) instrumented by a Swift plugin: the span arrives, and no
        // Swift runtime crash handler replaced the program's signal dispositions.
        let probe = "import signal; print([str(signal.getsignal(s)) for s in (signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGTRAP)])"
        let plain = try instrument.run(["python3", "-c", probe], instrumented: false)
        let result = try instrument.run(["--plugins_path", plugins.path, "--traces_exporter", "console",
                                         "--console_output", "stderr", "python3", "-c", probe])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, plain.stdout, "signal dispositions unchanged")
        XCTAssertTrue(result.stderr.contains("\"name\": \"example-swift-plugin instrumented\""), result.stderr)
        XCTAssertTrue(result.stderr.contains("\"example.language\": \"swift\""), result.stderr)

        // A Swift error thrown by the plugin is one warning; the program runs.
        let failing = try instrument.run(["--plugins_path", plugins.path, "--traces_exporter", "console", "--example_swift_fail", "true",
                                          "/bin/echo", "ran"])
        XCTAssertEqual(failing.status, 0)
        XCTAssertEqual(failing.stdout, "ran\n")
        XCTAssertEqual(failing.stderr.split(separator: "\n").map(String.init), [
            "otel-native: warning: example-swift-plugin: asked to fail",
            "otel-native: warning: [otel_instrumentor] example_swift (\(plugins.path)/example-swift-plugin.ini:7): failed: instrument() returned -1",
        ])
    }
}
