import Foundation
import XCTest

/// The libcurl instrumentation on /usr/bin/curl and on a program using
/// libcurl's easy interface, against real servers on 127.0.0.1.
extension OtelInstrumentTests {
    /// Tests/interop/http_echo_server.py: answers with the request it got, as JSON.
    func startEchoServer() throws -> ServerProcess {
        let script = Self.repository.appendingPathComponent("Tests/interop/http_echo_server.py")
        return try ServerProcess(["python3", script.path])
    }

    /// The request an echo server saw, from the body it answered with.
    func echoedRequest(_ body: String) throws -> (method: String, headers: [[String]]) {
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], body)
        return (try XCTUnwrap(json["method"] as? String), try XCTUnwrap(json["headers"] as? [[String]]))
    }

    /// curl under otel-instrument with the console exporter: its result and its spans.
    func tracedCurl(_ arguments: [String], environment: [String: String] = [:])
        throws -> (result: (status: Int32, stdout: String, stderr: String), spans: [[String: Any]]) {
        let output = scratch.appendingPathComponent("spans-\(UUID().uuidString).json").path
        let result = try run(["--traces_exporter", "console", "--console_output", output, "curl"] + arguments, environment: environment)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return (result, try consoleSpans(text))
    }

    func attributes(_ span: [String: Any]) -> [String: Any] { span["attributes"] as? [String: Any] ?? [:] }

    /// The span's context as the traceparent its request should carry (sampled, random flag).
    func traceparent(of span: [String: Any]) throws -> String {
        let context = try XCTUnwrap(span["context"] as? [String: String])
        let trace = try XCTUnwrap(context["trace_id"]).dropFirst(2)
        let id = try XCTUnwrap(context["span_id"]).dropFirst(2)
        return "00-\(trace)-\(id)-03"
    }

    func testCurlGetsAClientSpanAndSendsItsContextInPlaceOfTheApplicationsOwn() throws {
        let server = try startEchoServer()
        let url = "http://user:secret@127.0.0.1:\(server.port)/items?sig=abc&page=2#top"
        let arguments = ["-s", "-H", "traceparent: 00-11111111111111111111111111111111-2222222222222222-01",
                         "-H", "X-Mine: kept", "-d", "a=b", url]
        let plain = try run(["curl"] + arguments, instrumented: false)
        let traced = try tracedCurl(arguments)
        XCTAssertEqual(traced.result.status, plain.status)
        XCTAssertEqual(traced.result.stderr, plain.stderr)
        let span = try XCTUnwrap(traced.spans.first)
        XCTAssertEqual(traced.spans.count, 1)
        XCTAssertEqual(span["name"] as? String, "POST")
        XCTAssertEqual(span["kind"] as? String, "SpanKind.CLIENT")
        let attributes = attributes(span)
        XCTAssertEqual(attributes["http.request.method"] as? String, "POST")
        XCTAssertEqual(attributes["url.full"] as? String, "http://REDACTED:REDACTED@127.0.0.1:\(server.port)/items?sig=REDACTED&page=2",
                       "credentials and signatures redacted, no fragment")
        XCTAssertEqual(attributes["server.address"] as? String, "127.0.0.1")
        XCTAssertEqual(attributes["server.port"] as? Int, server.port)
        XCTAssertEqual(attributes["http.response.status_code"] as? Int, 200)
        XCTAssertEqual(attributes["network.protocol.version"] as? String, "1.1")
        XCTAssertEqual(attributes["network.peer.address"] as? String, "127.0.0.1")
        XCTAssertEqual((span["status"] as? [String: String])?["status_code"], "UNSET")
        // What the server received: the span's context once, instead of the application's; its other headers as they were.
        let echoed = try echoedRequest(traced.result.stdout)
        let plainEchoed = try echoedRequest(plain.stdout)
        XCTAssertEqual(echoed.headers.filter { $0[0] == "traceparent" }.map { $0[1] }, [try traceparent(of: span)])
        XCTAssertEqual(echoed.headers.filter { $0[0] != "traceparent" }, plainEchoed.headers.filter { $0[0] != "traceparent" })
        XCTAssertEqual(echoed.headers.filter { $0[0] == "x-mine" }.count, 1)
        // A span the sampler drops is not exported, but its context still travels, marked not sampled
        // (W3C trace context: the downstream service keeps the decision).
        let dropped = try tracedCurl(["-s", "http://127.0.0.1:\(server.port)/dropped"], environment: ["OTEL_TRACES_SAMPLER": "always_off"])
        XCTAssertEqual(dropped.spans.count, 0)
        let droppedParent = try XCTUnwrap(try echoedRequest(dropped.result.stdout).headers.first { $0[0] == "traceparent" })
        XCTAssertTrue(droppedParent[1].hasSuffix("-02"), droppedParent[1])
    }

    func testCurlMethodsFollowWhatItSends() throws {
        let server = try startEchoServer()
        let base = "http://127.0.0.1:\(server.port)"
        let upload = scratch.appendingPathComponent("upload.txt")
        try "payload\n".write(to: upload, atomically: true, encoding: .utf8)
        let cases: [([String], String, String, String?)] = [
            (["-s", base + "/g"], "GET", "GET", nil),
            (["-s", "-I", base + "/h"], "HEAD", "HEAD", nil),
            (["-s", "-T", upload.path, base + "/u"], "PUT", "PUT", nil),
            (["-s", "-X", "DELETE", base + "/d"], "DELETE", "DELETE", nil),
            (["-s", "-X", "PURGE", base + "/p"], "HTTP", "_OTHER", "PURGE"),
            (["-s", "-d", "x", "-X", "GET", base + "/x"], "GET", "GET", nil),
        ]
        for (arguments, name, method, original) in cases {
            let traced = try tracedCurl(arguments)
            XCTAssertEqual(traced.result.status, 0, "\(arguments): \(traced.result.stderr)")
            XCTAssertEqual(traced.spans.map { $0["name"] as? String }, [name], "\(arguments)")
            let attributes = attributes(try XCTUnwrap(traced.spans.first))
            XCTAssertEqual(attributes["http.request.method"] as? String, method, "\(arguments)")
            XCTAssertEqual(attributes["http.request.method_original"] as? String, original, "\(arguments)")
        }
    }

    func testCurlFailuresAreErrorSpansAndTheExitStatusIsUnchanged() throws {
        let server = try startEchoServer()
        // A 404 (curl -f fails with 22): error.type is the status code.
        let notFound = ["-s", "-f", "http://127.0.0.1:\(server.port)/status/404"]
        let plainNotFound = try run(["curl"] + notFound, instrumented: false)
        let tracedNotFound = try tracedCurl(notFound)
        XCTAssertEqual(tracedNotFound.result.status, plainNotFound.status)
        XCTAssertEqual(tracedNotFound.result.status, 22)
        let failed = try XCTUnwrap(tracedNotFound.spans.first)
        XCTAssertEqual((failed["status"] as? [String: String])?["status_code"], "ERROR")
        XCTAssertEqual(attributes(failed)["error.type"] as? String, "404")
        XCTAssertEqual(attributes(failed)["http.response.status_code"] as? Int, 404)
        // A 500 without -f: the transfer succeeds, the span is still an error.
        let serverError = try tracedCurl(["-s", "http://127.0.0.1:\(server.port)/status/500"])
        XCTAssertEqual(serverError.result.status, 0)
        XCTAssertEqual(attributes(try XCTUnwrap(serverError.spans.first))["error.type"] as? String, "500")
        // Nobody listening: curl's error names the failure.
        let refused = ["-s", "http://127.0.0.1:1/"]
        let plainRefused = try run(["curl"] + refused, instrumented: false)
        let tracedRefused = try tracedCurl(refused)
        XCTAssertEqual(tracedRefused.result.status, plainRefused.status)
        XCTAssertEqual(tracedRefused.result.stderr, plainRefused.stderr)
        let refusedSpan = try XCTUnwrap(tracedRefused.spans.first)
        XCTAssertEqual(attributes(refusedSpan)["error.type"] as? String, "CURLE_COULDNT_CONNECT")
        XCTAssertNil(attributes(refusedSpan)["http.response.status_code"])
        XCTAssertEqual((refusedSpan["status"] as? [String: String])?["status_code"], "ERROR")
        // Not HTTP: no span.
        let file = try tracedCurl(["-s", "file:///etc/hostname"])
        XCTAssertEqual(file.result.status, 0)
        XCTAssertEqual(file.spans.count, 0)
    }

    /// curl -Z runs its transfers through the multi interface: a span and a context each.
    func testCurlParallelTransfersEachGetTheirSpan() throws {
        let server = try startEchoServer()
        let base = "http://127.0.0.1:\(server.port)"
        let traced = try tracedCurl(["-s", "-Z", base + "/a", base + "/b", base + "/c"])
        XCTAssertEqual(traced.result.status, 0, traced.result.stderr)
        XCTAssertEqual(traced.spans.count, 3)
        let urls = Set(traced.spans.compactMap { attributes($0)["url.full"] as? String })
        XCTAssertEqual(urls, [base + "/a", base + "/b", base + "/c"])
        // The bodies arrive one after another: each names the span of its own request.
        let bodies = traced.result.stdout.replacingOccurrences(of: "}{", with: "}\n{").split(separator: "\n")
        XCTAssertEqual(bodies.count, 3)
        for body in bodies {
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            let path = try XCTUnwrap(json["path"] as? String)
            let headers = try XCTUnwrap(json["headers"] as? [[String]])
            let span = try XCTUnwrap(traced.spans.first { attributes($0)["url.full"] as? String == base + path })
            XCTAssertEqual(headers.filter { $0[0] == "traceparent" }.map { $0[1] }, [try traceparent(of: span)])
        }
    }

    /// A program of its own on libcurl's easy interface: one handle, the same
    /// header list for three transfers, reset in between. The list is the
    /// application's after each transfer (curl_slist untouched), each request
    /// carries its own span's context once, and errno is what libcurl left.
    func testALibcurlProgramKeepsItsHeaderListAndGetsASpanPerTransfer() throws {
        let server = try startEchoServer()
        let directory = scratch.path
        try compileC("easy", """
            #define _GNU_SOURCE
            #include <errno.h>
            #include <stdio.h>
            #include <string.h>
            typedef void CURL;
            struct curl_slist { char *data; struct curl_slist *next; };
            CURL *curl_easy_init(void);
            int curl_easy_setopt(CURL *, int, ...);
            int curl_easy_perform(CURL *);
            void curl_easy_reset(CURL *);
            void curl_easy_cleanup(CURL *);
            struct curl_slist *curl_slist_append(struct curl_slist *, const char *);
            void curl_slist_free_all(struct curl_slist *);
            static size_t count_traceparents(char *data, size_t size, size_t count, void *user) {
                const char *at = data;
                size_t length = size * count;
                while ((at = memmem(at, length - (size_t)(at - data), "\\"traceparent\\"", 13))) { (*(int *)user)++; at++; }
                return size * count;
            }
            int main(int argc, char **argv) {
                (void)argc;
                CURL *curl = curl_easy_init();
                struct curl_slist *headers = curl_slist_append(NULL, "X-App: 1");
                headers = curl_slist_append(headers, "Traceparent: 00-11111111111111111111111111111111-2222222222222222-01");
                for (int i = 0; i < 3; i++) {
                    int seen = 0;
                    if (i == 2) curl_easy_reset(curl);
                    curl_easy_setopt(curl, 10002 /* URL */, argv[1]);
                    curl_easy_setopt(curl, 10023 /* HTTPHEADER */, headers);
                    curl_easy_setopt(curl, 20011 /* WRITEFUNCTION */, count_traceparents);
                    curl_easy_setopt(curl, 10001 /* WRITEDATA */, &seen);
                    errno = 0;
                    int code = curl_easy_perform(curl);
                    printf("transfer %d: code=%d traceparents=%d\\n", i, code, seen);
                }
                printf("list: %s | %s | %s\\n", headers->data, headers->next->data, headers->next->next ? "longer" : "end");
                curl_slist_free_all(headers);
                curl_easy_cleanup(curl);
                return 0;
            }
            """, ["-o", directory + "/easy", "-l:libcurl.so.4"])
        let program = directory + "/easy"
        let url = "http://127.0.0.1:\(server.port)/easy"
        let plain = try run([program, url], instrumented: false)
        let expected = (0..<3).map { "transfer \($0): code=0 traceparents=1\n" }.joined()
            + "list: X-App: 1 | Traceparent: 00-11111111111111111111111111111111-2222222222222222-01 | end\n"
        XCTAssertEqual(plain.stdout, expected)
        let output = directory + "/spans.json"
        let result = try run(["--traces_exporter", "console", "--console_output", output, program, url])
        XCTAssertEqual(result.stdout, expected, "one traceparent per request, the application's list unchanged")
        XCTAssertEqual(result.status, 0)
        let spans = try consoleSpans(String(contentsOfFile: output, encoding: .utf8))
        XCTAssertEqual(spans.map { $0["name"] as? String }, ["GET", "GET", "GET"])
        XCTAssertEqual(Set(spans.compactMap { ($0["context"] as? [String: String])?["trace_id"] }).count, 3, "three root spans")
    }

    /// http.client.request.duration from /usr/bin/curl, with the conventions' buckets.
    func testCurlRecordsTheClientDurationMetric() throws {
        let server = try startEchoServer()
        let output = scratch.appendingPathComponent("metrics.json").path
        let result = try run(["--traces_exporter", "none", "--metrics_exporter", "console", "--console_output", output,
                              "curl", "-s", "-o", "/dev/null", "http://127.0.0.1:\(server.port)/m", "http://127.0.0.1:\(server.port)/status/503"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output))) as? [String: Any])
        let scopes = try XCTUnwrap((json["resource_metrics"] as? [[String: Any]])?.first?["scope_metrics"] as? [[String: Any]])
        let metric = try XCTUnwrap(scopes.flatMap { $0["metrics"] as? [[String: Any]] ?? [] }.first { $0["name"] as? String == "http.client.request.duration" })
        XCTAssertEqual(metric["unit"] as? String, "s")
        let points = try XCTUnwrap((metric["data"] as? [String: Any])?["data_points"] as? [[String: Any]])
        XCTAssertEqual(points.count, 2, "one point per status")
        for point in points {
            let attributes = try XCTUnwrap(point["attributes"] as? [String: Any])
            XCTAssertEqual(attributes["http.request.method"] as? String, "GET")
            XCTAssertEqual(attributes["server.address"] as? String, "127.0.0.1")
            XCTAssertEqual(attributes["url.scheme"] as? String, "http")
            XCTAssertEqual(point["count"] as? Int, 1)
            XCTAssertEqual(point["explicit_bounds"] as? [Double], [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10])
            let status = attributes["http.response.status_code"] as? Int
            XCTAssertEqual(attributes["error.type"] as? String, status == 503 ? "503" : nil)
        }
    }

    /// The acceptance: our instrumented curl calls a Flask app run under
    /// OpenTelemetry Python's opentelemetry-instrument; Flask's SERVER span is
    /// a child of our CLIENT span, in the same trace.
    func testFlaskUnderOpenTelemetryPythonContinuesCurlsTrace() throws {
        let python = Self.repository.appendingPathComponent(".build/interop-python/bin")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: python.appendingPathComponent("opentelemetry-instrument").path),
                          "the Python interop environment is missing: .ci/run creates it in .build/interop-python")
        let flaskOutput = scratch.appendingPathComponent("flask.out")
        let app = Self.repository.appendingPathComponent("Tests/interop/flask_app.py")
        let flask = try ServerProcess([python.appendingPathComponent("opentelemetry-instrument").path, python.appendingPathComponent("python").path, app.path],
                                      environment: ["OTEL_TRACES_EXPORTER": "console", "OTEL_METRICS_EXPORTER": "none",
                                                    "OTEL_LOGS_EXPORTER": "none", "OTEL_BSP_SCHEDULE_DELAY": "50",
                                                    "OTEL_SERVICE_NAME": "flask"],
                                      output: flaskOutput)
        let url = "http://127.0.0.1:\(flask.port)/hello"
        var traced = try tracedCurl(["-s", "--retry", "20", "--retry-connrefused", "--retry-delay", "1", url])
        XCTAssertEqual(traced.result.stdout, "hello from flask\n", traced.result.stderr)
        traced.spans = traced.spans.filter { attributes($0)["http.response.status_code"] as? Int == 200 }
        let client = try XCTUnwrap(traced.spans.last)
        let clientContext = try XCTUnwrap(client["context"] as? [String: String])
        // Python prints its span once its batch processor exports it.
        var server: [String: Any]?
        for _ in 0..<100 where server == nil {
            // Flask's banner comes first; then whole spans only (the exporter may be midway through one).
            let lines = ((try? String(contentsOf: flaskOutput, encoding: .utf8)) ?? "").components(separatedBy: "\n")
            let text = lines.drop { $0 != "{" }.joined(separator: "\n")
            if text.hasSuffix("}\n") { server = try consoleSpans(text).first { $0["name"] as? String == "GET /hello" } }
            if server == nil { Thread.sleep(forTimeInterval: 0.1) }
        }
        let flaskSpan = try XCTUnwrap(server, "Flask's span was not printed")
        XCTAssertEqual(flaskSpan["kind"] as? String, "SpanKind.SERVER")
        XCTAssertEqual((flaskSpan["context"] as? [String: String])?["trace_id"], clientContext["trace_id"])
        XCTAssertEqual(flaskSpan["parent_id"] as? String, clientContext["span_id"])
    }
}
