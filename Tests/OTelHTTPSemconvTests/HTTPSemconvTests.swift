import OTelHTTPSemconv
import XCTest

/// url.full, method normalisation and error.type as the HTTP conventions ask.
final class HTTPSemconvTests: XCTestCase {
    private func full(_ url: String, size: Int = 512) -> (String, Bool) {
        var buffer = [CChar](repeating: 0, count: size)
        let complete = otel_url_full(url, &buffer, size)
        return (String(cString: buffer), complete)
    }

    func testURLFullRedactsCredentialsAndSignaturesAndDropsTheFragment() {
        XCTAssertEqual(full("https://user:secret@example.com:8443/a/b?x=1#frag").0, "https://REDACTED:REDACTED@example.com:8443/a/b?x=1")
        XCTAssertEqual(full("http://token@example.com/").0, "http://REDACTED:REDACTED@example.com/")
        XCTAssertEqual(full("https://s3.example.com/o?AWSAccessKeyId=AKIA&Expires=1&Signature=abc%2F&sig=1&X-Goog-Signature=2&signature=3").0,
                       "https://s3.example.com/o?AWSAccessKeyId=REDACTED&Expires=1&Signature=REDACTED&sig=REDACTED&X-Goog-Signature=REDACTED&signature=3",
                       "the listed keys only, matched exactly")
        XCTAssertEqual(full("127.0.0.1:8080/x?q").0, "http://127.0.0.1:8080/x?q", "libcurl's default scheme")
        XCTAssertEqual(full("http://[::1]:99").0, "http://[::1]:99/")
        XCTAssertEqual(full("http://a@b@host/p@q").0, "http://REDACTED:REDACTED@host/p@q", "userinfo ends at the last @ of the authority")
        XCTAssertFalse(full("http:///nohost").1)
        let cut = full("http://example.com/" + String(repeating: "a", count: 100), size: 32)
        XCTAssertFalse(cut.1)
        XCTAssertEqual(cut.0.utf8.count, 31)
    }

    func testURLPartsGiveServerAddressAndPort() {
        var parts = otel_url_parts()
        XCTAssertTrue(otel_url_parse("https://[2001:db8::1]/x", &parts))
        XCTAssertEqual(String(decoding: UnsafeRawBufferPointer(start: parts.host, count: parts.host_length), as: UTF8.self), "2001:db8::1")
        XCTAssertEqual(parts.port, 443)
        XCTAssertTrue(otel_url_is_http(&parts))
        XCTAssertTrue(otel_url_parse("HTTP://example.com", &parts))
        XCTAssertEqual(parts.port, 80)
        XCTAssertTrue(otel_url_is_http(&parts))
        XCTAssertTrue(otel_url_parse("ftp://example.com:21/f", &parts))
        XCTAssertFalse(otel_url_is_http(&parts))
        XCTAssertFalse(otel_url_parse("http://example.com:99999/", &parts), "not a port")
    }

    func testMethodsAreKnownOnlyInTheirCanonicalSpelling() {
        XCTAssertEqual(otel_http_known_method("PATCH", 5).map { String(cString: $0) }, "PATCH")
        XCTAssertNil(otel_http_known_method("get", 3), "methods are case-sensitive: _OTHER")
        XCTAssertNil(otel_http_known_method("PURGE", 5))
    }

    func testErrorTypeFollowsTheSideOfTheCall() {
        var buffer = [CChar](repeating: 0, count: 12)
        XCTAssertEqual(otel_http_status_error(404, false, &buffer).map { String(cString: $0) }, "404")
        XCTAssertNil(otel_http_status_error(404, true, &buffer), "a 4xx is the client's error, not the server's")
        XCTAssertEqual(otel_http_status_error(503, true, &buffer).map { String(cString: $0) }, "503")
        XCTAssertNil(otel_http_status_error(200, false, &buffer))
    }

    func testQueryRedactionForServerSpans() {
        var buffer = [CChar](repeating: 0, count: 128)
        let query = "a=1&sig=xyz"
        otel_url_query_redacted(query, query.utf8.count, &buffer, 128)
        XCTAssertEqual(String(cString: buffer), "a=1&sig=REDACTED")
    }
}
