import Foundation
import XCTest

/// The HTTP/1.x server instrumentation on servers nobody here wrote: Python's
/// http.server and nginx, called by a client that OpenTelemetry Python instruments.
extension OtelInstrumentTests {
    /// The environment of a server under otel-instrument whose spans go to `output` soon after they end.
    func serverEnvironment(_ output: URL) -> [String: String] {
        ["OTEL_TRACES_EXPORTER": "console", "OTEL_NATIVE_CONSOLE_OUTPUT": output.path, "OTEL_BSP_SCHEDULE_DELAY": "50",
         "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none", "PATH": "/usr/local/bin:/usr/bin:/bin"]
    }

    /// The spans printed to `output` once at least `count` satisfy `match` (waits up to 10 s).
    func awaitSpans(_ output: URL, count: Int, where match: ([String: Any]) -> Bool = { _ in true }) throws -> [[String: Any]] {
        var spans: [[String: Any]] = []
        for _ in 0..<200 {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if text.hasSuffix("}\n") { spans = try consoleSpans(text) }
            if spans.filter(match).count >= count { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return spans
    }

    /// Tests/interop/urllib_client.py under OpenTelemetry Python: its CLIENT spans, and its "STATUS URL" lines.
    func instrumentedPythonClient(_ urls: [String]) throws -> (spans: [[String: Any]], statuses: [String]) {
        let python = Self.repository.appendingPathComponent(".build/interop-python/bin")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: python.appendingPathComponent("opentelemetry-instrument").path),
                          "the Python interop environment is missing: .ci/run creates it in .build/interop-python")
        let script = Self.repository.appendingPathComponent("Tests/interop/urllib_client.py")
        let result = try runCommand(python.appendingPathComponent("opentelemetry-instrument").path,
                                    [python.appendingPathComponent("python").path, script.path] + urls,
                                    environment: ["OTEL_TRACES_EXPORTER": "console", "OTEL_METRICS_EXPORTER": "none",
                                                  "OTEL_LOGS_EXPORTER": "none", "PATH": "/usr/bin:/bin"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return (try consoleSpans(result.stdout), result.stderr.split(separator: "\n").map(String.init))
    }

    func spanId(_ span: [String: Any]) -> String? { (span["context"] as? [String: String])?["span_id"] }
    func traceId(_ span: [String: Any]) -> String? { (span["context"] as? [String: String])?["trace_id"] }

    /// The acceptance for servers: a Python client instrumented by OpenTelemetry
    /// Python calls `python3 -m http.server` under otel-instrument; our SERVER
    /// spans are children of its CLIENT spans, with the conventions' attributes.
    func testPythonsHttpServerContinuesTheTraceOfAnInstrumentedPythonClient() throws {
        let port = ServerProcess.freePort()
        let site = scratch.appendingPathComponent("site")
        try FileManager.default.createDirectory(at: site, withIntermediateDirectories: true)
        try "hello\n".write(to: site.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        let output = scratch.appendingPathComponent("server-spans.json")
        let server = try ServerProcess([products.appendingPathComponent("otel-instrument").path, "--", "/usr/bin/python3", "-m", "http.server",
                                        String(port), "--bind", "127.0.0.1", "--directory", site.path],
                                       environment: serverEnvironment(output), port: port)
        let base = "http://127.0.0.1:\(server.port)"
        let client = try instrumentedPythonClient([base + "/index.html?page=2&sig=secret", base + "/missing"])
        XCTAssertEqual(client.statuses, ["200 \(base)/index.html?page=2&sig=secret", "404 \(base)/missing"])
        let spans = try awaitSpans(output, count: 2)
        XCTAssertEqual(spans.count, 2)
        XCTAssertEqual(client.spans.count, 2)
        guard spans.count == 2 else { return }
        for (clientSpan, serverSpan) in zip(client.spans, spans) {
            XCTAssertEqual(serverSpan["kind"] as? String, "SpanKind.SERVER")
            XCTAssertEqual(serverSpan["name"] as? String, "GET")
            XCTAssertEqual(traceId(serverSpan), traceId(clientSpan), "one trace across the two SDKs")
            XCTAssertEqual(serverSpan["parent_id"] as? String, spanId(clientSpan))
        }
        let found = attributes(spans[0])
        XCTAssertEqual(found["http.request.method"] as? String, "GET")
        XCTAssertEqual(found["url.path"] as? String, "/index.html")
        XCTAssertEqual(found["url.query"] as? String, "page=2&sig=REDACTED")
        XCTAssertEqual(found["url.scheme"] as? String, "http")
        XCTAssertEqual(found["server.address"] as? String, "127.0.0.1")
        XCTAssertEqual(found["server.port"] as? Int, port)
        XCTAssertEqual(found["client.address"] as? String, "127.0.0.1")
        XCTAssertNotNil(found["network.peer.port"] as? Int)
        XCTAssertTrue((found["user_agent.original"] as? String ?? "").hasPrefix("Python-urllib/"))
        XCTAssertEqual(found["network.protocol.version"] as? String, "1.1")
        XCTAssertEqual(found["http.response.status_code"] as? Int, 200)
        let missing = attributes(spans[1])
        XCTAssertEqual(missing["http.response.status_code"] as? Int, 404)
        XCTAssertNil(missing["error.type"], "a 4xx is not the server's error")
        XCTAssertEqual((spans[1]["status"] as? [String: String])?["status_code"], "UNSET")
    }

    /// The next request of a kept-alive connection has only its own headers: the
    /// trace context, User-Agent and X-Forwarded-For of the one before are not its.
    /// (The parser keeps the last message's values in place and empties a field
    /// only when it is first used: this is what that must never show.)
    func testEachRequestOfAKeptAliveConnectionHasOnlyItsOwnHeaders() throws {
        let port = ServerProcess.freePort()
        let site = scratch.appendingPathComponent("kept-alive")
        try FileManager.default.createDirectory(at: site, withIntermediateDirectories: true)
        for page in ["first", "second"] {
            try "\(page)\n".write(to: site.appendingPathComponent(page), atomically: true, encoding: .utf8)
        }
        let output = scratch.appendingPathComponent("kept-alive-spans.json")
        // Python's own file server, speaking HTTP/1.1 so that connections are kept alive.
        let server = try ServerProcess([products.appendingPathComponent("otel-instrument").path, "--", "/usr/bin/python3", "-c", """
            import functools, http.server, sys
            class Handler(http.server.SimpleHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
            handler = functools.partial(Handler, directory=sys.argv[2])
            http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), handler).serve_forever()
            """, String(port), site.path], environment: serverEnvironment(output), port: port)
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736", parent = "00f067aa0ba902b7"
        let client = try runCommand("/usr/bin/env", ["python3", "-c", """
            import socket, sys
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            replies = s.makefile("rb")
            for request in (b"GET /first HTTP/1.1\\r\\nHost: localhost\\r\\nUser-Agent: first-agent\\r\\n"
                            b"traceparent: 00-\(trace)-\(parent)-01\\r\\ntracestate: vendor=1\\r\\n"
                            b"baggage: user=alice\\r\\nX-Forwarded-For: 203.0.113.7\\r\\n\\r\\n",
                            b"GET /second HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n"):
                s.sendall(request)
                status = replies.readline().split()[1].decode()
                length = 0
                while (line := replies.readline()) not in (b"\\r\\n", b""):
                    if line.lower().startswith(b"content-length:"): length = int(line.split(b":")[1])
                print(status, replies.read(length).decode().strip())
            """, String(server.port)])
        XCTAssertEqual(client.stdout, "200 first\n200 second\n", client.stderr)
        let spans = try awaitSpans(output, count: 2)
        XCTAssertEqual(spans.count, 2)
        guard spans.count == 2 else { return }
        let (first, second) = (attributes(spans[0]), attributes(spans[1]))
        XCTAssertEqual([first["url.path"] as? String, second["url.path"] as? String], ["/first", "/second"])
        XCTAssertEqual(first["network.peer.port"] as? Int, second["network.peer.port"] as? Int, "one connection")
        XCTAssertEqual(spans[0]["parent_id"] as? String, "0x" + parent) // the console exporter's format
        XCTAssertEqual(traceId(spans[0]), "0x" + trace)
        XCTAssertEqual(first["user_agent.original"] as? String, "first-agent")
        XCTAssertEqual(first["client.address"] as? String, "203.0.113.7")
        XCTAssertTrue(spans[1]["parent_id"] is NSNull, "the second request carried no context: a new trace")
        XCTAssertNotEqual(traceId(spans[1]), "0x" + trace)
        XCTAssertNil(second["user_agent.original"])
        XCTAssertEqual(second["client.address"] as? String, "127.0.0.1")
    }

    /// nginx as it is usually run (a master process forking its worker; sendfile on)
    /// under otel-instrument: keep-alive, HEAD, 404, 503, a request from an
    /// instrumented Python client and pipelined requests, each its own span,
    /// exported by the worker.
    func testNginxGetsASpanPerRequestAndContinuesIncomingTraces() throws {
        let nginx = "/usr/sbin/nginx"
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: nginx), "nginx is not installed (.ci/run installs it)")
        let port = ServerProcess.freePort()
        let root = scratch.appendingPathComponent("nginx")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("www"), withIntermediateDirectories: true)
        try String(repeating: "static file\n", count: 1000).write(to: root.appendingPathComponent("www/index.html"), atomically: true, encoding: .utf8)
        let config = root.appendingPathComponent("nginx.conf")
        try """
            daemon off;
            worker_processes 1;
            pid \(root.path)/nginx.pid;
            error_log \(root.path)/error.log;
            events { worker_connections 64; }
            http {
                access_log off;
                sendfile on;
                client_body_temp_path \(root.path)/body;
                proxy_temp_path \(root.path)/proxy;
                fastcgi_temp_path \(root.path)/fastcgi;
                uwsgi_temp_path \(root.path)/uwsgi;
                scgi_temp_path \(root.path)/scgi;
                server {
                    listen 127.0.0.1:\(port);
                    root \(root.path)/www;
                    location /fail { return 503; }
                    location /drop { return 444; }
                }
            }
            """.write(to: config, atomically: true, encoding: .utf8)
        // The worker runs as nobody: it must reach the site and the file it prints its spans to.
        let output = scratch.appendingPathComponent("nginx-spans.json")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil, attributes: [.posixPermissions: 0o666])
        for directory in [scratch!, root, root.appendingPathComponent("www")] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        }
        // The duration metric goes to an OTLP receiver, collected every 200 ms.
        let receiver = try Receiver(scratch: scratch)
        let environment = serverEnvironment(output).merging(["OTEL_METRICS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                                                             "OTEL_METRIC_EXPORT_INTERVAL": "200"]) { $1 }
        let server = try ServerProcess([products.appendingPathComponent("otel-instrument").path, "--", nginx, "-c", config.path, "-e", root.path + "/error.log"],
                                       environment: environment, port: port)
        let base = "http://127.0.0.1:\(server.port)"
        // One curl, one connection: three requests kept alive, then a HEAD on another.
        let plain = try run(["curl", "-s", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n",
                             base + "/index.html", base + "/missing", base + "/fail"], instrumented: false)
        XCTAssertEqual(plain.stdout, "200 1\n404 0\n503 0\n", "keep-alive: one connection")
        XCTAssertEqual(try run(["curl", "-s", "-I", "-o", "/dev/null", "-w", "%{http_code}", base + "/index.html"], instrumented: false).stdout, "200")
        let client = try instrumentedPythonClient([base + "/index.html"])
        // nginx's 444 closes the connection without a response (curl: "Empty reply from server").
        XCTAssertEqual(try run(["curl", "-s", base + "/drop"], instrumented: false).status, 52)
        // Three requests pipelined in one write: the HEAD's response says Content-Length
        // but has no body, so the responses after it are read as responses (RFC 9112 §6.3).
        let pipelined = try run(["python3", "-c", """
            import socket, sys
            connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            connection.sendall(b"HEAD /index.html HTTP/1.1\\r\\nHost: a\\r\\n\\r\\nGET /missing HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n"
                               b"GET /index.html HTTP/1.1\\r\\nHost: a\\r\\nConnection: close\\r\\n\\r\\n")
            received = b""
            while chunk := connection.recv(65536):
                received += chunk
            print(received.count(b"HTTP/1.1 "), len(received) > 12000)
            """, String(server.port)], instrumented: false)
        XCTAssertEqual(pipelined.stdout, "3 True\n", pipelined.stderr)
        let spans = try awaitSpans(output, count: 9)
        XCTAssertEqual(spans.map { $0["name"] as? String }, ["GET", "GET", "GET", "HEAD", "GET", "GET", "HEAD", "GET", "GET"])
        guard spans.count == 9 else { return }
        XCTAssertEqual(spans.map { attributes($0)["http.response.status_code"] as? Int }, [200, 404, 503, 200, 200, nil, 200, 404, 200])
        XCTAssertEqual(spans.map { attributes($0)["url.path"] as? String },
                       ["/index.html", "/missing", "/fail", "/index.html", "/index.html", "/drop", "/index.html", "/missing", "/index.html"])
        XCTAssertEqual(Set(spans.suffix(3).compactMap { attributes($0)["network.peer.port"] as? Int }).count, 1, "one connection")
        // No response at all: an error (HTTP server spans, "error.type": failed before a status was sent).
        XCTAssertEqual((spans[5]["status"] as? [String: String])?["status_code"], "ERROR")
        XCTAssertEqual(attributes(spans[5])["error.type"] as? String, "connection_closed")
        XCTAssertEqual(Set(spans.prefix(3).compactMap { attributes($0)["network.peer.port"] as? Int }).count, 1, "one connection")
        XCTAssertEqual((spans[2]["status"] as? [String: String])?["status_code"], "ERROR")
        XCTAssertEqual(attributes(spans[2])["error.type"] as? String, "503")
        XCTAssertEqual(spans[4]["parent_id"] as? String, try XCTUnwrap(client.spans.first.flatMap(spanId)))
        XCTAssertEqual(traceId(spans[4]), client.spans.first.flatMap(traceId))
        XCTAssertTrue(spans.prefix(4).allSatisfy { $0["parent_id"] is NSNull }, "no incoming context: a new trace")
        // Each span lasts from the request's first byte to the response's last: sendfile'd bodies included.
        XCTAssertTrue(spans.allSatisfy { ($0["start_time"] as? String ?? "") <= ($0["end_time"] as? String ?? "") })
        // Span times come from the monotonic clock anchored to the wall clock: within the last two minutes.
        let minutes = Set([Date(), Date(timeIntervalSinceNow: -60), Date(timeIntervalSinceNow: -120)].map {
            ISO8601DateFormatter().string(from: $0).prefix(16) // 2026-12-07T05:20
        })
        XCTAssertTrue(spans.allSatisfy { minutes.contains(($0["start_time"] as? String ?? "").prefix(16)) }, "\(spans.map { $0["start_time"] ?? "" })")
        // http.server.request.duration: one point per method, status and version (HTTP metrics).
        var points: [String: Int] = [:]
        for _ in 0..<100 where points.values.reduce(0, +) < 9 {
            Thread.sleep(forTimeInterval: 0.1)
            points = durationPoints(receiver.requests("/v1/metrics"), name: "http.server.request.duration")
        }
        XCTAssertEqual(points, ["GET 200 1.1 http": 3, "GET 404 1.1 http": 2, "GET 503 1.1 http 503": 1, "HEAD 200 1.1 http": 2,
                                "GET 1.1 http connection_closed": 1])
    }

    /// A request is timed from its first byte to its response's last, on the wall
    /// clock its client reads, and its duration metric says exactly as long as its
    /// span: the request line, then 0.3 s later the rest, to Python's http.server.
    /// On this machine (and CI's) the kernel keeps time by the CPU's time-stamp
    /// counter, so the requests are timed by it (Plugins/HTTPServer/request_clock.c);
    /// on one that does not, this test and the next both check CLOCK_MONOTONIC.
    func testARequestIsTimedFromItsFirstByteToItsResponsesLast() throws {
        try checkSplitRequestTiming(prefix: [])
    }

    /// The same where the kernel's clocksource cannot be read (a mount namespace
    /// hides it), as in a container without /sys: requests are timed by CLOCK_MONOTONIC.
    func testARequestIsTimedByTheMonotonicClockWhereTheClocksourceIsHidden() throws {
        let hide = ["unshare", "--mount", "sh", "-c", "mount -t tmpfs none /sys/devices/system/clocksource && exec \"$@\"", "sh"]
        let probe = try runCommand("/usr/bin/env", hide + ["test", "!", "-e", "/sys/devices/system/clocksource/clocksource0"])
        try XCTSkipUnless(probe.status == 0, "no mount namespace here to hide the clocksource in: \(probe.output)")
        try checkSplitRequestTiming(prefix: hide)
    }

    /// Runs Python's http.server under otel-instrument (after `prefix`) and checks one split request's span and metric.
    func checkSplitRequestTiming(prefix: [String]) throws {
        let port = ServerProcess.freePort()
        let site = scratch.appendingPathComponent("timed")
        try FileManager.default.createDirectory(at: site, withIntermediateDirectories: true)
        try "hello\n".write(to: site.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        let receiver = try Receiver(scratch: scratch)
        let environment = ["OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": "none",
                           "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "50",
                           "OTEL_METRIC_EXPORT_INTERVAL": "200", "OTEL_NATIVE_PROCESS_SPANS": "false", "PATH": "/usr/local/bin:/usr/bin:/bin"]
        let server = try ServerProcess(prefix + [products.appendingPathComponent("otel-instrument").path, "--", "/usr/bin/python3", "-m",
                                                 "http.server", String(port), "--bind", "127.0.0.1", "--directory", site.path],
                                       environment: environment, port: port)
        let client = try runCommand("/usr/bin/env", ["python3", "-c", """
            import socket, sys, time
            connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            before = time.time_ns()
            connection.sendall(b"GET /index.html HTTP/1.1\\r\\n")
            time.sleep(0.3)
            connection.sendall(b"Host: a\\r\\nConnection: close\\r\\n\\r\\n")
            while connection.recv(65536):
                pass
            print(before, time.time_ns())
            """, String(server.port)])
        let times = client.stdout.split(separator: " ").compactMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        XCTAssertEqual(times.count, 2, client.output)
        var span: [String: Any]?
        var sum: Double?
        for _ in 0..<100 where span == nil || sum == nil {
            Thread.sleep(forTimeInterval: 0.1)
            span = exportedSpans(receiver.requests("/v1/traces")).first { $0["kind"] as? String == "SPAN_KIND_SERVER" }
            sum = histogramSums(receiver.requests("/v1/metrics"), name: "http.server.request.duration").first
        }
        let start = try XCTUnwrap(UInt64(span?["startTimeUnixNano"] as? String ?? ""), "\(String(describing: span))")
        let end = try XCTUnwrap(UInt64(span?["endTimeUnixNano"] as? String ?? ""))
        let seconds = try XCTUnwrap(sum, "no duration point")
        guard times.count == 2 else { return }
        // Between the client's first byte and its last read, at least the 0.3 s it waited
        // (a millisecond's leeway for the clock's first rate, measured over 50 µs).
        XCTAssertLessThanOrEqual(times[0], start + 1_000_000, "the span starts after the client sent its first byte")
        XCTAssertLessThanOrEqual(end, times[1] + 1_000_000, "the span ends before the client read the response's end")
        XCTAssertGreaterThanOrEqual(end - start, 300_000_000, "the span lasts the 0.3 s the request's bytes were apart")
        // The metric's duration is the span's, to the nanosecond (one double's rounding).
        XCTAssertEqual(seconds * 1e9, Double(end - start), accuracy: 2, "metric \(seconds) s, span \(end - start) ns")
    }

    /// The histogram points of metric `name` in the last decoded export that has it.
    func histogramPoints(_ requests: [[String: Any]], name: String) -> [[String: Any]] {
        let metrics = requests.flatMap { request -> [[String: Any]] in
            ((request["body"] as? [String: Any])?["resourceMetrics"] as? [[String: Any]] ?? []).flatMap { resource in
                (resource["scopeMetrics"] as? [[String: Any]] ?? []).flatMap { $0["metrics"] as? [[String: Any]] ?? [] }
            }
        }.filter { $0["name"] as? String == name }
        return (metrics.last?["histogram"] as? [String: Any])?["dataPoints"] as? [[String: Any]] ?? []
    }

    /// The sums of the histogram points of metric `name` in the last export that has it.
    func histogramSums(_ requests: [[String: Any]], name: String) -> [Double] {
        histogramPoints(requests, name: name).compactMap { $0["sum"] as? Double }
    }

    /// The histogram points of metric `name` in the last export that has it, by their
    /// attribute values (method, status, version, scheme, error.type) joined: their counts.
    func durationPoints(_ requests: [[String: Any]], name: String) -> [String: Int] {
        let points = histogramPoints(requests, name: name)
        var counts: [String: Int] = [:]
        for point in points {
            var values: [String: String] = [:]
            for attribute in point["attributes"] as? [[String: Any]] ?? [] {
                let value = attribute["value"] as? [String: Any] ?? [:]
                values[attribute["key"] as? String ?? ""] = (value["stringValue"] as? String) ?? (value["intValue"] as? String)
            }
            let key = ["http.request.method", "http.response.status_code", "network.protocol.version", "url.scheme", "error.type"]
                .compactMap { values[$0] }.joined(separator: " ")
            counts[key, default: 0] += Int(point["count"] as? String ?? "") ?? 0
        }
        return counts
    }

    /// errno around every wrapped call of a served request (Tests/interop/errno_server.c):
    /// a call that succeeds leaves the program's errno, one that fails the kernel's,
    /// with the span and the duration metric recorded meanwhile; output unchanged.
    func testWrappedSocketCallsLeaveErrnoAsTheProgramExpects() throws {
        let program = scratch.appendingPathComponent("errno_server").path
        let build = try runCommand("/usr/bin/env", ["cc", "-o", program,
                                                    Self.repository.appendingPathComponent("Tests/interop/errno_server.c").path])
        XCTAssertEqual(build.status, 0, build.output)
        let plain = try run([program], instrumented: false)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(plain.stdout.components(separatedBy: "as expected").count - 1, 8, plain.stdout)
        let output = scratch.appendingPathComponent("errno-spans.json")
        let traced = try run([program], environment: ["OTEL_TRACES_EXPORTER": "console", "OTEL_METRICS_EXPORTER": "console",
                                                      "OTEL_NATIVE_CONSOLE_OUTPUT": output.path])
        XCTAssertEqual(traced.status, 0, traced.stderr)
        XCTAssertEqual(traced.stdout, plain.stdout)
        let text = try String(contentsOf: output, encoding: .utf8)
        XCTAssertTrue(text.contains("\"url.query\": \"x=1\""), text)
        XCTAssertTrue(text.contains("http.server.request.duration"), text)
    }

    /// Tests/interop/threaded_sqlite_app.py under otel-instrument, and the file its spans go to.
    func threadedSQLiteApp() throws -> (ServerProcess, URL) {
        let port = ServerProcess.freePort()
        let output = scratch.appendingPathComponent("app-spans.json")
        let app = Self.repository.appendingPathComponent("Tests/interop/threaded_sqlite_app.py")
        let server = try ServerProcess([products.appendingPathComponent("otel-instrument").path, "--", "/usr/bin/python3", app.path, String(port)],
                                       environment: serverEnvironment(output), port: port)
        return (server, output)
    }

    /// A thread-per-request server: the request's span is current while its thread
    /// handles it, so the SQLite statements it runs are its children.
    func testStatementsRunWhileHandlingARequestAreItsChildren() throws {
        let (server, output) = try threadedSQLiteApp()
        for _ in 0..<2 {
            XCTAssertEqual(try run(["curl", "-s", "http://127.0.0.1:\(server.port)/count"], instrumented: false).stdout, "1\n")
        }
        let spans = try awaitSpans(output, count: 2) { $0["kind"] as? String == "SpanKind.SERVER" }
        let servers = spans.filter { $0["kind"] as? String == "SpanKind.SERVER" }
        XCTAssertEqual(servers.count, 2)
        for server in servers {
            let children = spans.filter { $0["parent_id"] as? String == spanId(server) }
            // Python's sqlite3 module begins a transaction before the INSERT.
            XCTAssertEqual(children.map { $0["name"] as? String }, ["CREATE TABLE hits", "BEGIN", "INSERT hits", "SELECT hits"])
            XCTAssertTrue(children.allSatisfy { traceId($0) == traceId(server) })
        }
        let statements = spans.filter { $0["kind"] as? String == "SpanKind.CLIENT" }
        XCTAssertEqual(statements.count, 8, "no statement outside a request")
    }

    /// A request whose caller did not sample it: its span records nothing but is
    /// current all the same, so the statements run meanwhile follow the caller's
    /// decision (trace SDK "ParentBased": a child of a parent not sampled is not
    /// sampled) instead of starting traces of their own or joining the process's.
    func testStatementsOfARequestItsCallerDidNotSampleAreNotRecorded() throws {
        let (server, output) = try threadedSQLiteApp()
        let notSampled = "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
        XCTAssertEqual(try run(["curl", "-s", "-H", notSampled, "http://127.0.0.1:\(server.port)/count"], instrumented: false).stdout, "1\n")
        XCTAssertEqual(try run(["curl", "-s", "http://127.0.0.1:\(server.port)/count"], instrumented: false).stdout, "1\n")
        // Batches are exported in order: the first request's spans, had it any, come before the second's.
        let spans = try awaitSpans(output, count: 1) { $0["kind"] as? String == "SpanKind.SERVER" }
        let servers = spans.filter { $0["kind"] as? String == "SpanKind.SERVER" }
        XCTAssertEqual(servers.count, 1, "the request its caller did not sample has no span")
        let statements = spans.filter { $0["kind"] as? String == "SpanKind.CLIENT" }
        XCTAssertEqual(statements.map { $0["name"] as? String }, ["CREATE TABLE hits", "BEGIN", "INSERT hits", "SELECT hits"])
        XCTAssertTrue(statements.allSatisfy { $0["parent_id"] as? String == spanId(servers[0]) }, "\(statements)")
    }

    /// A server that is not HTTP on its accepted sockets: no span, bytes unchanged.
    func testAcceptedSocketsThatAreNotHTTPAreLeftAlone() throws {
        let port = ServerProcess.freePort()
        let output = scratch.appendingPathComponent("echo-spans.json")
        let script = """
            import socket, sys
            listener = socket.create_server(("127.0.0.1", int(sys.argv[1])))
            while True:
                connection, _ = listener.accept()
                data = connection.recv(65536)
                connection.sendall(data[::-1])
                connection.close()
            """
        let server = try ServerProcess([products.appendingPathComponent("otel-instrument").path, "--", "/usr/bin/python3", "-c", script, String(port)],
                                       environment: serverEnvironment(output), port: port)
        _ = server
        // TLS-looking bytes, then a request line that is HTTP/2's preface: neither is HTTP/1.x.
        let tls = try runCommand("/usr/bin/env", ["python3", "-c", """
            import socket, sys
            for payload in (b"\\x16\\x03\\x01\\x02\\x00\\x01\\x00", b"PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n"):
                s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                s.sendall(payload)
                print(s.recv(100) == payload[::-1])
                s.close()
            """, String(port)])
        XCTAssertEqual(tls.stdout, "True\nTrue\n")
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(try awaitSpans(output, count: 0).count, 0)
    }

    /// The parser of request and response bytes, replayed over the fuzzing corpus
    /// (Tests/Fuzz) under AddressSanitizer and UndefinedBehaviorSanitizer.
    func testTheHTTPParserSurvivesItsFuzzingCorpus() throws {
        let fuzz = Self.repository.appendingPathComponent("Tests/Fuzz")
        let replay = scratch.appendingPathComponent("replay").path
        try compileC("replay", try String(contentsOf: fuzz.appendingPathComponent("http_parser_fuzz.c"), encoding: .utf8),
                     ["-DREPLAY", "-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
                      "-I", Self.repository.appendingPathComponent("Plugins/HTTPServer/include").path,
                      Self.repository.appendingPathComponent("Plugins/HTTPServer/http_parser.c").path, "-o", replay])
        let corpus = fuzz.appendingPathComponent("corpus/http_parser")
        let inputs = try FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted().map { corpus.appendingPathComponent($0).path }
        XCTAssertGreaterThan(inputs.count, 100)
        let result = try runCommand(replay, inputs)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(result.stdout, "replayed \(inputs.count) inputs\n")
    }
}
