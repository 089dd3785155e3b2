import Foundation
import XCTest

/// The OTLP/HTTP exporter against a receiver that decodes every request with
/// the official decoder (Tests/interop/otlp_receiver.py, opentelemetry-proto).
extension OtelInstrumentTests {
    /// A running receiver: its port, and the requests it decoded so far.
    final class Receiver {
        let server: ServerProcess
        let log: URL
        var port: Int { server.port }

        init(scratch: URL, arguments: [String] = []) throws {
            log = scratch.appendingPathComponent("otlp-\(UUID().uuidString).jsonl")
            let script = OtelInstrumentTests.repository.appendingPathComponent("Tests/interop/otlp_receiver.py")
            server = try ServerProcess(["python3", script.path, log.path] + arguments)
        }

        var endpoint: String { "http://127.0.0.1:\(port)" }

        /// Each request: path, status answered, headers, decoded body.
        var requests: [[String: Any]] {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }

        func requests(_ path: String) -> [[String: Any]] { requests.filter { $0["path"] as? String == path } }
    }

    /// The spans of decoded ExportTraceServiceRequests, in order.
    func exportedSpans(_ requests: [[String: Any]]) -> [[String: Any]] {
        requests.flatMap { request -> [[String: Any]] in
            let resourceSpans = (request["body"] as? [String: Any])?["resourceSpans"] as? [[String: Any]] ?? []
            return resourceSpans.flatMap { ($0["scopeSpans"] as? [[String: Any]] ?? []).flatMap { $0["spans"] as? [[String: Any]] ?? [] } }
        }
    }

    /// The span names of decoded ExportTraceServiceRequests.
    func spanNames(_ requests: [[String: Any]]) -> [String] { exportedSpans(requests).compactMap { $0["name"] as? String } }

    /// sqlite3 under the default configuration (the distro's otlp for traces
    /// and metrics): spans and the duration histogram arrive whole, gzip when asked,
    /// with the configured headers; a malformed header is reported without its value.
    func testTheDefaultExporterSendsTracesAndMetricsOverOTLP() throws {
        for (compression, wire) in [("none", "http/protobuf"), ("gzip", "http/protobuf"), ("gzip", "http/json")] {
            let receiver = try Receiver(scratch: scratch)
            let sql = "create table t(x); insert into t values (1); select * from t;"
            let result = try run(["--metrics_exporter", "otlp", "sqlite3", ":memory:", sql],
                                 environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                                               "OTEL_EXPORTER_OTLP_PROTOCOL": wire,
                                               "OTEL_EXPORTER_OTLP_COMPRESSION": compression,
                                               "OTEL_EXPORTER_OTLP_HEADERS": "api-key=s3cr%20et, bad key=leaked, tenant = blue"])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stdout, "1\n")
            XCTAssertEqual(result.stderr.components(separatedBy: "\n").filter { !$0.isEmpty }.count, 2, result.stderr)
            XCTAssertTrue(result.stderr.contains("1 header(s) of OTEL_EXPORTER_OTLP_HEADERS are malformed"), result.stderr)
            XCTAssertFalse(result.stderr.contains("leaked") || result.stderr.contains("s3cr"), "never a header value in diagnostics")
            let traces = receiver.requests("/v1/traces")
            XCTAssertEqual(spanNames(traces), ["CREATE TABLE t", "INSERT t", "SELECT t"])
            let first = try XCTUnwrap(traces.first)
            XCTAssertEqual(first["encoding"] as? String, compression == "gzip" ? "gzip" : nil)
            XCTAssertEqual(first["content_type"] as? String, wire == "http/json" ? "application/json" : "application/x-protobuf")
            XCTAssertTrue((first["user_agent"] as? String ?? "").hasPrefix("OTel-OTLP-Exporter-Swift/"))
            let headers = try XCTUnwrap(first["headers"] as? [String: String])
            XCTAssertEqual(headers["api-key"], "s3cr et", "percent-decoded")
            XCTAssertEqual(headers["tenant"], "blue")
            XCTAssertNil(headers["bad key"])
            let metrics = try XCTUnwrap(receiver.requests("/v1/metrics").first?["body"] as? [String: Any])
            let metric = try XCTUnwrap(((((metrics["resourceMetrics"] as? [[String: Any]])?.first?["scopeMetrics"]
                as? [[String: Any]])?.first?["metrics"]) as? [[String: Any]])?.first)
            XCTAssertEqual(metric["name"] as? String, "db.client.operation.duration")
            let histogram = try XCTUnwrap(metric["histogram"] as? [String: Any])
            XCTAssertEqual(histogram["aggregationTemporality"] as? String, "AGGREGATION_TEMPORALITY_CUMULATIVE")
            let points = try XCTUnwrap(histogram["dataPoints"] as? [[String: Any]])
            XCTAssertEqual(points.count, 3)
            XCTAssertEqual(points.first?["explicitBounds"] as? [Double], [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10])
            XCTAssertEqual(points.compactMap { $0["count"] as? String }, ["1", "1", "1"], "uint64 as a string in the JSON mapping")
        }
    }

    /// The OTLP exporter opens and closes its sockets within each export, so its
    /// export threads drop the program's descriptor table for an empty one of
    /// their own (no reference counting on every lookup the program makes, and
    /// nothing the program closes or renumbers is theirs); their diagnostics
    /// still reach the program's stderr. OTEL_NATIVE_EXPORT_OWN_DESCRIPTORS=false
    /// keeps the shared table.
    func testOTLPExportThreadsHaveADescriptorTableOfTheirOwn() throws {
        let script = Self.repository.appendingPathComponent("Tests/interop/export_thread_descriptors.py").path
        // Under a seccomp filter (which could kill a process for a system call it does not
        // expect) the table stays shared: the calls that would make it private are not tried.
        let filtered = scratch.appendingPathComponent("with_seccomp_filter").path
        let build = try runCommand("/usr/bin/env", ["cc", "-o", filtered,
                                                    Self.repository.appendingPathComponent("Tests/interop/with_seccomp_filter.c").path])
        XCTAssertEqual(build.status, 0, build.output)
        for (own, setting, prefix) in [(true, "true", []), (false, "false", []), (false, "true", [filtered])] {
            let receiver = try Receiver(scratch: scratch)
            let result = try run(["--metrics_exporter", "otlp"] + prefix + ["python3", script, "0.5"],
                                 environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "50",
                                               "OTEL_METRIC_EXPORT_INTERVAL": "100", "OTEL_NATIVE_EXPORT_OWN_DESCRIPTORS": setting])
            XCTAssertEqual(result.status, 0, result.stderr)
            var tables: [String: [Int]] = [:]
            for line in result.stdout.split(separator: "\n") {
                let fields = line.split(separator: " ")
                tables[String(fields[0])] = fields.dropFirst().compactMap { Int($0) }
            }
            let program = try XCTUnwrap(tables["python3"], result.stdout)
            XCTAssertTrue(program.starts(with: [0, 1, 2]), result.stdout)
            for thread in ["otel-bsp", "otel-metrics"] {
                let table = try XCTUnwrap(tables[thread], "\(thread) is running: \(result.stdout)")
                if own {
                    XCTAssertLessThanOrEqual(table.count, 1, "only its handle on the process: \(result.stdout)")
                } else {
                    XCTAssertEqual(table, program, "one table for every thread")
                }
            }
            // Both statements exported although the program closed every descriptor in between.
            var names: [String] = []
            for _ in 0..<50 where names.count < 2 {
                Thread.sleep(forTimeInterval: 0.1)
                names = spanNames(receiver.requests("/v1/traces"))
            }
            XCTAssertEqual(names, ["SELECT", "SELECT"])
            XCTAssertFalse(receiver.requests("/v1/metrics").isEmpty)
        }
        // A diagnostic from an export thread with its own table reaches the program's stderr
        // (a 400 is refused at once, while the program sleeps, before its exit flush).
        let refusing = try Receiver(scratch: scratch, arguments: ["--statuses", "400"])
        let refused = try run(["python3", "-c", "import sqlite3, time; sqlite3.connect(':memory:').execute('select 1'); time.sleep(1)"],
                              environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": refusing.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "10"])
        XCTAssertFalse(refusing.requests("/v1/traces").isEmpty)
        XCTAssertTrue(refused.stderr.contains("OTLP traces"), refused.stderr)
    }

    /// The exporter names Python uses: otlp_proto_http and otlp_json_http are
    /// that encoding whatever OTEL_EXPORTER_OTLP_PROTOCOL says.
    func testExporterNamesChooseTheirEncoding() throws {
        for (name, protocolSetting, contentType) in [("otlp_json_http", "http/protobuf", "application/json"),
                                                     ("otlp_proto_http", "http/json", "application/x-protobuf")] {
            let receiver = try Receiver(scratch: scratch)
            let result = try run(["--traces_exporter", name, "sqlite3", ":memory:", "select 1;"],
                                 environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": protocolSetting])
            XCTAssertEqual(result.stderr, "")
            let traces = receiver.requests("/v1/traces")
            XCTAssertEqual(traces.first?["content_type"] as? String, contentType, name)
            XCTAssertEqual(spanNames(traces), ["SELECT"])
        }
    }

    /// Log records over OTLP: the example plugin logs inside its span; the
    /// record arrives with the span's trace and span ids.
    func testLogRecordsAreExportedWithTheirSpan() throws {
        let plugins = try examplePluginDirectory()
        for wire in ["http/protobuf", "http/json"] {
            let receiver = try Receiver(scratch: scratch)
            let result = try run(["--plugins_path", plugins, "--traces_exporter", "otlp", "--logs_exporter", "otlp", "/bin/true"],
                                 environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": wire])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stderr, "")
            let logs = try XCTUnwrap(receiver.requests("/v1/logs").first?["body"] as? [String: Any])
            let scopeLogs = try XCTUnwrap((logs["resourceLogs"] as? [[String: Any]])?.first?["scopeLogs"] as? [[String: Any]])
            XCTAssertEqual((scopeLogs.first?["scope"] as? [String: Any])?["name"] as? String, "example-c-plugin")
            let record = try XCTUnwrap((scopeLogs.first?["logRecords"] as? [[String: Any]])?.first)
            XCTAssertEqual((record["body"] as? [String: Any])?["stringValue"] as? String, "example-c-plugin instrumented")
            XCTAssertEqual(record["severityNumber"] as? String, "SEVERITY_NUMBER_INFO")
            XCTAssertEqual(record["severityText"] as? String, "INFO")
            let spans = try XCTUnwrap(((((receiver.requests("/v1/traces").first?["body"] as? [String: Any])?["resourceSpans"]
                as? [[String: Any]])?.first?["scopeSpans"] as? [[String: Any]])?.first?["spans"]) as? [[String: Any]])
            let span = try XCTUnwrap(spans.first { $0["name"] as? String == "example-c-plugin instrumented" })
            XCTAssertEqual(record["traceId"] as? String, span["traceId"] as? String)
            XCTAssertEqual(record["spanId"] as? String, span["spanId"] as? String)
        }
    }

    /// 503 then 200, and 429 with Retry-After then 200, while the program runs:
    /// retried (after the server's delay when it gives one), nothing lost.
    func testAnUnavailableCollectorIsRetried() throws {
        for (statuses, retryAfter) in [("503,200", nil), ("429,200", "2")] {
            let receiver = try Receiver(scratch: scratch, arguments: ["--statuses", statuses] + (retryAfter.map { ["--retry-after", $0] } ?? []))
            let script = """
                import sqlite3, time
                db = sqlite3.connect(':memory:')
                db.execute('create table t(x)')
                time.sleep(3)
                print('done')
                """
            let result = try run(["--traces_exporter", "otlp", "--bsp_schedule_delay", "100", "python3", "-c", script],
                                 environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stdout, "done\n")
            XCTAssertEqual(result.stderr, "", "a retried export that succeeds is not reported")
            let traces = receiver.requests("/v1/traces")
            XCTAssertEqual(traces.map { $0["status"] as? Int }, [Int(statuses.prefix(3))!, 200])
            XCTAssertEqual(spanNames(traces.filter { $0["status"] as? Int == 200 }), ["CREATE TABLE t"])
            if traces.count == 2, let first = traces[0]["time"] as? Double, let second = traces[1]["time"] as? Double {
                // Backoff waits 0.5–1 s the first time; Retry-After: 2 must win.
                if retryAfter != nil { XCTAssertGreaterThanOrEqual(second - first, 1.9) } else { XCTAssertLessThan(second - first, 1.5) }
            }
        }
    }

    /// A collector that accepts part of each batch: reported once (with what
    /// it said), however many batches it answers so.
    func testAPartialSuccessIsReportedOnce() throws {
        let receiver = try Receiver(scratch: scratch, arguments: ["--partial", "2"])
        let script = """
            import sqlite3, time
            db = sqlite3.connect(':memory:')
            for i in range(3):
                db.execute('select %d' % i)
                time.sleep(0.3)
            print('done')
            """
        let result = try run(["--traces_exporter", "otlp", "--bsp_schedule_delay", "100", "python3", "-c", script],
                             environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint])
        XCTAssertEqual(result.stdout, "done\n")
        XCTAssertGreaterThanOrEqual(receiver.requests("/v1/traces").count, 2, "several batches")
        XCTAssertEqual(result.stderr,
                       "otel-native: warning: OTLP traces: the collector accepted part of a batch (2 spans rejected: over quota)\n")
    }

    /// 400: dropped at once, one diagnostic, no retry.
    func testARejectedBatchIsDroppedNotRetried() throws {
        let receiver = try Receiver(scratch: scratch, arguments: ["--statuses", "400"])
        let result = try run(["--traces_exporter", "otlp", "sqlite3", ":memory:", "select 1;"],
                             environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "1\n")
        XCTAssertEqual(result.stderr, "otel-native: warning: OTLP traces: the collector rejected a batch with HTTP 400; it is dropped, not retried\n")
        XCTAssertEqual(receiver.requests("/v1/traces").count, 1)
    }

    /// No collector listening, or one that never answers: the program's exit
    /// is delayed by at most about a second, with one diagnostic.
    func testAMissingOrSilentCollectorBarelyDelaysExit() throws {
        let silent = try Receiver(scratch: scratch, arguments: ["--hang"])
        let closedPort = try Receiver(scratch: scratch)
        let closed = closedPort.endpoint
        closedPort.server.process.terminate()
        closedPort.server.process.waitUntilExit()
        for (endpoint, expected) in [(closed, "cannot connect to the endpoint"), (silent.endpoint, "no response before the timeout")] {
            let start = Date()
            let result = try run(["--traces_exporter", "otlp", "sqlite3", ":memory:", "select 1;"],
                                 environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": endpoint])
            let elapsed = Date().timeIntervalSince(start)
            XCTAssertEqual(result.status, 0)
            XCTAssertEqual(result.stdout, "1\n")
            XCTAssertTrue(result.stderr.contains(expected), result.stderr)
            XCTAssertEqual(result.stderr.components(separatedBy: "\n").filter { !$0.isEmpty }.count, 1, result.stderr)
            XCTAssertLessThan(elapsed, 2.5, "exit delayed by the collector")
        }
    }

    /// No collector listening while the program runs: its exports wait to
    /// retry, but its exit does not wait out that backoff (one short attempt).
    func testAnExportWaitingToRetryDoesNotDelayExit() throws {
        let closedPort = try Receiver(scratch: scratch)
        let closed = closedPort.endpoint
        closedPort.server.process.terminate()
        closedPort.server.process.waitUntilExit()
        let script = """
            import sqlite3, time
            sqlite3.connect(':memory:').execute('create table t(x)')
            time.sleep(2)  # the export fails at once and waits to retry meanwhile (0.5-1 s, then 1-2 s)
            print('done')
            """
        let start = Date()
        let result = try run(["--traces_exporter", "otlp", "--bsp_schedule_delay", "100", "python3", "-c", script],
                             environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": closed])
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "done\n")
        XCTAssertEqual(result.stderr.components(separatedBy: "\n").filter { $0.contains("cannot connect to the endpoint") }.count, 1,
                       result.stderr)
        XCTAssertLessThan(elapsed, 3.2, "the exit waited for the retry's backoff")
    }

    /// A collector that never answers while the program runs: the export in
    /// flight at its exit waits at most about a second more, not its timeout.
    func testAnExportInFlightAtExitWaitsAtMostASecond() throws {
        let silent = try Receiver(scratch: scratch, arguments: ["--hang"])
        let script = """
            import sqlite3, time
            sqlite3.connect(':memory:').execute('create table t(x)')
            time.sleep(2)  # the export waits for an answer meanwhile (10 s timeout)
            print('done')
            """
        let start = Date()
        let result = try run(["--traces_exporter", "otlp", "--bsp_schedule_delay", "100", "python3", "-c", script],
                             environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": silent.endpoint])
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "done\n")
        XCTAssertFalse(result.stderr.contains("shutdown timed out"), result.stderr)
        XCTAssertLessThan(elapsed, 4.0, "the exit waited for the export's timeout")
    }

    /// A shell that replaces itself by exec exports its process span first: a
    /// collector that never answers delays that by about a second, as at exit.
    func testASilentCollectorBarelyDelaysAnExec() throws {
        let silent = try Receiver(scratch: scratch, arguments: ["--hang"])
        let start = Date()
        let result = try run(["--traces_exporter", "otlp", "/bin/sh", "-c", "exec sqlite3 :memory: 'select 1;'"],
                             environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": silent.endpoint, "OTEL_NATIVE_PROCESS_SPANS": "true"])
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "1\n")
        XCTAssertEqual(result.stderr.components(separatedBy: "\n").filter { !$0.isEmpty }.count, 2,
                       "one diagnostic from the shell, one from sqlite3: \(result.stderr)")
        XCTAssertLessThan(elapsed, 3.5, "two processes, each delayed about a second at most")
    }

    /// A collector slower than the program: the span queue fills, spans are
    /// dropped and counted (reported once, and the total at exit), the program's
    /// own work and exit are unaffected.
    func testASlowCollectorDropsAndCountsButNeverBlocksTheProgram() throws {
        let receiver = try Receiver(scratch: scratch, arguments: ["--delay", "2"])
        let script = """
            import sqlite3
            db = sqlite3.connect(':memory:')
            db.execute('create table t(x)')
            for i in range(300):
                db.execute('insert into t values (?)', (i,))
            print(db.execute('select count(*) from t').fetchone()[0])
            """
        let start = Date()
        let result = try run(["--traces_exporter", "otlp", "--bsp_schedule_delay", "10", "--bsp_max_queue_size", "20",
                              "--bsp_max_export_batch_size", "10", "python3", "-c", script],
                             environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "300\n")
        XCTAssertLessThan(Date().timeIntervalSince(start), 8, "bounded by the export in flight and one short attempt at exit")
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.contains("the span queue is full (OTEL_BSP_MAX_QUEUE_SIZE=20)") }.count, 1, result.stderr)
        XCTAssertEqual(lines.filter { $0.contains("spans were dropped because the span queue was full") }.count, 1, result.stderr)
    }

    /// https: the server's certificate is verified against
    /// OTEL_EXPORTER_OTLP_CERTIFICATE (or the system's store, which does not
    /// know this test CA), and a client certificate is presented when asked.
    func testTLSEndpointsVerifyTheServerAndPresentAClientCertificate() throws {
        let directory = scratch.path
        func openssl(_ arguments: [String]) throws {
            let result = try runCommand("/usr/bin/env", ["openssl"] + arguments)
            XCTAssertEqual(result.status, 0, result.output)
        }
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: directory + "/server.cnf", atomically: false, encoding: .utf8)
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/ca.key", "-out", directory + "/ca.pem",
                     "-days", "2", "-subj", "/CN=otel-native test CA"])
        for name in ["server", "client"] {
            try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr",
                         "-subj", "/CN=\(name == "server" ? "127.0.0.1" : "client")"])
            try openssl(["x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", directory + "/ca.pem", "-CAkey", directory + "/ca.key",
                         "-CAcreateserial", "-out", "\(directory)/\(name).pem", "-days", "2"]
                        + (name == "server" ? ["-extfile", directory + "/server.cnf"] : []))
        }
        let tls = ["--tls", directory + "/server.pem", directory + "/server.key"]
        let trusted = try Receiver(scratch: scratch, arguments: tls)
        let mutual = try Receiver(scratch: scratch, arguments: tls + ["--client-ca", directory + "/ca.pem"])
        let https = { (receiver: Receiver) in "https://127.0.0.1:\(receiver.port)" }
        let clientFiles = ["OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": directory + "/client.pem", "OTEL_EXPORTER_OTLP_CLIENT_KEY": directory + "/client.key"]
        let cases: [(Receiver, [String: String], String?)] = [
            (trusted, ["OTEL_EXPORTER_OTLP_CERTIFICATE": directory + "/ca.pem"], nil),
            (trusted, [:], "the endpoint's certificate is not trusted"),
            (mutual, ["OTEL_EXPORTER_OTLP_CERTIFICATE": directory + "/ca.pem"].merging(clientFiles) { $1 }, nil),
            (mutual, ["OTEL_EXPORTER_OTLP_CERTIFICATE": directory + "/ca.pem"], "a batch is dropped"),
        ]
        for (receiver, settings, failure) in cases {
            let before = receiver.requests("/v1/traces").count
            let result = try run(["--traces_exporter", "otlp", "sqlite3", ":memory:", "select 1;"],
                                 environment: settings.merging(["OTEL_EXPORTER_OTLP_ENDPOINT": https(receiver)]) { $1 })
            XCTAssertEqual(result.status, 0)
            XCTAssertEqual(result.stdout, "1\n")
            if let failure {
                XCTAssertTrue(result.stderr.contains(failure), result.stderr)
                XCTAssertEqual(receiver.requests("/v1/traces").count, before)
            } else {
                XCTAssertEqual(result.stderr, "")
                XCTAssertEqual(spanNames(Array(receiver.requests("/v1/traces").dropFirst(before))), ["SELECT"])
            }
        }
    }

    /// What is not built yet, or cannot be set up, says so once, and the program runs on.
    func testUnavailableProtocolsAndBadTLSFilesAreReported() throws {
        for (environment, expected) in [(["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"], "protocol grpc is not available yet"),
                                        (["OTEL_EXPORTER_OTLP_ENDPOINT": "https://127.0.0.1:1", "OTEL_EXPORTER_OTLP_CERTIFICATE": "/nonexistent.pem"],
                                         "the CA certificate file cannot be read")] {
            let result = try run(["--traces_exporter", "otlp", "sqlite3", ":memory:", "select 1;"], environment: environment)
            XCTAssertEqual(result.status, 0)
            XCTAssertEqual(result.stdout, "1\n")
            XCTAssertTrue(result.stderr.contains(expected), result.stderr)
        }
    }
}
