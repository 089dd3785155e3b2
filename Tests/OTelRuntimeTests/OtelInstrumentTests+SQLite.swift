import Foundation
import XCTest

/// The SQLite instrumentation on programs nobody here wrote.
extension OtelInstrumentTests {
    /// Spans from a console run, as (name, attributes, status) parsed by JSONSerialization.
    func consoleSpans(_ text: String) throws -> [[String: Any]] {
        try text.components(separatedBy: "\n}\n").filter { $0.contains("\"name\"") }.map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(($0 + "\n}").utf8)) as? [String: Any])
        }
    }

    func testTheSqlite3CommandLineGetsASpanPerStatement() throws {
        let database = scratch.appendingPathComponent("app.db").path
        let sql = "create table t(x); insert into t values (1); select * from t;"
        let plain = try run(["sqlite3", database + ".plain", sql], instrumented: false)
        let output = scratch.appendingPathComponent("spans.json").path
        let result = try run(["--traces_exporter", "console", "--console_output", output, "sqlite3", database, sql])
        XCTAssertEqual(result.status, plain.status)
        XCTAssertEqual(result.stdout, plain.stdout, "sqlite3's own output, byte for byte")
        XCTAssertEqual(result.stderr, plain.stderr)
        let spans = try consoleSpans(String(contentsOfFile: output, encoding: .utf8))
        XCTAssertEqual(spans.map { $0["name"] as? String }, ["CREATE TABLE t", "INSERT t", "SELECT t"])
        let insert = try XCTUnwrap(spans[1]["attributes"] as? [String: Any])
        XCTAssertEqual(insert["db.system.name"] as? String, "sqlite")
        XCTAssertEqual(insert["db.query.text"] as? String, "insert into t values (?);", "literals are never recorded")
        XCTAssertEqual(insert["db.operation.name"] as? String, "INSERT")
        XCTAssertEqual(insert["db.collection.name"] as? String, "t")
        XCTAssertEqual(insert["db.namespace"] as? String, "app.db")
        XCTAssertTrue(spans.allSatisfy { $0["kind"] as? String == "SpanKind.CLIENT" })
    }

    func testAFailingStatementGivesAnErrorSpan() throws {
        /// The spans of one sqlite3 run whose status is ERROR, and whether the run behaved as without us.
        func failedSpans(_ sql: String) throws -> [[String: Any]] {
            let output = scratch.appendingPathComponent("spans-\(UUID().uuidString).json").path
            let plain = try run(["sqlite3", ":memory:", sql], instrumented: false)
            let result = try run(["--traces_exporter", "console", "--console_output", output, "sqlite3", ":memory:", sql])
            XCTAssertEqual(result.status, plain.status)
            XCTAssertEqual(result.stderr, plain.stderr)
            return try consoleSpans(String(contentsOfFile: output, encoding: .utf8))
                .filter { ($0["status"] as? [String: String])?["status_code"] == "ERROR" }
        }
        // Fails while stepping (a constraint), and while preparing (an unknown table).
        let constraint = try failedSpans("create table u(x unique); insert into u values (1); insert into u values (1);")
        XCTAssertEqual(constraint.map { $0["name"] as? String }, ["INSERT u"])
        XCTAssertEqual((constraint.first?["status"] as? [String: String])?["description"], "UNIQUE constraint failed: u.x")
        XCTAssertEqual((constraint.first?["attributes"] as? [String: Any])?["db.response.status_code"] as? String, "19")
        let prepare = try failedSpans("select * from nosuch;")
        XCTAssertEqual(prepare.map { $0["name"] as? String }, ["SELECT nosuch"])
        XCTAssertEqual((prepare.first?["status"] as? [String: String])?["description"], "no such table: nosuch")
    }

    /// python3 loads libsqlite3 by dlopen long after start-up; 8 threads run statements at once.
    func testPythonsSqlite3ModuleIsTracedFromEightThreads() throws {
        let output = scratch.appendingPathComponent("spans.json").path
        let script = """
            import sqlite3, threading
            def work(n):
                db = sqlite3.connect(':memory:')
                db.execute('create table t(x)')
                for i in range(50):
                    db.execute('insert into t values (?)', (i,))
                db.close()
            threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
            for t in threads: t.start()
            for t in threads: t.join()
            print('done')
            """
        let result = try run(["--traces_exporter", "console", "--console_output", output, "python3", "-c", script])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "done\n")
        let spans = try consoleSpans(String(contentsOfFile: output, encoding: .utf8))
        XCTAssertEqual(spans.filter { $0["name"] as? String == "INSERT t" }.count, 400, "nothing lost")
        XCTAssertEqual(spans.filter { $0["name"] as? String == "CREATE TABLE t" }.count, 8)
    }

    /// sqlite3_exec with several statements: a span per statement, each prepared only
    /// after the previous ran; the first failure stops the call as it would have.
    /// A UTF-16 statement that fails to prepare gets its error span too. The
    /// program's output and errno are what they are without us.
    func testSqliteExecGetsASpanPerStatementAndPrepare16IsCovered() throws {
        let directory = scratch.path
        try compileC("exec", """
            #include <errno.h>
            #include <stdio.h>
            #include <uchar.h>
            typedef struct sqlite3 sqlite3;
            typedef struct sqlite3_stmt sqlite3_stmt;
            int sqlite3_open(const char *, sqlite3 **);
            int sqlite3_exec(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *, char **);
            int sqlite3_prepare16_v2(sqlite3 *, const void *, int, sqlite3_stmt **, const void **);
            void sqlite3_free(void *);
            static int print_row(void *unused, int count, char **values, char **names) {
                (void)unused;
                for (int i = 0; i < count; i++) printf("%s=%s ", names[i], values[i] ? values[i] : "NULL");
                printf("\\n");
                return 0;
            }
            int main(void) {
                sqlite3 *db;
                if (sqlite3_open(":memory:", &db)) return 2;
                char *error = NULL;
                errno = 4242;
                int code = sqlite3_exec(db, "create table t(x); insert into t values (1);\\n/* two */ insert into t values (2); "
                                            "select count(*) as n from t;", print_row, NULL, &error);
                printf("code=%d errno=%d\\n", code, errno);
                code = sqlite3_exec(db, "insert into t values (3); select * from nosuch; insert into t values (4);", print_row, NULL, &error);
                printf("code=%d error=%s\\n", code, error ? error : "(none)");
                sqlite3_free(error);
                code = sqlite3_exec(db, "select count(*) as n from t", print_row, NULL, NULL);
                sqlite3_stmt *statement = NULL;
                const void *tail = NULL;
                code = sqlite3_prepare16_v2(db, u"select x from missing16", -1, &statement, &tail);
                printf("prepare16=%d\\n", code);
                return 0;
            }
            """, ["-o", directory + "/exec", "-l:libsqlite3.so.0"])
        let program = directory + "/exec"
        let plain = try run([program], instrumented: false)
        XCTAssertEqual(plain.stdout, "n=2 \ncode=0 errno=4242\ncode=1 error=no such table: nosuch\nn=3 \nprepare16=1\n")
        let output = directory + "/spans.json"
        let result = try run(["--traces_exporter", "console", "--console_output", output, program])
        XCTAssertEqual(result.status, plain.status)
        XCTAssertEqual(result.stdout, plain.stdout)
        XCTAssertEqual(result.stderr, "")
        let spans = try consoleSpans(String(contentsOfFile: output, encoding: .utf8))
        XCTAssertEqual(spans.map { $0["name"] as? String },
                       ["CREATE TABLE t", "INSERT t", "INSERT t", "SELECT t", "INSERT t", "SELECT nosuch", "SELECT t", "SELECT missing16"])
        let texts = spans.map { ($0["attributes"] as? [String: Any])?["db.query.text"] as? String }
        XCTAssertEqual(texts[2], "insert into t values (?);", "one statement per span, comments dropped")
        XCTAssertEqual(texts[7], "select x from missing16", "UTF-16 text recorded as UTF-8")
        let failed = spans.filter { ($0["status"] as? [String: String])?["status_code"] == "ERROR" }.map { $0["name"] as? String }
        XCTAssertEqual(failed, ["SELECT nosuch", "SELECT missing16"])
    }

    /// db.namespace follows the connection even when a new one takes the address of
    /// one just closed (the per-thread namespace cache is emptied by every open).
    func testNamespaceFollowsReopenedConnections() throws {
        let directory = scratch.path
        try compileC("reopen", """
            #include <stdio.h>
            typedef struct sqlite3 sqlite3;
            int sqlite3_open(const char *, sqlite3 **);
            int sqlite3_close(sqlite3 *);
            int sqlite3_exec(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *, char **);
            int main(int argc, char **argv) {
                (void)argc;
                const char *names[] = {"first.db", "second.db", "third.db"};
                sqlite3 *previous = NULL;
                int reused = 0;
                for (int i = 0; i < 3; i++) {
                    char path[4096];
                    snprintf(path, sizeof path, "%s/%s", argv[1], names[i]);
                    sqlite3 *db;
                    if (sqlite3_open(path, &db)) return 2;
                    reused += db == previous;
                    previous = db;
                    sqlite3_exec(db, "create table t(x)", NULL, NULL, NULL);
                    sqlite3_close(db);
                }
                printf("reused %d\\n", reused);
                return 0;
            }
            """, ["-o", directory + "/reopen", "-l:libsqlite3.so.0"])
        let output = directory + "/spans.json"
        let result = try run(["--traces_exporter", "console", "--console_output", output, directory + "/reopen", directory])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("reused "), result.stdout)
        let spans = try consoleSpans(String(contentsOfFile: output, encoding: .utf8))
        XCTAssertEqual(spans.map { ($0["attributes"] as? [String: Any])?["db.namespace"] as? String },
                       ["first.db", "second.db", "third.db"])
    }

    /// db.client.operation.duration from /usr/bin/sqlite3: a histogram point per
    /// operation, collection and outcome, with the conventions' buckets; a
    /// failed statement carries error.type. Exported at exit by the console exporter.
    func testTheSqlite3CommandLineRecordsTheDurationMetric() throws {
        let output = scratch.appendingPathComponent("metrics.json").path
        let sql = "create table u(x unique); insert into u values (1); insert into u values (2); select count(*) from u; insert into u values (1);"
        let plain = try run(["sqlite3", ":memory:", sql], instrumented: false)
        let result = try run(["--traces_exporter", "none", "--metrics_exporter", "console", "--console_output", output,
                              "sqlite3", ":memory:", sql])
        XCTAssertEqual(result.status, plain.status)
        XCTAssertEqual(result.stdout, plain.stdout)
        XCTAssertEqual(result.stderr, plain.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output))) as? [String: Any])
        let scopes = try XCTUnwrap((json["resource_metrics"] as? [[String: Any]])?.first?["scope_metrics"] as? [[String: Any]])
        let metric = try XCTUnwrap((scopes.first?["metrics"] as? [[String: Any]])?.first)
        XCTAssertEqual(metric["name"] as? String, "db.client.operation.duration")
        XCTAssertEqual(metric["unit"] as? String, "s")
        let points = try XCTUnwrap((metric["data"] as? [String: Any])?["data_points"] as? [[String: Any]])
        var counts: [String: Int] = [:]
        for point in points {
            let attributes = try XCTUnwrap(point["attributes"] as? [String: Any])
            XCTAssertEqual(attributes["db.system.name"] as? String, "sqlite")
            XCTAssertEqual(point["explicit_bounds"] as? [Double], [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10])
            let label = "\(attributes["db.query.summary"] as? String ?? "?") \(attributes["error.type"] as? String ?? "ok")"
            counts[label, default: 0] += point["count"] as? Int ?? 0
        }
        XCTAssertEqual(counts, ["CREATE TABLE u ok": 1, "INSERT u ok": 2, "INSERT u 19": 1, "SELECT u ok": 1])
    }

    /// otel_uninstrument("sqlite3") in the middle of a run (what Python's
    /// Instrumentor().uninstrument() does): statements before it are traced,
    /// statements after it are not, and the program works on unchanged.
    func testUninstrumentInTheMiddleOfARun() throws {
        let directory = scratch.path
        try compileC("midway", """
            #include <dlfcn.h>
            #include <stdio.h>
            typedef struct sqlite3 sqlite3;
            int sqlite3_open(const char *, sqlite3 **);
            int sqlite3_exec(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *, char **);
            static int print_row(void *unused, int count, char **values, char **names) {
                (void)unused; (void)names;
                for (int i = 0; i < count; i++) printf("%s\\n", values[i]);
                return 0;
            }
            int main(void) {
                sqlite3 *db;
                if (sqlite3_open(":memory:", &db)) return 2;
                sqlite3_exec(db, "create table before_t(x); insert into before_t values (1);", print_row, NULL, NULL);
                int (*uninstrument)(const char *) = (int (*)(const char *))dlsym(RTLD_DEFAULT, "otel_uninstrument");
                int first = uninstrument ? uninstrument("sqlite3") : 99;
                int again = uninstrument ? uninstrument("sqlite3") : 99;
                sqlite3_exec(db, "create table after_t(x); insert into after_t values (2); select x from before_t;", print_row, NULL, NULL);
                printf("%d %d\\n", first, again);
                return 0;
            }
            """, ["-o", directory + "/midway", "-l:libsqlite3.so.0", "-ldl"])
        let output = directory + "/spans.json"
        let result = try run(["--traces_exporter", "console", "--console_output", output, directory + "/midway"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "1\n0 -1\n", "the program's output; the first call undoes, the second finds nothing")
        XCTAssertEqual(result.stderr, "")
        let spans = try consoleSpans(String(contentsOfFile: output, encoding: .utf8))
        XCTAssertEqual(spans.map { $0["name"] as? String }, ["CREATE TABLE before_t", "INSERT before_t"])
    }

    /// What an exporter does on the SDK's export thread is never traced: an
    /// exporter plugin that itself runs a SQLite statement for each batch
    /// sees no span of it (and so no endless export of its own spans).
    func testAnExportersOwnWorkIsNotTraced() throws {
        let plugins = try examplePluginDirectory()
        let log = scratch.appendingPathComponent("exports.txt").path
        try compileC("sqlite_exporter", """
            #include <otel_plugin.h>
            #include <stdio.h>
            #include <string.h>
            OTEL_PLUGIN_DECLARE_ABI();
            typedef struct sqlite3 sqlite3;
            int sqlite3_open(const char *, sqlite3 **);
            int sqlite3_exec(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *, char **);
            static int export_batch(void *state, const uint8_t *request, size_t length, uint32_t timeout_ms) {
                (void)state; (void)timeout_ms;
                int own = memmem(request, length, "exporter_own", 12) != NULL;
                FILE *out = fopen("\(log)", "a");
                if (out) { fprintf(out, "export own=%d\\n", own); fclose(out); }
                sqlite3 *db;
                if (sqlite3_open(":memory:", &db) == 0) sqlite3_exec(db, "create table exporter_own(x)", NULL, NULL, NULL);
                return 0;
            }
            const otel_plugin_descriptor *otel_sqlite_exporter_entry(const otel_host_api *h) {
                (void)h;
                static otel_plugin_descriptor d = {OTEL_PLUGIN_DESCRIPTOR_HEADER, .name = "sqlite-exporter", .exporter_export = export_batch};
                return &d;
            }
            """, ["-shared", "-fPIC", "-D_GNU_SOURCE", "-I", try PluginLoaderTests.installedHeaders().path,
                  "-o", plugins + "/libsqlite_exporter.so", "-l:libsqlite3.so.0"])
        try "[distribution]\nname = sqlite-exporter\n[otel_traces_exporter]\nsqlite_exporter = libsqlite_exporter.so:otel_sqlite_exporter_entry\n"
            .write(toFile: plugins + "/sqlite-exporter.ini", atomically: false, encoding: .utf8)
        // Exports while the program runs (every 50 ms), so a span of the exporter's
        // own statement would be exported by the next one.
        let script = "import sqlite3, time\ndb = sqlite3.connect(':memory:')\ndb.execute('select 1')\ntime.sleep(1)\nprint('done')\n"
        let result = try run(["--plugins_path", plugins, "--disabled_instrumentations", "example_c", "--traces_exporter", "sqlite_exporter",
                              "--bsp_schedule_delay", "50", "python3", "-c", script])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "done\n")
        XCTAssertEqual(result.stderr, "")
        XCTAssertEqual(try String(contentsOfFile: log, encoding: .utf8), "export own=0\n", "one export, of the program's span only")
    }

    func testTheSqliteInstrumentationCanBeDisabled() throws {
        let output = scratch.appendingPathComponent("spans.json").path
        let result = try run(["--traces_exporter", "console", "--console_output", output, "--disabled_instrumentations", "sqlite3",
                              "sqlite3", ":memory:", "select 1;"])
        XCTAssertEqual(result.stdout, "1\n")
        let exported = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        XCTAssertFalse(exported.contains("\"name\""), exported)
    }
}
