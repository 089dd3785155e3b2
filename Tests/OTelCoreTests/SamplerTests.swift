import OTelCore
import XCTest

final class SamplerTests: XCTestCase {
    /// The fraction sampled by a ratio sampler lies within 5 standard
    /// deviations of the ratio over 200 000 random trace ids.
    func testTraceIdRatioIsStatisticallyRight() {
        let generator = RandomIdGenerator()
        let trials = 200_000
        for ratio in [0.01, 0.1, 0.25, 0.5, 0.9] {
            let sampler = TraceIdRatioBasedSampler(ratio: ratio)
            var sampled = 0
            for _ in 0..<trials where sampler.shouldSample(parent: nil, traceId: generator.makeTraceId(), name: "s", kind: .internal,
                                                         attributes: [], links: []).decision == .recordAndSample {
                sampled += 1
            }
            let sigma = (Double(trials) * ratio * (1 - ratio)).squareRoot()
            XCTAssertEqual(Double(sampled), Double(trials) * ratio, accuracy: 5 * sigma, "ratio \(ratio)")
        }
    }

    func testRatioEdgesAndMonotonicity() {
        let generator = RandomIdGenerator()
        let ids = (0..<10_000).map { _ in generator.makeTraceId() }
        func sampled(_ ratio: Double) -> Set<TraceId> {
            let sampler = TraceIdRatioBasedSampler(ratio: ratio)
            return Set(ids.filter { sampler.shouldSample(parent: nil, traceId: $0, name: "", kind: .internal, attributes: [], links: []).decision == .recordAndSample })
        }
        XCTAssertEqual(sampled(0).count, 0)
        XCTAssertEqual(sampled(1).count, ids.count)
        // A trace sampled at one ratio is sampled at every higher ratio (trace SDK, "TraceIdRatioBased").
        XCTAssertTrue(sampled(0.2).isSubset(of: sampled(0.3)))
        XCTAssertEqual(TraceIdRatioBasedSampler(ratio: 0.25).description, "TraceIdRatioBased{0.25}")
    }

    func testParentBasedFollowsParent() {
        let sampler = ParentBasedSampler(root: AlwaysOffSampler())
        let traceId = TraceId(high: 1, low: 2)
        func decide(_ parent: SpanContext?) -> SamplingDecision {
            sampler.shouldSample(parent: parent, traceId: traceId, name: "", kind: .internal, attributes: [], links: []).decision
        }
        XCTAssertEqual(decide(nil), .drop)
        XCTAssertEqual(decide(SpanContext(traceId: traceId, spanId: SpanId(3), traceFlags: .sampled, isRemote: true)), .recordAndSample)
        XCTAssertEqual(decide(SpanContext(traceId: traceId, spanId: SpanId(3), traceFlags: [], isRemote: true)), .drop)
        XCTAssertEqual(decide(SpanContext(traceId: traceId, spanId: SpanId(3), traceFlags: .sampled)), .recordAndSample)
        XCTAssertEqual(decide(SpanContext(traceId: traceId, spanId: SpanId(3), traceFlags: [])), .drop)
        XCTAssertEqual(sampler.description, "ParentBased{root:AlwaysOffSampler,remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}")
    }

    func testSamplerFromEnvironment() {
        func sampler(_ values: [String: String]) -> String {
            SamplerName.sampler(config: ConfigReader(environment: Environment(values), diagnostics: Diagnostics(level: .none))).description
        }
        XCTAssertTrue(sampler([:]).hasPrefix("ParentBased{root:AlwaysOnSampler"))
        XCTAssertEqual(sampler(["OTEL_TRACES_SAMPLER": "always_off"]), "AlwaysOffSampler")
        XCTAssertEqual(sampler(["OTEL_TRACES_SAMPLER": "TraceIdRatio", "OTEL_TRACES_SAMPLER_ARG": "0.5"]), "TraceIdRatioBased{0.5}")
        XCTAssertTrue(sampler(["OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.125"]).hasPrefix("ParentBased{root:TraceIdRatioBased{0.125}"))
        XCTAssertEqual(sampler(["OTEL_TRACES_SAMPLER": "traceidratio"]), "TraceIdRatioBased{1.0}")
    }

    func testNonSampledSpanKeepsTraceAndGetsNewSpanId() {
        let (provider, exporter) = makeProvider(sampler: AlwaysOffSampler())
        let tracer = provider.tracer(name: "t")
        let span = tracer.startSpan("dropped", parent: .root)
        XCTAssertFalse(span.isRecording)
        XCTAssertTrue(span.context.isValid)
        XCTAssertFalse(span.context.isSampled)
        XCTAssertTrue(span.context.traceFlags.contains(.random), "root spans from the random generator carry the random flag")
        // Without a parent argument and nothing current: a new trace, decided on the fast path.
        let implicitRoot = tracer.startSpan("implicit root")
        XCTAssertFalse(implicitRoot.isRecording)
        XCTAssertTrue(implicitRoot.context.isValid)
        XCTAssertTrue(implicitRoot.context.traceFlags.contains(.random))
        XCTAssertNotEqual(implicitRoot.context.traceId, span.context.traceId)
        let scope = span.makeCurrent()
        let child = tracer.startSpan("child")
        scope.restore()
        XCTAssertEqual(child.context.traceId, span.context.traceId)
        XCTAssertNotEqual(child.context.spanId, span.context.spanId)
        span.end()
        child.end()
        XCTAssertTrue(exporter.spans.isEmpty)
    }
}
