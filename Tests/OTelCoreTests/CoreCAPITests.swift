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
