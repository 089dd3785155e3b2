import COTelCore
import Foundation
@testable import OTelCore
import XCTest

/// The C API as plugins will call it.
final class CoreCAPITests: XCTestCase {
    var exporter = CollectingExporter()

    override func setUp() {
        exporter = CollectingExporter()
        let provider = TracerProvider(resource: Resource(), sampler: ParentBasedSampler(root: AlwaysOnSampler()),
                                      processors: [SimpleSpanProcessor(exporter: exporter)], diagnostics: Diagnostics(level: .none))
        OTelSDK.install(SDKState(diagnostics: Diagnostics(level: .none), tracerProvider: provider,
                                 propagator: CompositePropagator([TraceContextPropagator(), BaggagePropagator()])))
    }

    func testSpanLifecycleThroughTheCAPI() throws {
        let tracer = otel_tracer_get("c-plugin", "2.0", nil)
        XCTAssertNotNil(tracer)
        var parent = otel_span()
        otel_span_start(tracer, "parent", OTEL_SPAN_KIND_SERVER, otel_context_root(), &parent)
        XCTAssertTrue(otel_span_is_recording(&parent))
        let token = otel_span_make_current(&parent)
        var child = otel_span()
        otel_span_start(tracer, "child", OTEL_SPAN_KIND_CLIENT, nil, &child)
        XCTAssertEqual(child.trace_id_high, parent.trace_id_high)
        XCTAssertEqual(child.trace_id_low, parent.trace_id_low)
        otel_span_set_string(&child, "s", "v")
        otel_span_set_string_n(&child, "n", "abcdef", 3)
        otel_span_set_bool(&child, "b", true)
        otel_span_set_int(&child, "i", -7)
        otel_span_set_double(&child, "d", 2.5)
        let values: [Int64] = [1, 2, 3]
        try values.withUnsafeBufferPointer { buffer in
            var attribute = otel_attribute()
            attribute.key = UnsafePointer(strdup("arr"))
            attribute.type = OTEL_ATTRIBUTE_INT_ARRAY
            attribute.value.array.values = UnsafeRawPointer(buffer.baseAddress)
            attribute.value.array.count = buffer.count
            otel_span_set_attributes(&child, &attribute, 1)
            free(UnsafeMutableRawPointer(mutating: attribute.key))
            _ = try XCTUnwrap(buffer.baseAddress)
        }
        otel_span_add_event(&child, "evt", nil, 0)
        otel_span_record_exception(&child, "E", "bad", nil)
        otel_span_set_status(&child, OTEL_STATUS_ERROR, "failed")
        otel_span_end(&child)
        XCTAssertNil(child.impl, "end releases the handle")
        otel_context_restore(token)
        otel_span_end(&parent)

        XCTAssertEqual(exporter.spans.map(\.name), ["child", "parent"])
        let data = exporter.spans[0]
        XCTAssertEqual(data.parentContext?.spanId.value, parent.span_id)
        XCTAssertEqual(data.kind, .client)
        XCTAssertEqual(data.scope.name, "c-plugin")
        XCTAssertEqual(data.attributes.entries.map(\.key), ["s", "n", "b", "i", "d", "arr"])
        XCTAssertEqual(data.attributes["n"], .string("abc"))
        XCTAssertEqual(data.attributes["arr"], .intArray([1, 2, 3]))
        XCTAssertEqual(data.events.map(\.name), ["evt", "exception"])
        XCTAssertEqual(data.status, SpanStatus(code: .error, description: "failed"))
    }

    /// Attributes a plugin sets are kept as bytes until the span is read: the
    /// span must still hold what setting them one by one, in order, would
    /// have left (later values replace earlier ones in their first place, the
    /// count limit drops and counts, values are cut, what the SDK converts itself
    /// (an array) falls in between in order, nothing after the end), and a key buffer reused with
    /// other contents at the same address is another key.
    func testAttributesSetFromCReadAsSetInOrder() throws {
        var limits = SpanLimits()
        limits.attributeCount = 4
        limits.attributeValueLength = 3
        let (provider, exporter) = makeProvider(limits: limits)
        OTelSDK.install(SDKState(diagnostics: Diagnostics(level: .none), tracerProvider: provider, propagator: TraceContextPropagator()))
        var span = otel_span()
        otel_span_start(nil, "logged", OTEL_SPAN_KIND_SERVER, otel_context_root(), &span)
        // C strings that outlive the calls (Swift's own conversions last for one call only).
        let names: [String] = ["a", "xxxxx", "b", "yy", "k1", "first", "c"]
        let texts = try names.map { name in try XCTUnwrap(strdup(name)) }
        defer { texts.forEach { free($0) } }
        let key = texts[4]
        var batch = [otel_attribute_string(texts[0], texts[1]), otel_attribute_int(texts[2], 1), otel_attribute_string(texts[0], texts[3]),
                     otel_attribute_string(key, texts[5])]
        otel_span_set_attributes(&span, &batch, batch.count)
        // An array between two C calls: what the SDK converts itself (a span recorded in C is promoted for it).
        var yes = true
        var array = otel_attribute(key: texts[6], type: OTEL_ATTRIBUTE_BOOL_ARRAY, value: .init())
        withUnsafePointer(to: &yes) { pointer in
            array.value.array = .init(values: pointer, count: 1)
            otel_span_set_attributes(&span, &array, 1)
        }
        strcpy(key, "k2") // the same address, another key: the limit drops it
        otel_span_set_string(&span, key, "second")
        otel_span_set_int(&span, "b", 9)
        otel_span_end(&span)
        otel_span_set_int(&span, "late", 1)

        let data = try XCTUnwrap(exporter.spans.first)
        XCTAssertEqual(data.attributes.entries.map(\.key), ["a", "b", "k1", "c"])
        XCTAssertEqual(data.attributes["a"], .string("yy"))
        XCTAssertEqual(data.attributes["b"], .int(9))
        XCTAssertEqual(data.attributes["k1"], .string("fir"), "cut to the value length limit")
        XCTAssertEqual(data.attributes["c"], .boolArray([true]))
        XCTAssertEqual(data.attributes.droppedCount, 1, "k2 found no room")
    }

    /// More than 32 attributes at once are not logged but converted at once:
    /// they still come after what was logged before them, in order.
    func testALargeBatchFollowsWhatWasLogged() throws {
        let (provider, exporter) = makeProvider()
        OTelSDK.install(SDKState(diagnostics: Diagnostics(level: .none), tracerProvider: provider, propagator: TraceContextPropagator()))
        let names = (0..<41).map { "k\($0)" }
        let keys = try names.map { name in try XCTUnwrap(strdup(name)) }
        defer { keys.forEach { free($0) } }
        var span = otel_span()
        otel_span_start(nil, "large", OTEL_SPAN_KIND_INTERNAL, otel_context_root(), &span)
        otel_span_set_int(&span, keys[0], 0)
        var batch = (1..<41).map { otel_attribute_int(keys[$0], Int64($0)) }
        otel_span_set_attributes(&span, &batch, batch.count)
        otel_span_end(&span)
        let data = try XCTUnwrap(exporter.spans.first)
        XCTAssertEqual(data.attributes.entries.map(\.key), names)
        XCTAssertEqual(data.attributes.entries.map(\.value), (0..<41).map { AttributeValue.int(Int64($0)) })
    }

    func testNonSampledSpanHoldsNoObject() {
        OTelSDK.install(SDKState(diagnostics: Diagnostics(level: .none),
                                 tracerProvider: TracerProvider(resource: Resource(), sampler: AlwaysOffSampler(), processors: [], diagnostics: Diagnostics(level: .none)),
                                 propagator: TraceContextPropagator()))
        var span = otel_span()
        otel_span_start(nil, "dropped", OTEL_SPAN_KIND_INTERNAL, nil, &span)
        XCTAssertNil(span.impl)
        XCTAssertNotEqual(span.span_id, 0)
        XCTAssertFalse(otel_span_is_recording(&span))
        otel_span_set_string(&span, "ignored", "x")
        otel_span_end(&span)
    }

    /// otel_span_start decides in C the spans a built-in sampler drops; its
    /// results must be the SDK's in every case (trace SDK, "ParentBased").
    func testSpansDroppedInCAgreeWithTheSDK() throws {
        let provider = TracerProvider(resource: Resource(), sampler: ParentBasedSampler(root: AlwaysOffSampler()),
                                      processors: [SimpleSpanProcessor(exporter: exporter)], diagnostics: Diagnostics(level: .none))
        let tracer = provider.tracer(name: "c-plugin").cTracer
        func start(in context: Context?) -> otel_span {
            let scope = context?.makeCurrent()
            defer { scope?.restore() }
            var span = otel_span()
            otel_span_start(tracer, "s", OTEL_SPAN_KIND_CLIENT, nil, &span)
            return span
        }
        func parent(flags: TraceFlags, remote: Bool, traceState: TraceState = TraceState()) -> Context {
            Context(span: Span(nonRecording: SpanContext(traceId: TraceId(high: 0x0102, low: 0x0304), spanId: SpanId(9),
                                                         traceFlags: flags, traceState: traceState, isRemote: remote)))
        }

        // A new trace: dropped by the root sampler, with fresh random ids.
        var root = start(in: nil)
        XCTAssertNil(root.impl)
        XCTAssertNotEqual(root.trace_id_high | root.trace_id_low, 0)
        XCTAssertNotEqual(root.span_id, 0)
        XCTAssertEqual(root.trace_flags, UInt8(OTEL_TRACE_FLAG_RANDOM))
        XCTAssertFalse(otel_span_is_recording(&root))
        otel_span_end(&root)

        // A remote parent that is not sampled: dropped, in the parent's trace.
        var notSampled = start(in: parent(flags: .random, remote: true))
        XCTAssertNil(notSampled.impl)
        XCTAssertEqual([notSampled.trace_id_high, notSampled.trace_id_low], [0x0102, 0x0304])
        XCTAssertEqual(notSampled.trace_flags, UInt8(OTEL_TRACE_FLAG_RANDOM))
        XCTAssertNotEqual(notSampled.span_id, 9)
        otel_span_end(&notSampled)

        // A sampled parent: the SDK records the span.
        var sampled = start(in: parent(flags: [.sampled], remote: false))
        XCTAssertTrue(otel_span_is_recording(&sampled))
        XCTAssertEqual(sampled.trace_flags, UInt8(OTEL_TRACE_FLAG_SAMPLED))
        otel_span_end(&sampled)
        XCTAssertEqual(exporter.spans.map(\.parentContext?.spanId.value), [9])

        // A parent with trace state: the dropped span keeps it (the SDK's path).
        let traceState = try XCTUnwrap(TraceState(header: "vendor=value"))
        var withState = start(in: parent(flags: [], remote: true, traceState: traceState))
        XCTAssertNotNil(withState.impl)
        XCTAssertEqual(CSpanHandle.span(&withState).context.traceState, traceState)
        otel_span_end(&withState)
        XCTAssertNil(withState.impl)

        // Restoring the context leaves no parent behind for C.
        var after = start(in: nil)
        XCTAssertNotEqual(after.trace_id_low, 0x0304)
        otel_span_end(&after)
    }

    /// The ratio sampler, decided by the SDK for new traces and in C for
    /// children of a current span: the same 56-bit rule, the same fraction.
    func testRatioSamplerDecidedInCFollowsTheTraceIdRule() {
        let sampler = TraceIdRatioBasedSampler(ratio: 0.25)
        let provider = TracerProvider(resource: Resource(), sampler: sampler, processors: [], diagnostics: Diagnostics(level: .none))
        let tracer = provider.tracer(name: "c-plugin").cTracer
        for asChild in [false, true] {
            var recorded = 0
            for _ in 0..<4000 {
                let parentTraceId = TraceId(high: .random(in: 1...UInt64.max), low: .random(in: 0...UInt64.max))
                let scope = asChild ? Context(span: Span(nonRecording: SpanContext(traceId: parentTraceId, spanId: SpanId(1)))).makeCurrent() : nil
                var span = otel_span()
                otel_span_start(tracer, "s", OTEL_SPAN_KIND_INTERNAL, nil, &span)
                scope?.restore()
                if asChild { XCTAssertEqual(span.trace_id_low, parentTraceId.low) }
                let expected = span.trace_id_low & 0x00FF_FFFF_FFFF_FFFF >= sampler.threshold
                XCTAssertEqual(otel_span_is_recording(&span), expected)
                XCTAssertEqual(span.trace_flags & UInt8(OTEL_TRACE_FLAG_SAMPLED) != 0, expected)
                if expected { recorded += 1 }
                otel_span_end(&span)
            }
            XCTAssert((800...1200).contains(recorded), "\(recorded) of 4000 sampled at ratio 0.25 (child: \(asChild))")
        }
    }

    func testInjectAndExtractThroughCallbacks() {
        final class Headers { var values: [String: String] = [:] }
        let headers = Headers()
        var carrier = otel_carrier()
        carrier.user = Unmanaged.passUnretained(headers).toOpaque()
        carrier.set = { user, key, value in
            let headers = Unmanaged<Headers>.fromOpaque(user!).takeUnretainedValue()
            headers.values[String(cString: key!)] = String(cString: value!)
        }
        carrier.get = { user, key in
            let headers = Unmanaged<Headers>.fromOpaque(user!).takeUnretainedValue()
            guard let value = headers.values[String(cString: key!)] else { return nil }
            return UnsafePointer(strdup(value)) // leaked in the test only
        }
        var span = otel_span()
        otel_span_start(nil, "client", OTEL_SPAN_KIND_CLIENT, otel_context_root(), &span)
        let context = otel_context_with_span(nil, &span)
        otel_propagation_inject(context, &carrier)
        otel_context_release(context)
        let expected = "00-\(TraceId(high: span.trace_id_high, low: span.trace_id_low).hexString)-\(SpanId(span.span_id).hexString)-03"
        XCTAssertEqual(headers.values["traceparent"], expected)

        let extracted = otel_propagation_extract(otel_context_root(), &carrier)
        let token = otel_context_attach(extracted)
        var server = otel_span()
        otel_span_start(nil, "server", OTEL_SPAN_KIND_SERVER, nil, &server)
        otel_context_restore(token)
        otel_context_release(extracted)
        XCTAssertEqual(server.trace_id_low, span.trace_id_low)
        otel_span_end(&server)
        otel_span_end(&span)
        XCTAssertEqual(exporter.spans.first { $0.name == "server" }?.parentContext?.isRemote, true)
    }
}
