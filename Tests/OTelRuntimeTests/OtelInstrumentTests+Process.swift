import Foundation
import XCTest

/// Process trees: every instrumented process has a span from start to exit,
/// and a child continues the span current in its parent (TRACEPARENT in its
/// environment), so a script, a build or a program spawning others is one trace.
extension OtelInstrumentTests {
    /// Runs `command` under otel-instrument with process spans on (the
    /// default) and the console exporter writing to a file: its result and
    /// the spans of every process of the tree.
    func tracedTree(_ command: [String], environment: [String: String] = [:])
        throws -> (result: (status: Int32, stdout: String, stderr: String), spans: [[String: Any]]) {
        let output = scratch.appendingPathComponent("tree-\(UUID().uuidString).json").path
        let result = try run(["--traces_exporter", "console", "--console_output", output] + command,
                             environment: ["OTEL_NATIVE_PROCESS_SPANS": "true"].merging(environment) { $1 })
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return (result, try consoleSpans(text))
    }

    /// The process spans among `spans`, by executable name.
    func processSpans(_ spans: [[String: Any]]) -> [String: [[String: Any]]] {
        Dictionary(grouping: spans.filter { attributes($0)["process.pid"] != nil }) { $0["name"] as? String ?? "" }
    }

    func parentId(_ span: [String: Any]) -> String? { span["parent_id"] as? String }

    func testAShellScriptIsOneTraceOfItsProcesses() throws {
        let server = try startEchoServer()
        let script = scratch.appendingPathComponent("job.sh")
        try """
            #!/bin/sh
            sqlite3 :memory: "create table t(x); insert into t values (1); select count(*) from t;"
            sqlite3 :memory: "select nosuch;" 2>/dev/null
            curl -s -o /dev/null -w "%{http_code}\\n" http://127.0.0.1:\(server.port)/report
            exit 3
            """.write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        let plain = try run([script.path], instrumented: false)
        let traced = try tracedTree([script.path])
        XCTAssertEqual(traced.result.status, 3)
        XCTAssertEqual(traced.result.status, plain.status)
        XCTAssertEqual(traced.result.stdout, plain.stdout, "the script's own output, unchanged")
        XCTAssertEqual(traced.result.stderr, plain.stderr)

        let spans = traced.spans
        XCTAssertEqual(Set(spans.compactMap(traceId)).count, 1, "one trace: \(spans.map { $0["name"] ?? "" })")
        let processes = processSpans(spans)
        let shell = try XCTUnwrap(processes["dash"]?.first ?? processes["sh"]?.first, "\(processes.keys)")
        XCTAssertNil(parentId(shell), "the script's process is the root")
        XCTAssertEqual(shell["kind"] as? String, "SpanKind.INTERNAL")
        XCTAssertEqual(attributes(shell)["process.exit.code"] as? Int, 3)
        XCTAssertEqual((shell["status"] as? [String: String])?["status_code"], "ERROR")
        XCTAssertEqual(attributes(shell)["process.executable.path"] as? String, "/usr/bin/dash")
        XCTAssertNil(attributes(shell)["process.command_args"], "command lines only when opted in")

        let databases = try XCTUnwrap(processes["sqlite3"])
        XCTAssertEqual(databases.count, 2)
        XCTAssertEqual(databases.map(parentId), [spanId(shell), spanId(shell)])
        XCTAssertEqual(Set(databases.compactMap { attributes($0)["process.exit.code"] as? Int }), [0, 1])
        XCTAssertEqual(databases.compactMap { attributes($0)["process.parent_pid"] as? Int },
                       databases.map { _ in attributes(shell)["process.pid"] as? Int ?? -1 })
        let statements = spans.filter { ($0["kind"] as? String) == "SpanKind.CLIENT" && attributes($0)["db.system.name"] != nil }
        XCTAssertEqual(statements.count, 4, "\(statements.map { $0["name"] ?? "" })")
        XCTAssertTrue(statements.allSatisfy { statement in databases.contains { parentId(statement) == spanId($0) } },
                      "each statement is a child of its sqlite3 process")

        let transfer = try XCTUnwrap(processes["curl"]?.first)
        XCTAssertEqual(parentId(transfer), spanId(shell))
        let request = try XCTUnwrap(spans.first { ($0["name"] as? String) == "GET" })
        XCTAssertEqual(parentId(request), spanId(transfer))
    }

    /// make -j2 starting its recipes (directly, or through a shell when a line
    /// needs one): a span per recipe process, in one trace under make's.
    func testMakeRecipesAreProcessSpansOfOneTrace() throws {
        let project = scratch.appendingPathComponent("project")
        try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
        try """
            all: one two three
            one:
            \tsqlite3 :memory: "select 1;"
            two:
            \ttrue
            three:
            \techo three | cat > three.txt

            """.write(to: project.appendingPathComponent("Makefile"), atomically: true, encoding: .utf8)
        let traced = try tracedTree(["make", "-s", "--no-print-directory", "-C", project.path, "-j2"])
        XCTAssertEqual(traced.result.status, 0, traced.result.stderr)
        XCTAssertEqual(try String(contentsOf: project.appendingPathComponent("three.txt"), encoding: .utf8), "three\n")
        let spans = traced.spans
        XCTAssertEqual(Set(spans.compactMap(traceId)).count, 1, "one trace")
        let processes = processSpans(spans)
        let make = try XCTUnwrap(processes["make"]?.first)
        XCTAssertNil(parentId(make))
        // "two" runs directly; "one" (quotes) and "three" (a pipe) through a shell each. The
        // first shell replaces itself with sqlite3 (exec), so its span ends where sqlite3's begins.
        XCTAssertEqual(processes["true"]?.map(parentId), [spanId(make)])
        let shells = try XCTUnwrap(processes["dash"], "\(processes.keys)")
        XCTAssertEqual(shells.map(parentId), [spanId(make), spanId(make)])
        let database = try XCTUnwrap(processes["sqlite3"]?.first)
        let pipeline = try XCTUnwrap(processes["cat"]?.first)
        XCTAssertTrue(shells.contains { spanId($0) == parentId(database) })
        XCTAssertTrue(shells.contains { spanId($0) == parentId(pipeline) })
        XCTAssertNotEqual(parentId(database), parentId(pipeline))
        let statement = try XCTUnwrap(spans.first { ($0["name"] as? String) == "SELECT" })
        XCTAssertEqual(parentId(statement), spanId(database))
    }

    /// execl, execlp and execle (variadic, so the plugin gathers their
    /// arguments itself) start children that continue the trace; execle's own
    /// environment, without our preload or settings, still gets them.
    func testChildrenStartedByTheListExecsContinueTheTrace() throws {
        let program = scratch.appendingPathComponent("exec_variants").path
        let built = try runCommand("/usr/bin/env", ["cc", "-o", program, Self.repository.appendingPathComponent("Tests/interop/exec_variants.c").path])
        XCTAssertEqual(built.status, 0, built.output)
        let plain = try run([program], instrumented: false)
        let traced = try tracedTree([program])
        XCTAssertEqual(traced.result.status, 0, traced.result.stderr)
        XCTAssertEqual(traced.result.stdout, plain.stdout)
        XCTAssertEqual(traced.result.stdout, "execl\nexeclp\nexecle\n")
        let processes = processSpans(traced.spans)
        let root = try XCTUnwrap(processes["exec_variants"]?.first)
        XCTAssertEqual(processes["sqlite3"]?.map(parentId), [spanId(root), spanId(root), spanId(root)])
        XCTAssertEqual(Set(traced.spans.compactMap(traceId)).count, 1)
        XCTAssertEqual(traced.spans.filter { ($0["name"] as? String) == "SELECT" }.count, 3, "each child instrumented, execle's too")
    }

    /// Python's subprocess starts children by vfork and exec: the exec runs on
    /// the parent's memory, and the child still continues the parent's span.
    func testAChildStartedByPythonsSubprocessContinuesItsTrace() throws {
        let traced = try tracedTree(["python3", "-c", "import subprocess; subprocess.run(['sqlite3', ':memory:', 'select 1;'], check=True); print('done')"])
        XCTAssertEqual(traced.result.status, 0, traced.result.stderr)
        XCTAssertEqual(traced.result.stdout, "1\ndone\n")
        let processes = processSpans(traced.spans)
        let python = try XCTUnwrap(processes.first { $0.key.hasPrefix("python3") }?.value.first, "\(processes.keys)")
        XCTAssertEqual(processes["sqlite3"]?.map(parentId), [spanId(python)])
        XCTAssertEqual(attributes(python)["process.exit.code"] as? Int, 0, "the parent's status, not its vfork child's")
    }

    /// A process started with TRACEPARENT continues that trace; without
    /// process spans its spans are direct children of that context.
    func testTheContextInTheEnvironmentIsTheParent() throws {
        let inherited = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        let withSpan = try tracedTree(["sqlite3", ":memory:", "select 1;"], environment: ["TRACEPARENT": inherited])
        let process = try XCTUnwrap(processSpans(withSpan.spans)["sqlite3"]?.first)
        XCTAssertEqual(traceId(process), "0x0af7651916cd43dd8448eb211c80319c")
        XCTAssertEqual(parentId(process), "0xb7ad6b7169203331")
        let statement = try XCTUnwrap(withSpan.spans.first { ($0["name"] as? String) == "SELECT" })
        XCTAssertEqual(parentId(statement), spanId(process))

        let without = try tracedTree(["sqlite3", ":memory:", "select 1;"],
                                     environment: ["TRACEPARENT": inherited, "OTEL_NATIVE_PROCESS_SPANS": "false"])
        XCTAssertEqual(without.spans.count, 1)
        XCTAssertEqual(without.spans.first.flatMap(parentId), "0xb7ad6b7169203331")

        let arguments = try tracedTree(["sqlite3", ":memory:", "select 1;"], environment: ["OTEL_NATIVE_PROCESS_COMMAND_ARGS": "true"])
        let described = try XCTUnwrap(processSpans(arguments.spans)["sqlite3"]?.first)
        XCTAssertEqual(attributes(described)["process.command_args"] as? [String], ["sqlite3", ":memory:", "select 1;"])
    }

    /// An entry span (a request arriving at a server) never takes the process
    /// span as parent: each request is its own trace.
    func testARequestToAServerIsNotAChildOfTheServersProcess() throws {
        let port = ServerProcess.freePort()
        let output = scratch.appendingPathComponent("server-spans.json")
        let server = try ServerProcess([products.appendingPathComponent("otel-instrument").path, "--", "/usr/bin/python3", "-m", "http.server",
                                        String(port), "--bind", "127.0.0.1", "--directory", scratch.path],
                                       environment: serverEnvironment(output).merging(["OTEL_NATIVE_PROCESS_SPANS": "true"]) { $1 },
                                       port: port)
        let fetched = try run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(server.port)/"], instrumented: false)
        XCTAssertEqual(fetched.stdout, "200")
        let spans = try awaitSpans(output, count: 1) { ($0["kind"] as? String) == "SpanKind.SERVER" }
        let request = try XCTUnwrap(spans.first { ($0["kind"] as? String) == "SpanKind.SERVER" })
        XCTAssertNil(parentId(request), "a new trace, not the server process's")
    }
}

extension OtelInstrumentTests {
    /// A multi-threaded program forks 100 times while its other threads make
    /// spans (Tests/interop/fork_while_tracing.c): no deadlock, each child's
    /// span exported once, by the child, with its own pid; the parent's spans
    /// exported once each, never again by a child.
    func testForkingWhileOtherThreadsTraceExportsEverySpanOnce() throws {
        let program = scratch.appendingPathComponent("fork_while_tracing").path
        let built = try runCommand("/usr/bin/env", ["cc", "-O2", "-pthread", "-I", Self.repository.appendingPathComponent("Sources/COTelCore/include").path,
                                                    "-o", program, Self.repository.appendingPathComponent("Tests/interop/fork_while_tracing.c").path, "-ldl"])
        XCTAssertEqual(built.status, 0, built.output)
        let output = scratch.appendingPathComponent("fork-spans.json").path
        // timeout(1) turns a deadlock into a failure (status 124) instead of a hung suite.
        let result = try run(["/usr/bin/timeout", "120", products.appendingPathComponent("otel-instrument").path,
                              "--traces_exporter", "console", "--console_output", output, "--bsp_schedule_delay", "100",
                              "--bsp_max_queue_size", "100000", program],
                             environment: ["OTEL_NATIVE_PROCESS_SPANS": "true"], instrumented: false)
        XCTAssertEqual(result.status, 0, result.stderr)
        let made = try XCTUnwrap(Int(result.stdout.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""), result.stdout)
        let spans = try consoleSpans(String(contentsOfFile: output, encoding: .utf8))
        XCTAssertEqual(Set(spans.compactMap(spanId)).count, spans.count, "no span exported twice")
        func pid(_ span: [String: Any]) -> Int? { ((span["resource"] as? [String: Any])?["attributes"] as? [String: Any])?["process.pid"] as? Int }
        let parentWork = spans.filter { ($0["name"] as? String) == "parent work" }
        XCTAssertEqual(parentWork.count, made, "every span the parent's threads made, once")
        XCTAssertEqual(Set(parentWork.compactMap(pid)).count, 1, "all exported by the parent")
        let children = spans.filter { ($0["name"] as? String)?.hasPrefix("child ") == true }
        XCTAssertEqual(Set(children.compactMap { $0["name"] as? String }).count, 100, "every child's span, by exit and by _exit")
        XCTAssertEqual(children.count, 100)
        XCTAssertEqual(Set(children.compactMap(pid)).count, 100, "each with its child's pid in the resource")
        XCTAssertFalse(children.contains { pid($0) == parentWork.first.flatMap(pid) })
        XCTAssertEqual(processSpans(spans)["fork_while_tracing"]?.count, 1, "the parent's process span, once")
    }

    /// A program killed by SIGTERM, which it does not handle: with
    /// OTEL_NATIVE_FLUSH_ON_SIGNAL its spans arrive, and it still dies of SIGTERM.
    func testATerminatedProgramExportsWhenAskedAndStillDiesOfTheSignal() throws {
        func terminated(flush: Bool) throws -> (reason: Process.TerminationReason, status: Int32, spans: [[String: Any]]) {
            let output = scratch.appendingPathComponent("signal-\(flush).json")
            let process = Process()
            process.executableURL = products.appendingPathComponent("otel-instrument")
            process.arguments = ["--traces_exporter", "console", "--console_output", output.path, "--metrics_exporter", "none",
                                 "--logs_exporter", "none", "--flush_on_signal", flush ? "true" : "false", "/usr/bin/python3", "-c",
                                 "import sqlite3, time; sqlite3.connect(':memory:').execute('select 1'); print('ready', flush=True); time.sleep(60)"]
            process.environment = ["PATH": "/usr/bin:/bin", "HOME": scratch.path]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let ready = try out.fileHandleForReading.read(upToCount: 6)
            XCTAssertEqual(ready.map { String(decoding: $0, as: UTF8.self) }, "ready\n")
            process.terminate() // SIGTERM
            process.waitUntilExit()
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            return (process.terminationReason, process.terminationStatus, try consoleSpans(text))
        }
        let flushed = try terminated(flush: true)
        XCTAssertEqual(flushed.reason, .uncaughtSignal)
        XCTAssertEqual(flushed.status, SIGTERM, "killed by SIGTERM as without otel-native")
        XCTAssertEqual(flushed.spans.filter { ($0["name"] as? String) == "SELECT" }.count, 1)
        let process = try XCTUnwrap(processSpans(flushed.spans).first { $0.key.hasPrefix("python3") }?.value.first)
        XCTAssertEqual(process["status"] as? [String: String], ["status_code": "ERROR", "description": "terminated by SIGTERM"])
        let lost = try terminated(flush: false)
        XCTAssertEqual(lost.reason, .uncaughtSignal)
        XCTAssertEqual(lost.status, SIGTERM)
        XCTAssertTrue(lost.spans.isEmpty, "without the flag a fatal signal loses what was pending")
    }
}

extension OtelInstrumentTests {
    /// popen (reading and writing), pclose and system, which glibc starts
    /// through a posix_spawn no GOT reaches, are done by the plugin: the same
    /// results for the program, and their shells continue its trace.
    func testSystemAndPopenChildrenContinueTheTrace() throws {
        let program = scratch.appendingPathComponent("system_and_popen").path
        let built = try runCommand("/usr/bin/env", ["cc", "-o", program, Self.repository.appendingPathComponent("Tests/interop/system_and_popen.c").path])
        XCTAssertEqual(built.status, 0, built.output)
        let plain = try run([program], instrumented: false)
        let traced = try tracedTree([program])
        XCTAssertEqual(traced.result.status, plain.status)
        XCTAssertEqual(traced.result.stdout, plain.stdout, "what popen, pclose and system gave back, unchanged")
        XCTAssertTrue(plain.stdout.contains("read: 42\n") && plain.stdout.contains("system: exited 1, status 3\n"), plain.stdout)
        XCTAssertEqual(traced.result.stderr, plain.stderr)
        XCTAssertEqual(Set(traced.spans.compactMap(traceId)).count, 1, "one trace, system(NULL)'s shell included")
        let processes = processSpans(traced.spans)
        let root = try XCTUnwrap(processes["system_and_popen"]?.first)
        let shells = try XCTUnwrap(processes["dash"])
        XCTAssertEqual(shells.count, 4, "two popen, two system")
        XCTAssertTrue(shells.allSatisfy { parentId($0) == spanId(root) })
        XCTAssertEqual(processes["sqlite3"]?.count, 2)
        XCTAssertTrue(processes["sqlite3"]?.allSatisfy { database in shells.contains { spanId($0) == parentId(database) } } ?? false)
        XCTAssertEqual(processes["cat"]?.map(parentId).allSatisfy { parent in shells.contains { spanId($0) == parent } }, true)
    }
}
