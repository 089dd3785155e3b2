import Foundation
import OTelTestSupport
import XCTest

/// otel-instrument running programs nobody here wrote, as a user would.
/// Needs the preload shim, which `make test` builds before `swift test`.
final class OtelInstrumentTests: XCTestCase {
    static let repository = PluginLoaderTests.repository
    var scratch: URL!

    /// The build directory holding otel-instrument and its libraries.
    var products: URL {
        var directory = Bundle(for: OtelInstrumentTests.self).bundleURL
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("otel-instrument").path) {
            let parent = directory.deletingLastPathComponent()
            if parent == directory { break }
            directory = parent
        }
        return directory
    }

    override func setUpWithError() throws {
        let preload = products.appendingPathComponent("libotel_preload.so").path
        try XCTSkipUnless(FileManager.default.fileExists(atPath: preload),
                          "libotel_preload.so is missing: run the tests with `make test`, which builds it")
        scratch = try makeScratchDirectory("otel-instrument")
    }

    override func tearDownWithError() throws {
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    func run(_ arguments: [String], environment extra: [String: String] = [:], instrumented: Bool = true) throws -> (status: Int32, stdout: String, stderr: String) {
        // No metric or log exporter unless a test names one (the default, otlp, would
        // report that no collector listens on localhost:4318). Process spans only in the
        // tests about process trees, which turn them back on: elsewhere they would be
        // one more span beside what a test is about.
        var environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": scratch.path, "OTEL_METRICS_EXPORTER": "none",
                           "OTEL_LOGS_EXPORTER": "none", "OTEL_NATIVE_PROCESS_SPANS": "false"]
        environment.merge(extra) { $1 }
        if instrumented {
            let result = try runProgram(products.appendingPathComponent("otel-instrument").path, arguments, environment: environment)
            return (result.status, result.stdout, result.stderr)
        }
        // The program itself, found on PATH (not through env, which would be preloaded too).
        let program = arguments[0].hasPrefix("/") ? arguments[0]
            : ["/usr/local/bin", "/usr/bin", "/bin"].map { $0 + "/" + arguments[0] }.first { FileManager.default.isExecutableFile(atPath: $0) }!
        let result = try runProgram(program, Array(arguments.dropFirst()), environment: environment)
        return (result.status, result.stdout, result.stderr)
    }

    /// Same stdout, stderr and exit status with and without otel-instrument.
    func assertUnchanged(_ command: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let plain = try run(command, instrumented: false)
        // Spans are recorded (the instrumentations run) but not printed, so the bytes compare.
        let instrumented = try run(["--traces_exporter", "none"] + command)
        XCTAssertEqual(instrumented.status, plain.status, "\(command)", file: file, line: line)
        XCTAssertEqual(instrumented.stdout, plain.stdout, "\(command)", file: file, line: line)
        XCTAssertEqual(instrumented.stderr, plain.stderr, "\(command)", file: file, line: line)
    }

    func testProgramsBehaveExactlyAsWithout() throws {
        try assertUnchanged(["/bin/true"])
        try assertUnchanged(["/bin/sh", "-c", "echo out; echo err >&2; exit 7"])
        try assertUnchanged(["/usr/bin/sqlite3", ":memory:", "create table t(x); insert into t values (1),(2); select sum(x) from t;"])
        try assertUnchanged(["python3", "-c", "import signal, sys; print([signal.getsignal(s) for s in (signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE)]); sys.exit(3)"])
    }

    func testCommandErrorsFollowTheShellsConventions() throws {
        let missing = try run(["no-such-program-anywhere"])
        XCTAssertEqual(missing.status, 127)
        XCTAssertEqual(missing.stderr, "otel-instrument: no-such-program-anywhere: command not found\n")
        let plainFile = scratch.appendingPathComponent("not-executable").path
        FileManager.default.createFile(atPath: plainFile, contents: Data("data\n".utf8), attributes: [.posixPermissions: 0o644])
        let notExecutable = try run([plainFile])
        XCTAssertEqual(notExecutable.status, 126)
        XCTAssertEqual(notExecutable.stderr, "otel-instrument: \(plainFile): Permission denied\n")
        let unknown = try run(["--no_such_flag", "x", "/bin/true"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.hasPrefix("otel-instrument: unknown flag --no_such_flag\nusage: "), unknown.stderr)
        let help = try run(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("  --traces_exporter"), help.stdout)
        XCTAssertTrue(help.stdout.contains("  --disabled_instrumentations"), help.stdout)
    }

    func testTheProgramKeepsItsPidAndSeesTheDocumentedEnvironment() throws {
        let result = try run(["--service_name", "svc", "/bin/sh", "-c", "echo $$ $PPID; echo $OTEL_SERVICE_NAME; echo $LD_PRELOAD"],
                             environment: ["OTEL_SERVICE_NAME": "from-the-environment"])
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines[0].split(separator: " ").last.map(String.init), String(getpid()),
                       "otel-instrument execs: the program's parent is whoever started otel-instrument")
        XCTAssertEqual(lines[1], "svc", "a flag sets its variable, over the environment's value")
        XCTAssertTrue(lines[2].hasSuffix("libotel_preload.so"), "the preload is first in LD_PRELOAD: \(lines[2])")
    }

    /// Builds the example C plugin into a fresh plugins.d and returns its path.
    func examplePluginDirectory(manifest: String? = nil) throws -> String {
        let directory = scratch.appendingPathComponent("plugins.d")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        chmod(directory.path, 0o755)
        let example = Self.repository.appendingPathComponent("Examples/c-plugin")
        let compile = try runCommand("/usr/bin/env", ["cc", "-shared", "-fPIC", "-fvisibility=hidden",
                                                     "-I", try PluginLoaderTests.installedHeaders().path,
                                                     "-o", directory.appendingPathComponent("libexample_c_plugin.so").path,
                                                     example.appendingPathComponent("example_plugin.c").path])
        XCTAssertEqual(compile.status, 0, compile.output)
        let text = try manifest ?? String(contentsOf: example.appendingPathComponent("example-c-plugin.ini"), encoding: .utf8)
        try text.write(to: directory.appendingPathComponent("example-c-plugin.ini"), atomically: false, encoding: .utf8)
        return directory.path
    }

    func testAPluginDroppedIntoThePluginPathRunsAndItsVariablesBecomeFlags() throws {
        let plugins = try examplePluginDirectory()
        let result = try run(["--plugins_path", plugins, "--traces_exporter", "console", "--example_greeting", "bonjour", "/bin/true"])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stderr, "")
        XCTAssertTrue(result.stdout.contains("\"name\": \"example-c-plugin instrumented\""), result.stdout)
        XCTAssertTrue(result.stdout.contains("\"example.greeting\": \"bonjour\""), result.stdout)
        let help = try run(["--help"], environment: ["OTEL_NATIVE_PLUGINS_PATH": plugins])
        XCTAssertTrue(help.stdout.contains("  --example_greeting"), help.stdout)
        let explain = try run(["--explain"], environment: ["OTEL_NATIVE_PLUGINS_PATH": plugins])
        XCTAssertTrue(explain.stdout.contains("[otel_instrumentor] example_c (\(plugins)/example-c-plugin.ini:8): would load"), explain.stdout)
    }

    func testDisabledAndEnabledInstrumentations() throws {
        let plugins = try examplePluginDirectory()
        for (variable, value) in [("OTEL_NATIVE_DISABLED_INSTRUMENTATIONS", "example_c"), ("OTEL_NATIVE_DISABLED_INSTRUMENTATIONS", "*"),
                                  ("OTEL_NATIVE_ENABLED_INSTRUMENTATIONS", "sqlite3")] {
            let result = try run(["--traces_exporter", "console", "/bin/true"],
                                 environment: ["OTEL_NATIVE_PLUGINS_PATH": plugins, variable: value, "OTEL_LOG_LEVEL": "debug"])
            XCTAssertEqual(result.status, 0)
            XCTAssertFalse(result.stdout.contains("example-c-plugin instrumented"), "\(variable)=\(value)")
            XCTAssertTrue(result.stderr.contains("[otel_instrumentor] example_c"), result.stderr)
            XCTAssertTrue(result.stderr.contains("not loaded: "), result.stderr)
        }
        let enabled = try run(["--traces_exporter", "console", "--enabled_instrumentations", "example_c", "/bin/true"],
                              environment: ["OTEL_NATIVE_PLUGINS_PATH": plugins])
        XCTAssertTrue(enabled.stdout.contains("example-c-plugin instrumented"))
    }

    /// Each broken plugin is one warning; the others load and the program runs.
    func testBrokenPluginsAreSkippedAndTheProgramRuns() throws {
        let plugins = try examplePluginDirectory()
        func compile(_ source: String, _ library: String) throws {
            let file = scratch.appendingPathComponent(library + ".c")
            try source.write(to: file, atomically: false, encoding: .utf8)
            let result = try runCommand("/usr/bin/env", ["cc", "-shared", "-fPIC", "-I", try PluginLoaderTests.installedHeaders().path,
                                                        "-o", plugins + "/" + library, file.path])
            XCTAssertEqual(result.status, 0, result.output)
        }
        try compile("""
            #include <otel_plugin.h>
            OTEL_PLUGIN_DECLARE_ABI();
            static int instrument(void *state, const otel_host_api *host) { (void)state; (void)host; return 42; }
            const otel_plugin_descriptor *otel_failing_entry(const otel_host_api *host) {
                (void)host;
                static otel_plugin_descriptor d = { OTEL_PLUGIN_DESCRIPTOR_HEADER, .name = "failing", .instrument = instrument };
                return &d;
            }
            """, "libfailing.so")
        try compile("#include <stdint.h>\nconst uint32_t otel_plugin_abi = 9u << 16;\nvoid *otel_future_entry(void *h) { return h; }\n", "libfuture.so")
        try """
            [distribution]
            name = broken-plugins
            [otel_instrumentor]
            failing = libfailing.so:otel_failing_entry
            future = libfuture.so:otel_future_entry
            missing = libmissing.so:otel_missing_entry
            nosymbol = libfailing.so:otel_no_such_entry
            this line is not an entry
            """.write(toFile: plugins + "/broken.ini", atomically: false, encoding: .utf8)
        let result = try run(["--traces_exporter", "console", "/bin/echo", "still running"], environment: ["OTEL_NATIVE_PLUGINS_PATH": plugins])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.hasPrefix("still running\n"))
        XCTAssertTrue(result.stdout.contains("example-c-plugin instrumented"), "the good plugin still loads: \(result.stdout) \(result.stderr)")
        let warnings = result.stderr.split(separator: "\n")
        XCTAssertEqual(warnings.count, 5, result.stderr)
        XCTAssertTrue(warnings.allSatisfy { $0.hasPrefix("otel-native: warning: ") }, result.stderr)
        XCTAssertTrue(result.stderr.contains("broken.ini:8: expected `name = value`"))
        XCTAssertTrue(result.stderr.contains("failing (\(plugins)/broken.ini:4): failed: instrument() returned 42"))
        XCTAssertTrue(result.stderr.contains("future (\(plugins)/broken.ini:5): failed: built for plugin ABI 9.0"))
        XCTAssertTrue(result.stderr.contains("missing (\(plugins)/broken.ini:6): failed: library libmissing.so not found"))
        XCTAssertTrue(result.stderr.contains("nosymbol (\(plugins)/broken.ini:7): failed: the entry symbol otel_no_such_entry is not exported"))
    }

    func testAWorldWritablePluginDirectoryIsRefused() throws {
        let plugins = try examplePluginDirectory()
        chmod(plugins, 0o777)
        let result = try run(["--traces_exporter", "console", "/bin/true"], environment: ["OTEL_NATIVE_PLUGINS_PATH": plugins])
        XCTAssertEqual(result.status, 0)
        XCTAssertFalse(result.stdout.contains("example-c-plugin instrumented"))
        XCTAssertEqual(result.stderr, "otel-native: warning: refusing the plugin directory: \(plugins) is world-writable without the sticky bit\n")
    }

    func testAMissingRuntimeIsOneDiagnosticAndTheProgramRunsUntouched() throws {
        let preload = products.appendingPathComponent("libotel_preload.so").path
        let result = try run(["/bin/echo", "fine"], environment: ["LD_PRELOAD": preload, "OTEL_NATIVE_RUNTIME_LIBRARY": "/nonexistent/libOTelRuntime.so"],
                             instrumented: false)
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "fine\n")
        XCTAssertEqual(result.stderr, "otel-native: error: cannot load the otel-native runtime: /nonexistent/libOTelRuntime.so: cannot open shared object file: No such file or directory; the program runs uninstrumented\n")
    }
}

extension OtelInstrumentTests {
    /// `instruments` constraints are checked against the version of the library
    /// the process has loaded, read through the manifest's version_function.
    func testInstrumentsConstraintsAreCheckedAgainstTheLoadedLibrary() throws {
        let library = scratch.appendingPathComponent("libfakelib.so.1").path
        let source = scratch.appendingPathComponent("fakelib.c")
        try "const char *fake_version(void) { return \"fakelib 2.5.0\"; }\n".write(to: source, atomically: false, encoding: .utf8)
        let built = try runCommand("/usr/bin/env", ["cc", "-shared", "-fPIC", "-Wl,-soname,libfakelib.so.1", "-o", library, source.path])
        XCTAssertEqual(built.status, 0, built.output)
        func run(constraint: String, preloadLibrary: Bool) throws -> (status: Int32, stdout: String, stderr: String) {
            let plugins = try examplePluginDirectory(manifest: """
                [distribution]
                name = example-c-plugin
                instruments = libfakelib.so.1 \(constraint)
                version_function = libfakelib.so.1:fake_version
                [otel_instrumentor]
                example_c = libexample_c_plugin.so:otel_example_c_plugin_entry
                """)
            return try self.run(["--plugins_path", plugins, "--traces_exporter", "console", "--log_level", "debug", "/bin/true"],
                                environment: preloadLibrary ? ["LD_PRELOAD": library] : [:])
        }
        let tooOld = try run(constraint: ">= 3", preloadLibrary: true)
        XCTAssertFalse(tooOld.stdout.contains("example-c-plugin instrumented"))
        XCTAssertTrue(tooOld.stderr.contains("example_c (\(scratch.path)/plugins.d/example-c-plugin.ini:6): not loaded: constraint not met: libfakelib.so.1 2.5.0 is loaded, libfakelib.so.1 >= 3 is required"), tooOld.stderr)
        let inRange = try run(constraint: ">= 2, < 3", preloadLibrary: true)
        XCTAssertTrue(inRange.stdout.contains("example-c-plugin instrumented"), inRange.stderr)
        let notLoaded = try run(constraint: ">= 3", preloadLibrary: false)
        XCTAssertTrue(notLoaded.stdout.contains("example-c-plugin instrumented"), "a library not loaded yet may load later")
        XCTAssertTrue(notLoaded.stderr.contains("libfakelib.so.1 is not loaded (yet); instrumenting anyway"), notLoaded.stderr)
    }

    /// Children inherit the preload and the settings, so a process tree is instrumented.
    func testChildProcessesAreInstrumentedToo() throws {
        let plugins = try examplePluginDirectory()
        let output = scratch.appendingPathComponent("spans.json").path
        let result = try run(["--plugins_path", plugins, "--traces_exporter", "console", "--console_output", output,
                              "/bin/sh", "-c", "/bin/true; /bin/echo child"])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "child\n")
        let spans = try String(contentsOfFile: output, encoding: .utf8)
        // dash, /bin/true and /bin/echo each record the plugin's span (dash leaves by _exit,
        // which exports what is pending first).
        XCTAssertEqual(spans.components(separatedBy: "\"name\": \"example-c-plugin instrumented\"").count - 1, 3, spans)
    }

    /// A small C program sees the same signal dispositions and only the documented
    /// additions to its environment.
    func testACProgramSeesOnlyTheDocumentedEnvironment() throws {
        let source = scratch.appendingPathComponent("probe.c")
        try """
            #include <signal.h>
            #include <stdio.h>
            #include <string.h>
            extern char **environ;
            int main(void) {
                int signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT, SIGINT, SIGTERM, SIGPIPE, SIGCHLD};
                for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) {
                    struct sigaction action;
                    sigaction(signals[i], NULL, &action);
                    printf("signal %d: %s\\n", signals[i], action.sa_handler == SIG_DFL ? "default" : action.sa_handler == SIG_IGN ? "ignored" : "handled");
                }
                for (char **variable = environ; *variable; variable++) printf("env %s\\n", *variable);
                return 5;
            }
            """.write(to: source, atomically: false, encoding: .utf8)
        let probe = scratch.appendingPathComponent("probe").path
        let built = try runCommand("/usr/bin/env", ["cc", "-o", probe, source.path])
        XCTAssertEqual(built.status, 0, built.output)
        let plain = try run([probe], instrumented: false)
        let instrumented = try run(["--traces_exporter", "console", probe])
        XCTAssertEqual(instrumented.status, 5)
        XCTAssertEqual(plain.status, 5)
        let plainLines = Set(plain.stdout.split(separator: "\n").map(String.init))
        let instrumentedLines = Set(instrumented.stdout.split(separator: "\n").map(String.init))
        XCTAssertEqual(instrumentedLines.filter { $0.hasPrefix("signal") }, plainLines.filter { $0.hasPrefix("signal") })
        let added = instrumentedLines.subtracting(plainLines).map { String($0.dropFirst(4).prefix { $0 != "=" }) }.sorted()
        // The flag's variable, the preload and the runtime's path; a distro's
        // defaults stay inside otel-native and never reach the program's environment.
        XCTAssertEqual(added, ["LD_PRELOAD", "OTEL_NATIVE_RUNTIME_LIBRARY", "OTEL_TRACES_EXPORTER"])
        XCTAssertTrue(plainLines.subtracting(instrumentedLines).isEmpty, "nothing removed")
    }
}

extension OtelInstrumentTests {
    /// Under secure execution (here: an unprivileged user running a program
    /// with file capabilities) nothing loads and nothing is printed.
    func testSecureExecutionStaysInert() throws {
        try XCTSkipUnless(getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
                          && FileManager.default.isExecutableFile(atPath: "/usr/sbin/setcap"),
                          "needs root, setpriv and setcap to run a program with AT_SECURE set")
        let plugins = try examplePluginDirectory()
        func copyOfEcho(_ name: String, capabilities: Bool) throws -> String {
            let path = scratch.appendingPathComponent(name).path
            try FileManager.default.copyItem(atPath: "/bin/echo", toPath: path)
            chmod(path, 0o755)
            if capabilities {
                let result = try runCommand("/usr/sbin/setcap", ["cap_net_bind_service+ep", path])
                XCTAssertEqual(result.status, 0, result.output)
            }
            return path
        }
        func runAsNobody(_ program: String) throws -> (status: Int32, stdout: String, stderr: String) {
            try run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", products.appendingPathComponent("otel-instrument").path,
                     "--plugins_path", plugins, "--traces_exporter", "console", program, "hello"], instrumented: false)
        }
        let privileged = try runAsNobody(try copyOfEcho("echo-with-capabilities", capabilities: true))
        XCTAssertEqual(privileged.status, 0)
        XCTAssertEqual(privileged.stdout, "hello\n")
        XCTAssertEqual(privileged.stderr, "")
        let ordinary = try runAsNobody(try copyOfEcho("echo-plain", capabilities: false))
        XCTAssertTrue(ordinary.stdout.contains("example-c-plugin instrumented"), "the same program without capabilities is instrumented")
    }
}

extension OtelInstrumentTests {
    /// A distro or configurator that cannot be found is a warning, not silence,
    /// and the program runs with the built-in configuration.
    func testAMissingDistroOrConfiguratorIsAWarning() throws {
        let result = try run(["--distro", "mine", "--configurator", "theirs", "--traces_exporter", "console", "/bin/echo", "ok"])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "ok\n")
        XCTAssertEqual(result.stderr.split(separator: "\n").map(String.init), [
            "otel-native: warning: OTEL_NATIVE_DISTRO=mine: no [otel_distro] entry has that name (found: default); no defaults are applied",
            "otel-native: warning: OTEL_NATIVE_CONFIGURATOR=theirs: no [otel_configurator] entry has that name (found: default); using the built-in configuration",
        ])
    }
}

extension OtelInstrumentTests {
    /// An exporter plugin receives each batch as OTLP protobuf, which the
    /// official decoder reads back.
    func testAnExporterPluginReceivesOTLPProtobuf() throws {
        let plugins = try examplePluginDirectory()
        let source = scratch.appendingPathComponent("file_exporter.c")
        try """
            #include <otel_plugin.h>
            #include <stdio.h>
            OTEL_PLUGIN_DECLARE_ABI();
            static FILE *out;
            static int create(void *state, const otel_host_api *host) {
                (void)state;
                const char *path = host->config_get("OTEL_NATIVE_FILE_EXPORTER_PATH");
                out = path ? fopen(path, "ab") : NULL;
                return out ? 0 : 1;
            }
            static int export_batch(void *state, const uint8_t *bytes, size_t length, uint32_t timeout_ms) {
                (void)state; (void)timeout_ms;
                uint32_t size = (uint32_t)length;
                return fwrite(&size, 4, 1, out) == 1 && fwrite(bytes, 1, length, out) == length ? 0 : 1;
            }
            static int shutdown_exporter(void *state, uint32_t timeout_ms) { (void)state; (void)timeout_ms; return fclose(out); }
            const otel_plugin_descriptor *otel_file_exporter_entry(const otel_host_api *host) {
                (void)host;
                static otel_plugin_descriptor d = {OTEL_PLUGIN_DESCRIPTOR_HEADER, .name = "file-exporter",
                    .exporter_create = create, .exporter_export = export_batch, .exporter_shutdown = shutdown_exporter};
                return &d;
            }
            """.write(to: source, atomically: false, encoding: .utf8)
        let built = try runCommand("/usr/bin/env", ["cc", "-shared", "-fPIC", "-I", try PluginLoaderTests.installedHeaders().path,
                                                   "-o", plugins + "/libfile_exporter.so", source.path])
        XCTAssertEqual(built.status, 0, built.output)
        try """
            [distribution]
            name = file-exporter
            [otel_traces_exporter]
            file = libfile_exporter.so:otel_file_exporter_entry
            [otel_environment_variables]
            OTEL_NATIVE_FILE_EXPORTER_PATH = | where the batches go
            """.write(toFile: plugins + "/file-exporter.ini", atomically: false, encoding: .utf8)
        let output = scratch.appendingPathComponent("batches.bin").path
        let result = try run(["--plugins_path", plugins, "--traces_exporter", "file", "--file_exporter_path", output,
                              "--service_name", "exported", "/bin/true"])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stderr, "")
        let script = Self.repository.appendingPathComponent("Tests/interop/decode_otlp_traces.py")
        let decoded = try runCommand("/usr/bin/env", ["python3", script.path, "--framed", output], environment: ProcessInfo.processInfo.environment)
        XCTAssertEqual(decoded.status, 0, decoded.output)
        XCTAssertTrue(decoded.output.contains("\"name\": \"example-c-plugin instrumented\""), decoded.output)
        XCTAssertTrue(decoded.output.contains("\"string_value\": \"exported\""), decoded.output)
    }
}

extension OtelInstrumentTests {
    /// The preload depends on libc alone: a missing Swift runtime can never
    /// stop a program from starting.
    func testThePreloadNeedsOnlyLibc() throws {
        let preload = products.appendingPathComponent("libotel_preload.so").path
        let result = try runCommand("/usr/bin/env", ["readelf", "-d", preload])
        XCTAssertEqual(result.status, 0, result.output)
        let needed = result.output.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        XCTAssertEqual(needed.count, 1, result.output)
        XCTAssertTrue(needed.first?.contains("[libc.so.6]") == true, result.output)
    }

    /// OTEL_NATIVE_INERT makes the preload do nothing (for processes otel-native starts itself).
    func testInertProcessesAreLeftAlone() throws {
        let plugins = try examplePluginDirectory()
        let result = try run(["--plugins_path", plugins, "--traces_exporter", "console", "/bin/echo", "alone"],
                             environment: ["OTEL_NATIVE_INERT": "1"])
        XCTAssertEqual(result.stdout, "alone\n")
        XCTAssertEqual(result.stderr, "")
    }

    /// After `make install`, the installed otel-instrument finds its libraries
    /// and the prefix's plugins.d.
    func testAnInstalledCopyWorks() throws {
        let prefix = scratch.appendingPathComponent("prefix").path
        let configuration = products.lastPathComponent // debug or release
        let install = try runCommand("/usr/bin/env", ["make", "-C", Self.repository.path, "install-files", "CONFIG=\(configuration)", "PREFIX=\(prefix)"])
        XCTAssertEqual(install.status, 0, install.output)
        let explain = try runCommand(prefix + "/bin/otel-instrument", ["--explain"], environment: ["PATH": "/usr/bin:/bin"])
        XCTAssertTrue(explain.output.contains("[otel_distro] default (\(prefix)/bin/../etc/otel-native/plugins.d/distro.ini:7): would load \(prefix)/bin/../lib/otel-native/libOTelDistro.so"), explain.output)
        let plugins = try examplePluginDirectory()
        let run = try runCommand(prefix + "/bin/otel-instrument", ["--plugins_path", plugins, "--traces_exporter", "console", "/bin/true"],
                                 environment: ["PATH": "/usr/bin:/bin"])
        XCTAssertEqual(run.status, 0)
        XCTAssertTrue(run.output.contains("example-c-plugin instrumented"), run.output)
    }
}

extension OtelInstrumentTests {
    /// An invalid setting is one warning for the whole start-up, not one per stage.
    func testAnInvalidSettingWarnsOnce() throws {
        let result = try run(["--log_level", "loud", "--bsp_max_queue_size", "many", "--traces_exporter", "console", "/bin/true"])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stderr.split(separator: "\n").map(String.init), [
            "otel-native: warning: OTEL_LOG_LEVEL=loud is not one of debug, info, warn, error, none; using the default info",
            "otel-native: warning: OTEL_BSP_MAX_QUEUE_SIZE=many is not an integer ≥ 1; using the default 2048",
        ])
    }
}

extension OtelInstrumentTests {
    /// bash replaces getenv/setenv with its own table, empty while constructors
    /// run: settings must still be read from the environment block itself.
    func testBashSeesTheSettingsAndKeepsItsEnvironment() throws {
        let result = try run(["--traces_exporter", "none", "bash", "-c", "echo ${OTEL_TRACES_EXPORTER}-${OTEL_EXPORTER_OTLP_PROTOCOL:-unset}"])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "none-unset\n")
        XCTAssertEqual(result.stderr, "", "no process, bash included, reads OTEL_TRACES_EXPORTER as unset")
    }
}
