import COTelPlugin
import Foundation
import OTelTestSupport
import OTelCore
@testable import OTelRuntime
import XCTest

/// Builds plugins out of tree with the system C compiler against the headers
/// alone, drops them into a plugins.d and loads them, as a third party would.
final class PluginLoaderTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    var pluginsDirectory: URL!

    override func setUpWithError() throws {
        pluginsDirectory = try makeScratchDirectory("otel-plugins")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: pluginsDirectory)
    }

    /// Compiles C source into `library` inside the plugins directory.
    func compile(_ source: String, into library: String) throws {
        let sourceFile = pluginsDirectory.appendingPathComponent(library + ".c")
        try source.write(to: sourceFile, atomically: false, encoding: .utf8)
        try compileFile(sourceFile.path, into: library)
    }

    func compileFile(_ path: String, into library: String) throws {
        let result = try runCommand("/usr/bin/env", ["cc", "-shared", "-fPIC", "-fvisibility=hidden",
                                                    "-I", try Self.installedHeaders().path,
                                                    "-o", pluginsDirectory.appendingPathComponent(library).path, path])
        XCTAssertEqual(result.status, 0, result.output)
    }

    /// A directory holding only the two public headers, as `make install` lays
    /// them out in include/otel-native: a third party needs nothing else.
    /// Copied once per test process, into a new directory (a directory named
    /// after the pid could be a stale one of an earlier run with older headers).
    static func installedHeaders() throws -> URL {
        try headersCopy.get()
    }

    private static let headersCopy = Result<URL, any Error> {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("otel-native-include-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for header in ["COTelCore/include/otel_core.h", "COTelPlugin/include/otel_plugin.h"] {
            let source = repository.appendingPathComponent("Sources").appendingPathComponent(header)
            try FileManager.default.copyItem(at: source, to: directory.appendingPathComponent(source.lastPathComponent))
        }
        return directory
    }

    func writeManifest(_ name: String, _ text: String) throws {
        try text.write(to: pluginsDirectory.appendingPathComponent(name), atomically: false, encoding: .utf8)
    }

    func load(_ entryName: String) throws -> Result<LoadedPlugin, PluginLoadFailure> {
        let catalog = PluginCatalog.scan(directories: [pluginsDirectory.path], diagnostics: Diagnostics(level: .none), secureExecution: false)
        let entry = try XCTUnwrap(catalog.entries.first { $0.name == entryName })
        guard let path = PluginSearchPath.resolveLibrary(entry.library, manifestPath: entry.location.file, libraryDirectory: nil,
                                                         fileSystem: .live) else {
            return .failure(.libraryNotFound(entry.library))
        }
        return PluginLoader.load(entry, libraryPath: path)
    }

    func failure(_ result: Result<LoadedPlugin, PluginLoadFailure>) -> PluginLoadFailure? {
        if case .failure(let failure) = result { return failure }
        return nil
    }

    func testTheExampleCPluginBuildsOutOfTreeLoadsAndInstruments() throws {
        let example = Self.repository.appendingPathComponent("Examples/c-plugin")
        try compileFile(example.appendingPathComponent("example_plugin.c").path, into: "libexample_c_plugin.so")
        try FileManager.default.copyItem(at: example.appendingPathComponent("example-c-plugin.ini"),
                                         to: pluginsDirectory.appendingPathComponent("example-c-plugin.ini"))
        let exporter = CollectingSpans()
        OTelSDK.install(SDKState(diagnostics: Diagnostics(level: .none),
                                 tracerProvider: TracerProvider(resource: Resource(), sampler: AlwaysOnSampler(),
                                                                processors: [SimpleSpanProcessor(exporter: exporter)], diagnostics: Diagnostics(level: .none)),
                                 propagator: TraceContextPropagator()))
        let plugin = try load("example_c").get()
        XCTAssertEqual(plugin.name, "example-c-plugin")
        let descriptor = plugin.descriptor.pointee
        XCTAssertEqual(descriptor.instruments?.pointee.map { String(cString: $0) }, "libc.so.6 >= 2.17")
        XCTAssertEqual(descriptor.instrument?(descriptor.state, HostTable.shared), 0)
        XCTAssertEqual(exporter.names, ["example-c-plugin instrumented"])
    }

    func testAWrongABIVersionIsRefusedBeforeAnythingRuns() throws {
        try compile("""
            #include <stdint.h>
            #include <stdlib.h>
            __attribute__((visibility("default"))) const uint32_t otel_plugin_abi = 2u << 16;
            __attribute__((visibility("default"))) const void *otel_future_entry(const void *host) { abort(); }
            """, into: "libfuture.so")
        try writeManifest("future.ini", "[distribution]\nname = future\n[otel_instrumentor]\nfuture = libfuture.so:otel_future_entry\n")
        guard case .failure(let failure) = try load("future") else { return XCTFail("loaded a plugin of ABI 2") }
        XCTAssertEqual(failure, .abiMismatch(found: 2 << 16, host: HostTable.hostABI))
        XCTAssertEqual(failure.description, "built for plugin ABI 2.0, this host speaks 1.5 (same major, minor at most the host's)")
    }

    func testALibraryWithoutTheABISymbolIsNotAPlugin() throws {
        try compile("int unrelated(void) { return 1; }", into: "libplain.so")
        try writeManifest("plain.ini", "[distribution]\nname = plain\n[otel_instrumentor]\nplain = libplain.so:unrelated\n")
        guard case .failure(.notAPlugin) = try load("plain") else { return XCTFail("loaded a library that is no plugin") }
    }

    func testMissingEntrySymbolAndMissingLibrary() throws {
        try compile("#include <otel_plugin.h>\nOTEL_PLUGIN_DECLARE_ABI();\n", into: "libnoentry.so")
        try writeManifest("noentry.ini", """
            [distribution]
            name = noentry
            [otel_instrumentor]
            noentry = libnoentry.so:otel_missing_entry
            gone = libgone.so:otel_gone_entry
            """)
        XCTAssertEqual(try failure(load("noentry")), .missingSymbol("otel_missing_entry"))
        XCTAssertEqual(try failure(load("gone")), .libraryNotFound("libgone.so"))
    }

    func testAWorldWritableLibraryIsRefused() throws {
        try compile("#include <otel_plugin.h>\nOTEL_PLUGIN_DECLARE_ABI();\n", into: "libopen.so")
        chmod(pluginsDirectory.appendingPathComponent("libopen.so").path, 0o777)
        try writeManifest("open.ini", "[distribution]\nname = open\n[otel_instrumentor]\nopen = libopen.so:otel_open_entry\n")
        guard case .failure(.untrusted(let reason)) = try load("open") else { return XCTFail("loaded a world-writable library") }
        XCTAssertTrue(reason.hasSuffix("libopen.so is world-writable"), reason)
    }
}

/// Span names exported through a simple processor.
final class CollectingSpans: SpanExporter, @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []
    var names: [String] { lock.withLock { collected } }
    func export(_ spans: [SpanData]) -> ExportResult {
        lock.withLock { collected += spans.map(\.name) }
        return .success
    }
    func forceFlush(timeoutNanoseconds: UInt64) -> Bool { true }
    func shutdown(timeoutNanoseconds: UInt64) -> Bool { true }
}

/// Runs a command (compilers, make, readelf…) to completion.
func runCommand(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProgramResult {
    try runProgram(executable, arguments, environment: environment)
}
