import COTelCore
import Foundation
import OTelCore
import Synchronization
import XCTest

/// Collects what the provider exports (the reader's exporter).
final class CollectingMetricExporter: MetricExporter, @unchecked Sendable {
    private let lock = NSLock()
    private var exported: [[MetricData]] = []
    var collections: [[MetricData]] { lock.withLock { exported } }

    func export(_ metrics: [MetricData], resource: Resource) -> ExportResult {
        lock.withLock { exported.append(metrics) }
        return .success
    }

    func forceFlush(timeoutNanoseconds: UInt64) -> Bool { true }
    func shutdown(timeoutNanoseconds: UInt64) -> Bool { true }
}

final class MetricsTests: XCTestCase {
    func makeMeterProvider(temporality: TemporalityPreference = .cumulative, cardinalityLimit: Int = 2000,
                           diagnostics: Diagnostics = Diagnostics(level: .none)) -> (MeterProvider, CollectingMetricExporter) {
        let exporter = CollectingMetricExporter()
        let provider = MeterProvider(resource: Resource(attributes: [Attribute("service.name", "reference")]), exporters: [exporter],
                                     intervalNanoseconds: 3_600_000_000_000, temporality: temporality,
                                     cardinalityLimit: cardinalityLimit, diagnostics: diagnostics)
        return (provider, exporter)
    }

    /// The metrics of one collection, by name.
    func collect(_ provider: MeterProvider) -> [String: MetricData] {
        Dictionary(uniqueKeysWithValues: provider.collect().map { ($0.name, $0) })
    }

    /// Calls `body` with `attributes` (scalar values) as the C API takes them,
    /// their strings valid during the call.
    func withCAttributes(_ attributes: [Attribute], _ body: ([otel_attribute]) -> Void) {
        var strings: [UnsafeMutablePointer<CChar>] = []
        defer { strings.forEach { free($0) } }
        func copy(_ text: String) -> UnsafePointer<CChar> {
            strings.append(strdup(text))
            return UnsafePointer(strings.last!)
        }
        body(attributes.map { attribute in
            var converted = otel_attribute()
            converted.key = copy(attribute.key)
            switch attribute.value {
            case .string(let text): converted.type = OTEL_ATTRIBUTE_STRING; converted.value.string_value = copy(text)
            case .bool(let flag): converted.type = OTEL_ATTRIBUTE_BOOL; converted.value.bool_value = flag
            case .int(let number): converted.type = OTEL_ATTRIBUTE_INT; converted.value.int_value = number
            case .double(let number): converted.type = OTEL_ATTRIBUTE_DOUBLE; converted.value.double_value = number
            default: XCTFail("arrays are not converted here")
            }
            return converted
        })
    }

    /// Eight threads add to one counter and one histogram at once: nothing is lost.
    func testConcurrentRecordsAddUp() throws {
        let (provider, _) = makeMeterProvider()
        let meter = provider.meter(name: "lib")
        let counter = meter.counter("hits")
        let histogram = meter.histogram("sizes", boundaries: [10, 100])
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for index in 0..<10_000 {
                counter.record(Int64(1), attributes: [Attribute("parity", .int(Int64(index % 2)))])
                histogram.record(Double(index % 200), attributes: [Attribute("thread", .int(Int64(thread % 2)))])
            }
        }
        let metrics = collect(provider)
        let hits = try XCTUnwrap(metrics["hits"])
        XCTAssertEqual(hits.points.map { $0.value }, [MetricPointValue.int(40_000), .int(40_000)])
        XCTAssertEqual(hits.points.map { $0.attributes.first?.value }, [.int(0), .int(1)])
        let sizes = try XCTUnwrap(metrics["sizes"])
        for point in sizes.points {
            guard case .histogram(let value) = point.value else { return XCTFail("not a histogram") }
            XCTAssertEqual(value.count, 40_000)
            let rounds: UInt64 = 4 * 50 // per point: four threads, 50 rounds of 0…199
            XCTAssertEqual(value.bucketCounts, [rounds * 11, rounds * 90, rounds * 99])
            XCTAssertEqual(value.min, 0)
            XCTAssertEqual(value.max, 199)
            let perThreadParity = 4 * 50 * (199 * 200 / 2) // four threads, 50 rounds of 0…199 each
            XCTAssertEqual(value.sum, Double(perThreadParity))
        }
    }

    /// Delta temporality empties the cells at each collection; cumulative does not.
    /// Up-down counters stay cumulative under the delta preference.
    func testTemporality() throws {
        let (delta, _) = makeMeterProvider(temporality: .delta)
        let counter = delta.meter(name: "lib").counter("c")
        let upDown = delta.meter(name: "lib").upDownCounter("u")
        counter.record(Int64(2))
        upDown.record(Int64(2))
        XCTAssertEqual(collect(delta)["c"]?.points.first?.value, .int(2))
        counter.record(Int64(3))
        upDown.record(Int64(3))
        let second = collect(delta)
        XCTAssertEqual(second["c"]?.points.first?.value, .int(3))
        XCTAssertEqual(second["c"]?.temporality, .delta)
        XCTAssertEqual(second["u"]?.points.first?.value, .int(5))
        XCTAssertEqual(second["u"]?.temporality, .cumulative)
        XCTAssertNil(collect(delta)["c"], "nothing recorded since: no point")

        let (cumulative, _) = makeMeterProvider()
        let total = cumulative.meter(name: "lib").counter("c")
        total.record(Int64(2))
        _ = collect(cumulative)
        total.record(Int64(3))
        XCTAssertEqual(collect(cumulative)["c"]?.points.first?.value, .int(5))
    }

    /// The same attribute set in another order, or from C, is the same point;
    /// the last of repeated keys wins.
    func testAttributeSetsAggregateWhateverTheirOrderAndApi() throws {
        let (provider, _) = makeMeterProvider()
        let meter = provider.meter(name: "lib")
        let counter = meter.counter("c")
        counter.record(Int64(1), attributes: [Attribute("b", "2"), Attribute("a", 1)])
        counter.record(Int64(1), attributes: [Attribute("a", 1), Attribute("b", "2")])
        counter.record(Int64(1), attributes: [Attribute("a", 9), Attribute("b", "2"), Attribute("a", 1)])
        withCAttributes([Attribute("a", 1), Attribute("b", "2")]) { attributes in
            otel_instrument_record_int(counter.cInstrument, 1, attributes, 2)
            otel_instrument_record_int(counter.cInstrument, 1, Array(attributes.reversed()), 2)
        }
        let points = try XCTUnwrap(collect(provider)["c"]).points
        XCTAssertEqual(points.count, 1)
        XCTAssertEqual(points.first?.value, .int(5))
        XCTAssertEqual(points.first?.attributes, [Attribute("a", 1), Attribute("b", "2")])
    }

    /// Attributes of every scalar type from C: in key order (the one-pass key) or
    /// not (the sorting one), the same attribute set.
    func testCAttributesInKeyOrderOrNotAreOneSet() throws {
        let (provider, _) = makeMeterProvider()
        let histogram = provider.meter(name: "lib").histogram("h")
        withCAttributes([Attribute("a.flag", true), Attribute("b.ratio", 0.5), Attribute("c.count", -3), Attribute("d.name", "GET")]) { attributes in
            otel_instrument_record_double(histogram.cInstrument, 1, attributes, 4)
            otel_instrument_record_double(histogram.cInstrument, 2, [attributes[2], attributes[0], attributes[3], attributes[1]], 4)
        }
        let points = try XCTUnwrap(collect(provider)["h"]).points
        XCTAssertEqual(points.count, 1)
        XCTAssertEqual(points.first?.attributes, [Attribute("a.flag", true), Attribute("b.ratio", 0.5), Attribute("c.count", -3), Attribute("d.name", "GET")])
    }

    /// An attribute set made once (otel_attribute_set_create) is the same set as
    /// its attributes passed at each record, in any order; a NULL set is the empty set.
    func testCAttributeSetsRecordIntoTheSameSetAsTheirAttributes() throws {
        let (provider, _) = makeMeterProvider()
        let meter = provider.meter(name: "lib")
        let histogram = meter.histogram("h", boundaries: [1, 10])
        let counter = meter.counter("c")
        withCAttributes([Attribute("http.request.method", "GET"), Attribute("http.response.status_code", 200)]) { attributes in
            let set = otel_attribute_set_create(attributes, 2)
            XCTAssertNotNil(set)
            otel_instrument_record_double_set(histogram.cInstrument, 0.5, set)
            otel_instrument_record_double_set(histogram.cInstrument, 5, set)
            otel_instrument_record_double(histogram.cInstrument, 50, Array(attributes.reversed()), 2)
            otel_instrument_record_double_set(histogram.cInstrument, -1, set) // a histogram takes no negative value
            otel_instrument_record_int_set(counter.cInstrument, 2, set)
            otel_instrument_record_int_set(counter.cInstrument, 3, nil)
            otel_attribute_set_release(set)
        }
        let metrics = collect(provider)
        let points = try XCTUnwrap(metrics["h"]).points
        XCTAssertEqual(points.count, 1)
        XCTAssertEqual(points.first?.attributes, [Attribute("http.request.method", "GET"), Attribute("http.response.status_code", 200)])
        guard case .histogram(let value)? = points.first?.value else { return XCTFail("not a histogram point") }
        XCTAssertEqual(value.count, 3)
        XCTAssertEqual(value.sum, 55.5)
        XCTAssertEqual(value.bucketCounts, [1, 1, 1])
        let sums = try XCTUnwrap(metrics["c"]).points.sorted { $0.attributes.count < $1.attributes.count }
        XCTAssertEqual(sums.map(\.attributes.count), [0, 2])
        XCTAssertEqual(sums.map(\.value), [.int(3), .int(2)])
    }

    /// Two attribute sets made of the same attributes, in any order, record into one
    /// point, whichever was used last (a cell remembers the set that last matched it
    /// and compares keys for any other); a set of other attributes into its own.
    func testAttributeSetsOfTheSameAttributesShareTheirPoint() throws {
        let (provider, _) = makeMeterProvider()
        let counter = provider.meter(name: "lib").counter("c")
        withCAttributes([Attribute("a", 1), Attribute("b", "2")]) { attributes in
            let first = otel_attribute_set_create(attributes, 2)
            let second = otel_attribute_set_create(Array(attributes.reversed()), 2)
            let other = otel_attribute_set_create(attributes, 1)
            for set in [first, second, first, other, second, second, first] {
                otel_instrument_record_int_set(counter.cInstrument, 1, set)
            }
            [first, second, other].forEach { otel_attribute_set_release($0) }
        }
        let points = try XCTUnwrap(collect(provider)["c"]).points.sorted { $0.attributes.count < $1.attributes.count }
        XCTAssertEqual(points.map(\.attributes), [[Attribute("a", 1)], [Attribute("a", 1), Attribute("b", "2")]])
        XCTAssertEqual(points.map(\.value), [.int(1), .int(6)])
    }

    /// The C API's records of a prepared set (decided in C, instrument_fast_path.c)
    /// follow the rules the Swift API applies: an integer instrument keeps a
    /// floating-point value toward zero and one beyond Int64's range at its end
    /// (no trap in the host program), NaN records nothing, a counter's negative
    /// value is dropped with one warning; a disabled instrument records nothing.
    func testCSetRecordsFollowTheInstrumentsRules() throws {
        let lines = CapturedDiagnostics()
        let (provider, _) = makeMeterProvider(diagnostics: lines.make(level: .warning))
        let meter = provider.meter(name: "lib")
        let counter = meter.counter("c")
        let queue = meter.upDownCounter("q")
        XCTAssertTrue(otel_instrument_enabled(counter.cInstrument))
        otel_instrument_record_double_set(counter.cInstrument, 2.9, nil)
        otel_instrument_record_double_set(counter.cInstrument, .nan, nil)
        otel_instrument_record_double_set(counter.cInstrument, -1, nil)
        otel_instrument_record_int_set(counter.cInstrument, -5, nil)
        otel_instrument_record_double_set(queue.cInstrument, -2.9, nil)
        queue.record(1e300) // Int64.max: the sum Int64.max - 2
        otel_instrument_record_double_set(queue.cInstrument, -1e30, nil) // Int64.min: the sum -3
        let metrics = collect(provider)
        XCTAssertEqual(metrics["c"]?.points.map(\.value), [.int(2)])
        XCTAssertEqual(metrics["q"]?.points.map(\.value), [.int(-3)])
        XCTAssertEqual(lines.lines.filter { $0.contains("negative") }.count, 1, lines.lines.joined(separator: "\n"))
        // Without an exporter nothing reads the instruments.
        let unread = MeterProvider(resource: Resource(attributes: []), exporters: [], diagnostics: Diagnostics(level: .none)).meter(name: "lib").counter("u")
        XCTAssertFalse(otel_instrument_enabled(unread.cInstrument))
        otel_instrument_record_int_set(unread.cInstrument, 1, nil)
    }

    func testGaugeKeepsTheLastValueAndRejectsWhatIsInvalid() throws {
        let lines = CapturedDiagnostics()
        let (provider, _) = makeMeterProvider(cardinalityLimit: 3, diagnostics: lines.make(level: .warning))
        let meter = provider.meter(name: "lib")
        let gauge = meter.gauge("temp")
        gauge.record(20.5)
        gauge.record(21.5)
        let counter = meter.counter("c")
        counter.record(Int64(-1))
        counter.record(Int64(-2))
        for index in 0..<5 { counter.record(Int64(1), attributes: [Attribute("i", .int(Int64(index)))]) }
        _ = meter.histogram("h", boundaries: [3, 1])
        _ = meter.counter("9lives")
        let metrics = collect(provider)
        XCTAssertEqual(metrics["temp"]?.points.map { $0.value }, [MetricPointValue.double(21.5)])
        XCTAssertNil(metrics["temp"]?.points.first?.startTime)
        // Cardinality limit 3: two sets, then everything else in the overflow set.
        let points = try XCTUnwrap(metrics["c"]).points
        XCTAssertEqual(points.count, 3)
        XCTAssertEqual(points.last?.attributes, [Attribute("otel.metric.overflow", true)])
        XCTAssertEqual(points.last?.value, .int(3))
        XCTAssertEqual(lines.lines.filter { $0.contains("negative") }.count, 1, lines.lines.joined(separator: "\n"))
        XCTAssertTrue(lines.lines.contains { $0.contains("advisory bucket boundaries") })
        XCTAssertTrue(lines.lines.contains { $0.contains("\"9lives\" is not valid") })
        XCTAssertTrue(meter.counter("C") === meter.counter("c"), "names are compared without case")
    }

    /// ConsoleMetricExporter's output equals OpenTelemetry Python's for the same
    /// recordings, line for line (timestamps zeroed in both).
    func testConsoleOutputEqualsOpenTelemetryPython() throws {
        let script = ConsoleExporterInteropTests.repository.appendingPathComponent("Tests/interop/python_console_metrics.py")
        let python = try runProgram("/usr/bin/env", ["python3", script.path], environment: ProcessInfo.processInfo.environment)
        XCTAssertEqual(python.status, 0, "OpenTelemetry Python must be installed (pip install opentelemetry-sdk): \(python.stderr)")
        let (provider, _) = makeMeterProvider()
        let meter = provider.meter(name: "lib", version: "1.0", schemaURL: "https://s")
        let requests = meter.counter("requests", unit: "1", description: "reqs")
        requests.record(Int64(3), attributes: [Attribute("a", "x")])
        requests.record(Int64(2), attributes: [Attribute("a", "x")])
        requests.record(Int64(1), attributes: [Attribute("a", "y"), Attribute("b", true)])
        let latency = meter.histogram("latency", unit: "s", description: "lat", boundaries: [0.1, 1.0])
        for value in [0.05, 0.5, 3.0] { latency.record(value, attributes: [Attribute("k", 1)]) }
        let queue = meter.upDownCounter("queue", unit: "{item}")
        queue.record(Int64(5))
        queue.record(Int64(-2))
        meter.gauge("temp", unit: "Cel").record(21.5, attributes: [Attribute("room", "a")])
        let sizes = meter.histogram("sizes", unit: "By", isDouble: false)
        sizes.record(Int64(7))
        sizes.record(Int64(300))
        let metrics = provider.collect().map { metric in
            var zeroed = metric
            zeroed.points = metric.points.map { point in
                var point = point
                point.time = 0
                if point.startTime != nil { point.startTime = 0 }
                return point
            }
            return zeroed
        }
        let ours = ConsoleMetricExporter.render(metrics, resource: provider.resource) + "\n"
        XCTAssertEqual(ours, python.stdout)
        for (index, (a, b)) in zip(ours.split(separator: "\n"), python.stdout.split(separator: "\n")).enumerated() where a != b {
            XCTFail("first difference at line \(index + 1):\n ours:   \(a)\n python: \(b)")
            break
        }
    }

    /// The thread's cached attribute set never outlives a change: an array
    /// changed after a record, or another array, gets its own point.
    func testTheAttributeSetCacheFollowsChangedArrays() throws {
        let (provider, _) = makeMeterProvider()
        let counter = provider.meter(name: "lib").counter("c")
        var attributes = [Attribute("k", "first")]
        counter.record(Int64(1), attributes: attributes)
        counter.record(Int64(1), attributes: attributes)
        attributes[0] = Attribute("k", "second")
        counter.record(Int64(1), attributes: attributes)
        attributes.append(Attribute("j", 1))
        counter.record(Int64(1), attributes: attributes)
        let points = try XCTUnwrap(collect(provider)["c"]).points
        // Points come in key order: {j, k} sorts before {k}.
        XCTAssertEqual(points.map { $0.attributes.map(\.value) }, [[.int(1), .string("second")], [.string("first")], [.string("second")]])
        XCTAssertEqual(points.map(\.value), [.int(1), .int(2), .int(1)])
    }

    /// No instrument, no reader thread: shutdown has nothing to wait for.
    func testAProviderWithoutInstrumentsShutsDownAtOnce() {
        let (provider, exporter) = makeMeterProvider()
        let start = Date()
        XCTAssertTrue(provider.shutdown(timeoutNanoseconds: 10_000_000_000))
        XCTAssertLessThan(Date().timeIntervalSince(start), 1, "it did not wait for a thread that never started")
        XCTAssertTrue(exporter.collections.isEmpty)
    }

    /// The reader exports at shutdown what was recorded since its last collection.
    func testShutdownExportsOnce() {
        let (provider, exporter) = makeMeterProvider()
        provider.meter(name: "lib").counter("c").record(Int64(4))
        XCTAssertTrue(provider.shutdown(timeoutNanoseconds: 1_000_000_000))
        XCTAssertFalse(provider.shutdown(timeoutNanoseconds: 1_000_000_000))
        XCTAssertEqual(exporter.collections.count, 1)
        XCTAssertEqual(exporter.collections.first?.first?.points.first?.value, .int(4))
    }
}
