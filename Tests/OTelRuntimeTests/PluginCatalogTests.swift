import Foundation
import OTelCore
import OTelRuntime
import OTelTestSupport
import XCTest

/// Scanning real directories on disk.
final class PluginCatalogTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = try makeScratchDirectory("otel-plugins")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    @discardableResult
    func directory(_ name: String, mode: mode_t = 0o755) throws -> String {
        let url = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        chmod(url.path, mode)
        return url.path
    }

    func manifest(_ directory: String, _ file: String, _ text: String, mode: mode_t = 0o644) throws {
        let path = directory + "/" + file
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode)
    }

    func scan(_ directories: [String]) -> (PluginCatalog, [String]) {
        let captured = LockedLines()
        let diagnostics = Diagnostics(level: .debug) { captured.append($0) }
        let catalog = PluginCatalog.scan(directories: directories, diagnostics: diagnostics, secureExecution: false)
        return (catalog, captured.lines)
    }

    func testEarlierDirectoriesWinWithAWarning() throws {
        let first = try directory("first")
        let second = try directory("second")
        try manifest(first, "a.ini", "[distribution]\nname = a\n[otel_traces_exporter]\nconsole = libA.so:otel_a\n")
        try manifest(second, "a.ini", "[distribution]\nname = a\n[otel_traces_exporter]\nconsole = libA2.so:otel_a2\n")
        try manifest(second, "b.ini", "[distribution]\nname = b\n[otel_traces_exporter]\nconsole = libB.so:otel_b\nother = libB.so:otel_other\n")
        try manifest(second, "notes.txt", "not a manifest")
        let (catalog, lines) = scan([first, second, root.appendingPathComponent("absent").path])
        XCTAssertEqual(catalog.manifests.map(\.distributionName), ["a", "b"])
        XCTAssertEqual(catalog.entries(in: .tracesExporter).map(\.library), ["libA.so", "libB.so"])
        XCTAssertTrue(lines.contains { $0.contains("distribution a is already provided by \(first)/a.ini") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.contains("[otel_traces_exporter] console is already provided at \(first)/a.ini:4") }, "\(lines)")
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("otel-native: ") })
    }

    func testWorldWritableFilesAndDirectoriesAreRefused() throws {
        let open = try directory("open", mode: 0o777)
        try manifest(open, "x.ini", "[distribution]\nname = x\n")
        let sticky = try directory("sticky", mode: 0o1777)
        try manifest(sticky, "s.ini", "[distribution]\nname = s\n")
        let normal = try directory("normal")
        try manifest(normal, "w.ini", "[distribution]\nname = w\n", mode: 0o666)
        try manifest(normal, "ok.ini", "[distribution]\nname = ok\n")
        let (catalog, lines) = scan([open, sticky, normal])
        XCTAssertEqual(catalog.manifests.map(\.distributionName), ["s", "ok"], "sticky /tmp-like directories are fine")
        XCTAssertTrue(lines.contains { $0.contains("refusing the plugin directory: \(open) is world-writable without the sticky bit") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.contains("refusing the manifest: \(normal)/w.ini is world-writable") }, "\(lines)")
    }

    func testSecureExecutionLoadsNothing() throws {
        let normal = try directory("normal")
        try manifest(normal, "ok.ini", "[distribution]\nname = ok\n")
        let catalog = PluginCatalog.scan(directories: [normal], diagnostics: Diagnostics(level: .none), secureExecution: true)
        XCTAssertTrue(catalog.manifests.isEmpty)
    }

    func testParseProblemsNameFileAndLine() throws {
        let normal = try directory("normal")
        try manifest(normal, "bad.ini", "[distribution]\nname = bad\n[otel_instrumentor]\nbroken = nothing-here\nfine = libF.so:otel_f\n")
        let (catalog, lines) = scan([normal])
        XCTAssertEqual(catalog.entries.map(\.name), ["fine"])
        XCTAssertTrue(lines.contains { $0.contains("\(normal)/bad.ini:4: expected `broken = library.so:symbol`") }, "\(lines)")
    }

    func testSearchPathOrder() {
        let config = ConfigReader(environment: Environment(["OTEL_NATIVE_PLUGINS_PATH": "/a::/b:/a"]), diagnostics: Diagnostics(level: .none))
        XCTAssertEqual(PluginSearchPath.directories(config: config, installedPrefix: "/usr/local", developmentTree: "/src/otel-native"),
                       ["/a", "/b", "/usr/local/etc/otel-native/plugins.d", "/src/otel-native/plugins.d"])
    }

    func testLibrariesResolveBesideTheManifestThenInTheLibraryDirectory() throws {
        let manifests = try directory("plugins.d")
        let libraries = try directory("lib")
        FileManager.default.createFile(atPath: manifests + "/libLocal.so", contents: Data())
        FileManager.default.createFile(atPath: libraries + "/libShared.so", contents: Data())
        let manifestPath = manifests + "/m.ini"
        func resolve(_ name: String) -> String? {
            PluginSearchPath.resolveLibrary(name, manifestPath: manifestPath, libraryDirectory: libraries, fileSystem: .live)
        }
        XCTAssertEqual(resolve("libLocal.so"), manifests + "/libLocal.so")
        XCTAssertEqual(resolve("libShared.so"), libraries + "/libShared.so")
        XCTAssertEqual(resolve("../lib/libShared.so"), manifests + "/../lib/libShared.so")
        XCTAssertNil(resolve("libMissing.so"))
    }
}

/// Lines collected from several threads.
final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    var lines: [String] { lock.withLock { storage } }
    func append(_ line: String) { lock.withLock { storage.append(line) } }
}
