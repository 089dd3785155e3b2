import OTelCore
import XCTest

/// W3C Baggage: parsing, percent-encoding, metadata and limits.
final class BaggagePropagatorTests: XCTestCase {
    func testRoundTripWithEncodingAndMetadata() {
        let baggage = Baggage().setting("user", to: "José, 100%").setting("tier", to: "gold", metadata: "ttl=60")
        var carrier = DictionaryCarrier()
        BaggagePropagator().inject(Context(baggage: baggage), into: &carrier)
        XCTAssertEqual(carrier.values["baggage"], "user=Jos%C3%A9%2C%20100%25,tier=gold;ttl=60")
        let extracted = BaggagePropagator().extract(from: carrier, into: .root).baggage
        XCTAssertEqual(extracted, baggage)
    }

    func testMalformedMembersAreSkipped() {
        let header = "good=1, =nokey, bad key=2, novalue, also=%zz, fine = 2 ;p"
        let baggage = BaggagePropagator().extract(from: DictionaryCarrier(["baggage": header]), into: .root).baggage
        XCTAssertEqual(baggage.entries.map(\.name), ["good", "fine"])
        XCTAssertEqual(baggage.value("fine"), "2")
        XCTAssertEqual(baggage.entries.last?.metadata, "p")
    }

    func testLimits() {
        let tooLong = "k=" + String(repeating: "v", count: 8200)
        XCTAssertTrue(BaggagePropagator().extract(from: DictionaryCarrier(["baggage": tooLong]), into: .root).baggage.isEmpty)
        let many = (0..<100).map { "k\($0)=v" }.joined(separator: ",")
        XCTAssertEqual(BaggagePropagator().extract(from: DictionaryCarrier(["baggage": many]), into: .root).baggage.entries.count, 64)
        var big = Baggage()
        for index in 0..<100 { big = big.setting("key\(index)", to: String(repeating: "x", count: 100)) }
        var carrier = DictionaryCarrier()
        BaggagePropagator().inject(Context(baggage: big), into: &carrier)
        let header = carrier.values["baggage"]!
        XCTAssertLessThanOrEqual(header.utf8.count, 8192)
        XCTAssertLessThanOrEqual(header.split(separator: ",").count, 64)
        XCTAssertTrue(header.split(separator: ",").allSatisfy { $0.hasSuffix(String(repeating: "x", count: 100)) }, "no partial member")
    }

    func testCompositeFromEnvironment() {
        let captured = CapturedDiagnostics()
        let config = ConfigReader(environment: Environment(["OTEL_PROPAGATORS": "tracecontext, b3, bogus ,baggage"]), diagnostics: captured.make())
        let composite = CompositePropagator.fromEnvironment(config: config)
        XCTAssertEqual(composite.fields, ["traceparent", "tracestate", "baggage"])
        XCTAssertEqual(captured.lines.count, 2)
        XCTAssertTrue(captured.lines.contains { $0.contains("b3") })
        XCTAssertTrue(captured.lines.contains { $0.contains("bogus") })
        let none = CompositePropagator.fromEnvironment(config: ConfigReader(environment: Environment(["OTEL_PROPAGATORS": "none"]), diagnostics: captured.make()))
        XCTAssertTrue(none.propagators.isEmpty)
    }
}
