import Foundation
import OTelCore
import Synchronization
import XCTest

final class SpanTests: XCTestCase {
    func testSpanRecordsEverythingAndEndsOnce() throws {
        let (provider, exporter) = makeProvider()
        let tracer = provider.tracer(name: "lib", version: "1.2", schemaURL: "https://opentelemetry.io/schemas/1.26.0")
        let linked = SpanContext(traceId: TraceId(high: 9, low: 9), spanId: SpanId(9), traceFlags: .sampled)
        let span = tracer.startSpan("op", kind: .server, parent: .root, attributes: [Attribute("a", 1)],
                                    links: [SpanLink(context: linked, attributes: Attributes())], startTime: 1_000)
        span.setAttribute("s", "text")
        span.setAttribute("arr", .intArray([1, 2]))
        span.setAttribute("a", 2)
        span.addEvent("evt", attributes: [Attribute("k", true)], timestamp: 1_500)
        span.recordException(type: "IOError", message: "disk full")
        span.setStatus(SpanStatus(code: .error, description: "boom"))
        span.updateName("renamed")
        span.end(at: 2_000)
        span.end(at: 3_000)
        span.setAttribute("late", "ignored")
        let data = try XCTUnwrap(exporter.spans.first)
        XCTAssertEqual(exporter.spans.count, 1)
        XCTAssertEqual(data.name, "renamed")
        XCTAssertEqual(data.kind, .server)
        XCTAssertEqual(data.attributes.entries.map(\.key), ["a", "s", "arr"])
        XCTAssertEqual(data.attributes["a"], .int(2))
        XCTAssertEqual(data.events.map(\.name), ["evt", "exception"])
        XCTAssertEqual(data.events[1].attributes["exception.type"], .string("IOError"))
        XCTAssertEqual(data.links.first?.context, linked)
        XCTAssertEqual(data.status, SpanStatus(code: .error, description: "boom"))
        XCTAssertEqual(data.startTime, 1_000)
        XCTAssertEqual(data.endTime, 2_000)
        XCTAssertEqual(data.scope, InstrumentationScope(name: "lib", version: "1.2", schemaURL: "https://opentelemetry.io/schemas/1.26.0"))
        XCTAssertNil(data.parentContext)
        XCTAssertFalse(span.isRecording)
    }

    /// The span's lock: 4 threads each set 200 attributes and add 50 events on
    /// one span while a fifth ends it; nothing set before the end is lost or torn.
    func testConcurrentMutationOfOneSpan() throws {
        var limits = SpanLimits()
        limits.attributeCount = 1000
        limits.eventCount = 1000
        let (provider, exporter) = makeProvider(limits: limits)
        let span = provider.tracer(name: "lib").startSpan("shared")
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for index in 0..<200 {
                span.setAttribute("t\(thread).\(index)", .string(String(repeating: "x", count: index % 40)))
                if index % 4 == 0 { span.addEvent("e\(thread).\(index)") }
            }
        }
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            if thread == 0 { span.end() } else { for _ in 0..<1000 { span.setAttribute("late", 1) } }
        }
        let data = try XCTUnwrap(exporter.spans.first)
        let kept = data.attributes.entries.filter { $0.key != "late" }
        XCTAssertEqual(kept.count, 800)
        for attribute in kept {
            let index = Int(attribute.key.split(separator: ".")[1])!
            XCTAssertEqual(attribute.value, .string(String(repeating: "x", count: index % 40)))
        }
        XCTAssertEqual(data.events.count, 200)
    }

    func testStatusRules() throws {
        let (provider, exporter) = makeProvider()
        let span = provider.tracer(name: "t").startSpan("s", parent: .root)
        span.setStatus(SpanStatus(code: .ok, description: "ignored for OK"))
        span.setStatus(SpanStatus(code: .error, description: "too late"))
        span.end()
        XCTAssertEqual(try XCTUnwrap(exporter.spans.first).status, SpanStatus(code: .ok))
    }

    func testLimitsDropAndCount() throws {
        var limits = SpanLimits()
        limits.attributeCount = 2
        limits.attributeValueLength = 3
        limits.eventCount = 1
        limits.linkCount = 1
        limits.attributesPerEvent = 1
        let (provider, exporter) = makeProvider(limits: limits)
        let link = SpanLink(context: SpanContext(traceId: TraceId(high: 1, low: 1), spanId: SpanId(1)), attributes: Attributes())
        let span = provider.tracer(name: "t").startSpan("s", parent: .root, links: [link, link])
        span.setAttribute("one", "abcdef")
        span.setAttribute("two", .stringArray(["xyzw", "ok"]))
        span.setAttribute("three", 3)
        span.setAttribute("one", "é€xyz")
        span.addEvent("e1", attributes: [Attribute("x", 1), Attribute("y", 2)])
        span.addEvent("e2")
        span.end()
        let data = try XCTUnwrap(exporter.spans.first)
        XCTAssertEqual(data.attributes.entries.map(\.key), ["one", "two"])
        XCTAssertEqual(data.attributes.droppedCount, 1)
        XCTAssertEqual(data.attributes["one"], .string("é€x"), "truncated to 3 characters, not bytes")
        XCTAssertEqual(data.attributes["two"], .stringArray(["xyz", "ok"]))
        XCTAssertEqual(data.events.count, 1)
        XCTAssertEqual(data.droppedEvents, 1)
        XCTAssertEqual(data.events[0].attributes.droppedCount, 1)
        XCTAssertEqual(data.links.count, 1)
        XCTAssertEqual(data.droppedLinks, 1)
    }

    /// A batch of attributes (what the C API's set_attributes passes) gives the
    /// same set as setting them one by one: repeated keys keep their first place
    /// and their last value, the count limit drops and counts, values are cut.
    func testABatchOfAttributesSetsAsOneByOne() {
        let repeating: [Attribute] = [Attribute("a", "1"), Attribute("bb", "22"), Attribute("cc", "333"), Attribute("a", "4"),
                                      Attribute("", "ignored"), Attribute("dd", "5"), Attribute("e", "6"), Attribute("bb", "777")]
        let distinct: [Attribute] = [Attribute("a", "1"), Attribute("bb", 22), Attribute("cc", true), Attribute("dd", 0.5)]
        for (batch, existing, countLimit, lengthLimit) in [(repeating, [], 4, 2), (repeating, [Attribute("cc", "0"), Attribute("zz", "9")], 4, 2),
                                                           (distinct, [], 128, nil), (distinct, [], 3, nil), (distinct, [Attribute("a", "0")], 128, nil)]
            as [([Attribute], [Attribute], Int, Int?)] {
            var oneByOne = Attributes(countLimit: countLimit, valueLengthLimit: lengthLimit)
            var together = Attributes(countLimit: countLimit, valueLengthLimit: lengthLimit)
            for attribute in existing {
                oneByOne.set(attribute.key, attribute.value)
                together.set(attribute.key, attribute.value)
            }
            for attribute in batch { oneByOne.set(attribute.key, attribute.value) }
            let buffer = UnsafeMutableBufferPointer<Attribute>.allocate(capacity: batch.count)
            _ = buffer.initialize(from: batch)
            together.set(moving: buffer)
            buffer.deallocate()
            XCTAssertEqual(together, oneByOne)
            XCTAssertEqual(together.droppedCount, oneByOne.droppedCount)
        }
    }

    func testLimitsFromEnvironment() {
        let env = Environment(["OTEL_ATTRIBUTE_COUNT_LIMIT": "5", "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT": "7",
                               "OTEL_SPAN_EVENT_COUNT_LIMIT": "3", "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT": "2"])
        let limits = SpanLimits(config: ConfigReader(environment: env, diagnostics: Diagnostics(level: .none)))
        XCTAssertEqual(limits.attributeCount, 5)
        XCTAssertEqual(limits.attributeValueLength, 7)
        XCTAssertEqual(limits.eventCount, 3)
        XCTAssertEqual(limits.attributesPerLink, 2)
        XCTAssertEqual(limits.linkCount, 128)
    }

    func testIdsAreUniqueAndValid() {
        let generator = RandomIdGenerator()
        var spans = Set<SpanId>()
        var traces = Set<TraceId>()
        for _ in 0..<100_000 {
            XCTAssertTrue(spans.insert(generator.makeSpanId()).inserted)
            XCTAssertTrue(traces.insert(generator.makeTraceId()).inserted)
        }
        XCTAssertFalse(spans.contains(.invalid))
    }
}

final class ContextTests: XCTestCase {
    func testMakeCurrentNestsAndRestores() {
        let (provider, _) = makeProvider()
        let tracer = provider.tracer(name: "t")
        XCTAssertNil(Context.current.span)
        let outer = tracer.startSpan("outer", parent: .root)
        let outerScope = outer.makeCurrent()
        let inner = tracer.startSpan("inner")
        XCTAssertEqual(inner.recorder?.parentContext?.spanId, outer.context.spanId)
        XCTAssertEqual(inner.context.traceId, outer.context.traceId)
        let innerScope = inner.makeCurrent()
        XCTAssertEqual(Context.current.span?.context.spanId, inner.context.spanId)
        innerScope.restore()
        XCTAssertEqual(Context.current.span?.context.spanId, outer.context.spanId)
        outerScope.restore()
        XCTAssertNil(Context.current.span)
    }

    func testContextIsPerThread() {
        let (provider, _) = makeProvider()
        let span = provider.tracer(name: "t").startSpan("main", parent: .root)
        let scope = span.makeCurrent()
        let otherThreadSawSpan = Mutex(true)
        let thread = Thread { otherThreadSawSpan.withLock { $0 = Context.current.span != nil } }
        thread.start()
        while !thread.isFinished { usleep(1000) }
        XCTAssertFalse(otherThreadSawSpan.withLock { $0 })
        scope.restore()
    }

    func testOutOfOrderRestoreRecovers() {
        let (provider, _) = makeProvider()
        let tracer = provider.tracer(name: "t")
        let first = tracer.startSpan("a", parent: .root).makeCurrent()
        _ = tracer.startSpan("b", parent: .root).makeCurrent()
        first.restore()
        XCTAssertNil(Context.current.span)
    }

    func testBaggageTravelsWithContext() {
        let context = Context.root.with(baggage: Baggage().setting("k", to: "v"))
        let scope = context.makeCurrent()
        XCTAssertEqual(Context.current.baggage.value("k"), "v")
        scope.restore()
        XCTAssertTrue(Context.current.baggage.isEmpty)
    }
}
