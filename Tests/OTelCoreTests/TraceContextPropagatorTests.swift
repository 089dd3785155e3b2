import OTelCore
import XCTest

/// Vectors derived from W3C Trace Context §3.2 (traceparent), §3.3
/// (tracestate) and §4.3 (versioning), as exercised by the W3C test suite.
final class TraceContextPropagatorTests: XCTestCase {
    let traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
    let parentId = "00f067aa0ba902b7"

    func extract(_ headers: [String: String]) -> SpanContext? {
        TraceContextPropagator().extract(from: DictionaryCarrier(headers), into: .root).parentSpanContext
    }

    func testValidTraceparentIsExtractedAsRemote() throws {
        let context = try XCTUnwrap(extract(["traceparent": "00-\(traceId)-\(parentId)-01"]))
        XCTAssertEqual(context.traceId.hexString, traceId)
        XCTAssertEqual(context.spanId.hexString, parentId)
        XCTAssertTrue(context.isSampled)
        XCTAssertTrue(context.isRemote)
    }

    func testNotSampledAndRandomFlags() throws {
        XCTAssertFalse(try XCTUnwrap(extract(["traceparent": "00-\(traceId)-\(parentId)-00"])).isSampled)
        let random = try XCTUnwrap(extract(["traceparent": "00-\(traceId)-\(parentId)-03"]))
        XCTAssertEqual(random.traceFlags, [.sampled, .random])
        // Unknown flag bits are not forwarded (W3C: "vendors MUST set those to zero").
        let unknown = try XCTUnwrap(extract(["traceparent": "00-\(traceId)-\(parentId)-ff"]))
        XCTAssertEqual(unknown.traceFlags.rawValue, 0x03)
    }

    func testInvalidTraceparentsAreIgnored() {
        let invalid = [
            "ff-\(traceId)-\(parentId)-01",                 // version ff is forbidden
            "00-00000000000000000000000000000000-\(parentId)-01", // zero trace id
            "00-\(traceId)-0000000000000000-01",             // zero parent id
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-\(parentId)-01", // uppercase hex
            "00-\(traceId)-00F067AA0BA902B7-01",
            "00-\(traceId)-\(parentId)-0",                   // truncated
            "00-\(traceId)-\(parentId)",
            "00-\(traceId.dropLast())-\(parentId)-01",
            "00-\(traceId)-\(parentId)-01-extra",            // version 00 has exactly 55 characters
            "00-\(traceId)-\(parentId)-01x",
            "0-\(traceId)-\(parentId)-01",
            "00_\(traceId)_\(parentId)_01",
            "zz-\(traceId)-\(parentId)-01",
            "00-\(traceId)-\(parentId)-0g",
            "cc-\(traceId)-\(parentId)-01x",                 // future version: 56th char must be '-'
            "",
        ]
        for header in invalid {
            XCTAssertNil(extract(["traceparent": header]), header)
        }
    }

    func testFutureVersionWithExtraFieldsIsParsed() throws {
        let context = try XCTUnwrap(extract(["traceparent": "cc-\(traceId)-\(parentId)-01-what-the-future-holds"]))
        XCTAssertEqual(context.traceId.hexString, traceId)
        XCTAssertTrue(context.isSampled)
        XCTAssertNotNil(extract(["traceparent": "01-\(traceId)-\(parentId)-00"]))
    }

    func testTracestateIsKeptWithValidTraceparentOnly() throws {
        let context = try XCTUnwrap(extract(["traceparent": "00-\(traceId)-\(parentId)-01", "tracestate": "rojo=00f067aa0ba902b7, congo=t61rcWkgMzE,,"]))
        XCTAssertEqual(context.traceState.entries.map(\.key), ["rojo", "congo"])
        XCTAssertEqual(context.traceState.value(forKey: "congo"), "t61rcWkgMzE")
        XCTAssertNil(extract(["traceparent": "00-\(traceId)-\(parentId)", "tracestate": "rojo=1"]))
    }

    func testInvalidTracestateIsDroppedWhole() throws {
        let invalid = [
            "Rojo=1",                 // uppercase key
            "rojo=1,rojo=2",          // duplicate key
            "rojo",                   // no value
            "rojo=a,=b",              // empty key
            "rojo=a=b,",              // '=' in value
            "1rojo=1",                // must start with a letter
            "t@" + String(repeating: "a", count: 15) + "=1", // system id longer than 14
            (0..<33).map { "k\($0)=v" }.joined(separator: ","), // more than 32 members
            "rojo=" + String(repeating: "x", count: 257),
            "rojo=x\ty",              // tab is not a value character
            "rojo=caf\u{e9}",        // nor is non-ASCII
        ]
        for header in invalid {
            let context = try XCTUnwrap(extract(["traceparent": "00-\(traceId)-\(parentId)-01", "tracestate": header]))
            XCTAssertTrue(context.traceState.isEmpty, header)
        }
        let valid = try XCTUnwrap(extract(["traceparent": "00-\(traceId)-\(parentId)-01",
                                           "tracestate": (0..<32).map { "k\($0)=v" }.joined(separator: ",") + ",tenant@vendor=x y"]))
        XCTAssertTrue(valid.traceState.isEmpty, "33 members including a multi-tenant key is still too many")
        let multiTenant = try XCTUnwrap(extract(["traceparent": "00-\(traceId)-\(parentId)-01", "tracestate": "0tenant@vendor=x y"]))
        XCTAssertEqual(multiTenant.traceState.value(forKey: "0tenant@vendor"), "x y")
    }

    func testInjectWritesLowercaseVersion00() {
        let spanContext = SpanContext(traceId: TraceId(hex: traceId)!, spanId: SpanId(hex: parentId)!,
                                      traceFlags: [.sampled, .random], traceState: TraceState(header: "a=1,b=2")!)
        var carrier = DictionaryCarrier()
        TraceContextPropagator().inject(Context(span: Span(nonRecording: spanContext)), into: &carrier)
        XCTAssertEqual(carrier.values["traceparent"], "00-\(traceId)-\(parentId)-03")
        XCTAssertEqual(carrier.values["tracestate"], "a=1,b=2")
    }

    func testInjectSkipsInvalidContext() {
        var carrier = DictionaryCarrier()
        TraceContextPropagator().inject(.root, into: &carrier)
        XCTAssertTrue(carrier.values.isEmpty)
    }

    func testTraceStateUpdateMovesKeyToFront() throws {
        let state = try XCTUnwrap(TraceState(header: "a=1,b=2,c=3"))
        XCTAssertEqual(state.setting("c", to: "9").headerValue, "c=9,a=1,b=2")
        XCTAssertEqual(state.removing("b").headerValue, "a=1,c=3")
        XCTAssertEqual(state.setting("BAD", to: "1"), state)
    }
}
