import Foundation
import OTelTestSupport
import XCTest

/// otel-bootstrap on real programs: what they need, read from their ELF
/// dependencies without running them, and enabling and disabling plugins.
final class OtelBootstrapTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("otel-bootstrap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        chmod(scratch.path, 0o755)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// The build directory holding otel-bootstrap and otel-instrument.
    var products: URL {
        var directory = Bundle(for: OtelBootstrapTests.self).bundleURL
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("otel-bootstrap").path) {
            let parent = directory.deletingLastPathComponent()
            if parent == directory { break }
            directory = parent
        }
        return directory
    }

    var tool: String { products.appendingPathComponent("otel-bootstrap").path }
    var repositoryPlugins: String { PluginLoaderTests.repository.appendingPathComponent("plugins.d").path }

    /// Runs otel-bootstrap with the repository's plugins as the available ones.
    func bootstrap(_ arguments: [String], available: String? = nil, enabled: String? = nil,
                   environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let enabledDirectory = enabled ?? scratch.appendingPathComponent("enabled").path
        try FileManager.default.createDirectory(atPath: enabledDirectory, withIntermediateDirectories: true)
        let result = try runProgram(tool, ["--available", available ?? repositoryPlugins, "--enabled", enabledDirectory] + arguments,
                                    environment: ["PATH": "/usr/bin:/bin"].merging(environment) { $1 })
        return (result.status, result.stdout, result.stderr)
    }

    func requirements(_ program: String) throws -> [String] {
        let result = try bootstrap([program])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.split(separator: "\n").map(String.init)
    }

    func testProgramsGetThePluginsOfWhatTheyLoad() throws {
        XCTAssertEqual(try requirements("/usr/bin/sqlite3"), ["otel-native-process==0.1.0", "otel-native-sqlite3==0.1.0"])
        XCTAssertEqual(try requirements("/usr/bin/curl"), ["otel-native-curl==0.1.0", "otel-native-process==0.1.0"])
        XCTAssertEqual(try requirements("/bin/true"), ["otel-native-process==0.1.0"], "only the defaults")
        // python3 does not link libsqlite3: its sqlite3 module, which it dlopens, does.
        XCTAssertTrue(try requirements("/usr/bin/python3").contains("otel-native-sqlite3==0.1.0"))
        let nginx = "/usr/sbin/nginx"
        if FileManager.default.isExecutableFile(atPath: nginx) {
            XCTAssertTrue(try requirements(nginx).contains("otel-native-http-server==0.1.0"), "it accepts connections itself")
        }
        let listed = try bootstrap(["-a", "list", "/usr/bin/sqlite3"])
        let rows = listed.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        XCTAssertEqual(rows.first, ["LIBRARY", "VERSION", "PLUGIN", "STATUS"])
        let sqliteRow = try XCTUnwrap(rows.first { $0.first == "libsqlite3.so.0" })
        XCTAssertEqual(sqliteRow[2], "otel-native-sqlite3")
        XCTAssertEqual(sqliteRow.last, "available")
        let version = try runCommand("/usr/bin/sqlite3", ["--version"]).output.split(separator: " ").first.map(String.init)
        XCTAssertEqual(sqliteRow[1], version, "the version read from the library's file, as sqlite3 itself reports it")
        XCTAssertEqual(rows.first { $0.first == "libcurl.so.4" }?.suffix(2), ["not", "needed"])
        let missing = try bootstrap(["/no/such/program"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("/no/such/program: not found"), missing.stderr)
    }

    /// A library in a version outside its plugin's range is rejected, with the
    /// library, the version found and the range named (Python's bootstrap
    /// never rejects a range); the library is found through the program's
    /// DT_RUNPATH with $ORIGIN, as the loader would.
    func testALibraryOutsideItsPluginsRangeIsRejected() throws {
        let library = scratch.appendingPathComponent("lib/libfakelib.so.1").path
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("lib"), withIntermediateDirectories: true)
        let librarySource = scratch.appendingPathComponent("fakelib.c")
        try "const char fake_version_string[] = \"2.5.0\";\nint fake_call(void) { return 1; }\n".write(to: librarySource, atomically: true, encoding: .utf8)
        var built = try runCommand("/usr/bin/env", ["cc", "-shared", "-fPIC", "-Wl,-soname,libfakelib.so.1", "-o", library, librarySource.path])
        XCTAssertEqual(built.status, 0, built.output)
        let programSource = scratch.appendingPathComponent("uses_fakelib.c")
        try "int fake_call(void);\nint main(void) { return fake_call() - 1; }\n".write(to: programSource, atomically: true, encoding: .utf8)
        let program = scratch.appendingPathComponent("bin/uses_fakelib").path
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("bin"), withIntermediateDirectories: true)
        built = try runCommand("/usr/bin/env", ["cc", "-o", program, programSource.path, library, "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib"])
        XCTAssertEqual(built.status, 0, built.output)

        func catalog(_ constraint: String) throws -> String {
            let directory = scratch.appendingPathComponent("available-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try """
                [distribution]
                name = fake-instrumentation
                version = 1.0.0
                instruments = libfakelib.so.1 \(constraint)
                version_symbol = libfakelib.so.1:fake_version_string
                [otel_instrumentor]
                fake = libfake_plugin.so:fake_entry
                """.write(to: directory.appendingPathComponent("fake.ini"), atomically: true, encoding: .utf8)
            return directory.path
        }
        let rejected = try bootstrap([program], available: try catalog(">= 3"))
        XCTAssertEqual(rejected.status, 1)
        XCTAssertEqual(rejected.stdout, "", "not a requirement")
        XCTAssertTrue(rejected.stderr.contains("version conflict: libfakelib.so.1 2.5.0 is installed (\(library)); fake-instrumentation needs libfakelib.so.1 >= 3"),
                      rejected.stderr)
        let listed = try bootstrap(["-a", "list", program], available: try catalog(">= 3"))
        XCTAssertTrue(listed.stdout.contains("version conflict"), listed.stdout)
        let refused = try bootstrap(["-a", "install", program], available: try catalog(">= 3"))
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.appendingPathComponent("enabled").path), [])
        let accepted = try bootstrap([program], available: try catalog(">= 2, < 3"))
        XCTAssertEqual(accepted.stdout, "fake-instrumentation==1.0.0\n", accepted.stderr)
    }

    /// install then uninstall leaves plugins.d as it was; both are idempotent and
    /// leave alone what otel-bootstrap did not make; a world-writable plugins.d is refused.
    func testInstallThenUninstallLeavesPluginsDAsItWas() throws {
        let enabled = scratch.appendingPathComponent("plugins.d")
        try FileManager.default.createDirectory(at: enabled, withIntermediateDirectories: true)
        chmod(enabled.path, 0o755)
        // What an administrator put there: never touched.
        let own = try String(contentsOfFile: repositoryPlugins + "/distro.ini", encoding: .utf8)
        try own.write(to: enabled.appendingPathComponent("distro.ini"), atomically: true, encoding: .utf8)
        try own.write(to: enabled.appendingPathComponent("sqlite3.ini"), atomically: true, encoding: .utf8) // same name as a plugin's
        func snapshot() throws -> [String: String] {
            var files: [String: String] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: enabled.path) {
                files[name] = try String(contentsOf: enabled.appendingPathComponent(name), encoding: .utf8)
            }
            return files
        }
        let before = try snapshot()
        let installed = try bootstrap(["-a", "install", "/usr/bin/curl", "/usr/bin/sqlite3"], enabled: enabled.path)
        XCTAssertEqual(installed.status, 0, installed.stderr)
        XCTAssertTrue(installed.stdout.contains("otel-native-curl: enabled (\(enabled.path)/curl.ini)"), installed.stdout)
        XCTAssertTrue(installed.stdout.contains("otel-native-sqlite3: already enabled"), installed.stdout)
        let curl = try String(contentsOf: enabled.appendingPathComponent("curl.ini"), encoding: .utf8)
        XCTAssertTrue(curl.hasPrefix("# Enabled by otel-bootstrap from \(repositoryPlugins)/curl.ini\n"))
        XCTAssertTrue(curl.hasSuffix(try String(contentsOfFile: repositoryPlugins + "/curl.ini", encoding: .utf8)))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: enabled.path).contains { $0.hasPrefix(".") }, "no temporary file left")
        let again = try bootstrap(["-a", "install", "/usr/bin/curl"], enabled: enabled.path)
        XCTAssertTrue(again.stdout.contains("otel-native-curl: already enabled"), again.stdout)
        // The runtime reads what was enabled.
        let explain = try runProgram(products.appendingPathComponent("otel-instrument").path,
                                     ["--plugins_path", enabled.path, "--explain"], environment: ["PATH": "/usr/bin:/bin"])
        XCTAssertTrue(explain.stdout.contains("\(enabled.path)/curl.ini"), explain.stdout)

        let removed = try bootstrap(["-a", "uninstall", "/usr/bin/curl", "/usr/bin/sqlite3"], enabled: enabled.path)
        XCTAssertEqual(removed.status, 0, removed.stderr)
        XCTAssertTrue(removed.stdout.contains("otel-native-sqlite3: \(enabled.path)/sqlite3.ini was not made by otel-bootstrap; left as it is"), removed.stdout)
        XCTAssertEqual(try snapshot(), before, "plugins.d as it was")
        let twice = try bootstrap(["-a", "uninstall"], enabled: enabled.path)
        XCTAssertEqual(twice.status, 0)
        XCTAssertEqual(try snapshot(), before)

        chmod(enabled.path, 0o777)
        let unsafe = try bootstrap(["-a", "install", "/usr/bin/curl"], enabled: enabled.path)
        XCTAssertEqual(unsafe.status, 1)
        XCTAssertTrue(unsafe.stderr.contains("is world-writable"), unsafe.stderr)
        XCTAssertEqual(try snapshot(), before)
    }
}
