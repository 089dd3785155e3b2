import OTelRuntime
import XCTest

final class ManifestParserTests: XCTestCase {
    let sqlite = """
        # The SQLite instrumentation.
        [distribution]
        name = otel-native-sqlite3
        version = 0.1.0
        instruments = libsqlite3.so.0 >= 3.7, < 4

        [otel_instrumentor]
        sqlite3 = libOTelSQLite3.so:otel_sqlite3_instrumentor

        ; variables the plugin reads
        [otel_environment_variables]
        OTEL_NATIVE_SQLITE3_CAPTURE_PARAMETERS = false | record bound parameters as attributes
        OTEL_NATIVE_SQLITE3_NOTE = free text, no default
        """

    func testAWellFormedManifest() throws {
        let (manifest, problems) = ManifestParser.parse(sqlite, path: "/p/sqlite3.ini")
        XCTAssertEqual(problems, [])
        XCTAssertEqual(manifest.distributionName, "otel-native-sqlite3")
        XCTAssertEqual(manifest.distributionVersion, "0.1.0")
        XCTAssertEqual(manifest.entries.count, 1)
        let entry = try XCTUnwrap(manifest.entries.first)
        XCTAssertEqual(entry.group, .instrumentor)
        XCTAssertEqual(entry.name, "sqlite3")
        XCTAssertEqual(entry.library, "libOTelSQLite3.so")
        XCTAssertEqual(entry.symbol, "otel_sqlite3_instrumentor")
        XCTAssertEqual(entry.location.description, "/p/sqlite3.ini:8")
        let instruments = try XCTUnwrap(manifest.instruments.first)
        XCTAssertEqual(instruments.soname, "libsqlite3.so.0")
        XCTAssertEqual(instruments.description, "libsqlite3.so.0 >= 3.7, < 4")
        XCTAssertTrue(instruments.isSatisfied(by: Version("3.40.1")!))
        XCTAssertFalse(instruments.isSatisfied(by: Version("3.6.23")!))
        XCTAssertFalse(instruments.isSatisfied(by: Version("4.0")!), "a range rejects what lies above it")
        XCTAssertEqual(manifest.variables.map(\.name), ["OTEL_NATIVE_SQLITE3_CAPTURE_PARAMETERS", "OTEL_NATIVE_SQLITE3_NOTE"])
        XCTAssertEqual(manifest.variables[0].defaultValue, "false")
        XCTAssertEqual(manifest.variables[0].description, "record bound parameters as attributes")
        XCTAssertNil(manifest.variables[1].defaultValue)
    }

    /// Each kind of error names file:line and what was expected; only that line is skipped.
    func testEachErrorIsReportedAndOnlyItsLineSkipped() {
        let text = """
            orphan = libA.so:a
            [distribution]
            name = broken
            colour = blue
            instruments = libz.so.1 ~= 1.2
            [otel_instrumentor]
            good = libGood.so:otel_good
            noequals libX.so:x
            nocolon = libX.so
            badsymbol = libX.so:1abc
            notalibrary = foo:bar
            bad name = libX.so:x
            good = libOther.so:otel_other
            [otel_unknown_group]
            skipped = libS.so:s
            [otel_environment_variables]
            lowercase_var = 1 | nope
            [unterminated
            also = libGood2.so:otel_good2
            [otel_traces_exporter]
            console2 = libC.so:otel_console
            """
        let (manifest, problems) = ManifestParser.parse(text, path: "m.ini")
        XCTAssertEqual(manifest.entries.map(\.name), ["good", "console2"])
        XCTAssertEqual(problems.map(\.location.line), [1, 4, 5, 8, 9, 10, 11, 12, 13, 14, 17, 18])
        let messages = problems.map(\.description)
        XCTAssertTrue(messages[0].hasPrefix("m.ini:1: `orphan` comes before any section"), messages[0])
        XCTAssertTrue(messages[1].contains("unknown key `colour` in [distribution]"))
        XCTAssertTrue(messages[2].contains("expected `instruments = library.so.N"))
        XCTAssertTrue(messages[3].contains("expected `name = value`"))
        XCTAssertTrue(messages[4].contains("expected `nocolon = library.so:symbol`"))
        XCTAssertTrue(messages[8].contains("duplicate entry `good`"))
        XCTAssertTrue(messages[9].contains("unknown section [otel_unknown_group]"))
        XCTAssertTrue(messages[10].contains("not an environment variable name"))
        XCTAssertTrue(messages[11].contains("expected a section header"))
    }

    func testMissingDistributionNameFallsBackToTheFileName() {
        let (manifest, problems) = ManifestParser.parse("[otel_distro]\ndefault = libD.so:otel_distro\n", path: "/x/my-distro.ini")
        XCTAssertEqual(manifest.distributionName, "my-distro")
        XCTAssertEqual(problems.count, 1)
        XCTAssertEqual(manifest.entries.count, 1)
    }

    func testVersions() {
        XCTAssertEqual(Version("3.7"), Version("3.7.0"))
        XCTAssertLessThan(Version("3.9")!, Version("3.10")!)
        XCTAssertNil(Version("3.x"))
        XCTAssertNil(Version(""))
        XCTAssertNil(Version("1..2"))
    }

    /// The keys otel-bootstrap reads, and what is wrong with bad ones.
    func testBootstrapKeys() {
        let (manifest, problems) = ManifestParser.parse("""
            [distribution]
            name = detected
            version_symbol = libsqlite3.so.0:sqlite3_version
            version_prefix = libcurl.so.4:libcurl/
            detect_imports = accept, accept4
            may_dlopen = python3* $ORIGIN/../lib/python3*/lib-dynload/_sqlite3*.so
            version_symbol = libsqlite3.so.0:not-an-identifier
            detect_imports = accept(
            may_dlopen = python3* relative/module.so
            """, path: "detected.ini")
        XCTAssertEqual(manifest.detection.versionSymbols, ["libsqlite3.so.0": "sqlite3_version"])
        XCTAssertEqual(manifest.detection.versionPrefixes, ["libcurl.so.4": "libcurl/"])
        XCTAssertEqual(manifest.detection.imports, ["accept", "accept4"])
        XCTAssertEqual(manifest.detection.dlopened, [DlopenedModules(program: "python3*", module: "$ORIGIN/../lib/python3*/lib-dynload/_sqlite3*.so")])
        XCTAssertEqual(problems.map(\.location.line), [7, 8, 9])
        XCTAssertEqual(problems.first?.message, "expected `version_symbol = library.so.N:symbol`, found `libsqlite3.so.0:not-an-identifier`")
    }
}
