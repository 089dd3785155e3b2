import COTelCore
import COTelCoreShims
import Foundation
@testable import OTelCore
import XCTest

/// Forwards ended spans to another processor and asks to see spans start:
/// its provider records every span in the SDK, never in C.
private final class StartObserver: SpanProcessor, @unchecked Sendable {
    let next: any SpanProcessor
    init(_ next: any SpanProcessor) { self.next = next }
    func onStart(_ span: RecordingSpan, parentContext: SpanContext?) {}
    func onEnd(_ span: RecordingSpan) { next.onEnd(span) }
    func forceFlush(timeoutNanoseconds: UInt64) -> Bool { next.forceFlush(timeoutNanoseconds: timeoutNanoseconds) }
    func shutdown(timeoutNanoseconds: UInt64) -> Bool { next.shutdown(timeoutNanoseconds: timeoutNanoseconds) }
}

/// A key that outlives every call, as a plugin's literal does.
private func staticKey(_ key: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(key.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// How many times `describeFromBytes` ran.
nonisolated(unsafe) private var describerCalls = 0

/// An otel_span_describer: "path" from the bytes (a string), "flag" false, and an array, which is dropped.
private let describeFromBytes: otel_span_describer = { bytes, length, emit, sink in
    describerCalls += 1
    guard let bytes, let emit else { return }
    let text = String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self)
    text.withCString { value in
        var numbers: [Int64] = [1, 2]
        numbers.withUnsafeBufferPointer { array in
            let flag = otel_attribute(key: staticKey("flag"), type: OTEL_ATTRIBUTE_BOOL, value: .init(bool_value: false))
            var attributes = [otel_attribute_string(staticKey("path"), value), flag,
                              otel_attribute(key: staticKey("numbers"), type: OTEL_ATTRIBUTE_INT_ARRAY,
                                             value: .init(array: .init(values: array.baseAddress, count: 2)))]
            emit(sink, &attributes, attributes.count)
        }
    }
}

/// Sampled spans started through the C API are recorded in C (span_record.c)
/// when the SDK's processors allow: what is exported must be what the SDK's
/// own spans export, whatever the plugin calls.
final class SpanRecordTests: XCTestCase {
    private var limits: SpanLimits {
        var limits = SpanLimits()
        limits.attributeCount = 6
        limits.attributeValueLength = 5
        return limits
    }

    /// Installs an SDK exporting through a batching processor (`inC`) or
    /// through one that observes starts (the SDK's spans); returns its
    /// provider and exporter.
    private func install(recordingInC inC: Bool) -> (TracerProvider, CollectingExporter) {
        let exporter = CollectingExporter()
        let batch = BatchSpanProcessor(exporter: exporter, diagnostics: Diagnostics(level: .none))
        let provider = TracerProvider(resource: Resource(attributes: [Attribute("service.name", "test")]),
                                      sampler: ParentBasedSampler(root: AlwaysOnSampler()), limits: limits,
                                      processors: [inC ? batch : StartObserver(batch)], diagnostics: Diagnostics(level: .none))
        OTelSDK.install(SDKState(diagnostics: Diagnostics(level: .none), tracerProvider: provider, propagator: TraceContextPropagator()))
        return (provider, exporter)
    }

    /// What a plugin does with a request's span and a child of it; the spans'
    /// traceparent while the first is current is returned too.
    private func runPluginCalls(expectRecords: Bool) throws -> String? {
        let tracer = otel_tracer_get("c-plugin", "1.0", nil)
        // C strings that outlive the calls (Swift's own conversions last for one call only).
        let names: [String] = ["method", "path", "status", "flag", "ratio", "peer", "late", "k7", "evt.key", "GET", "/a/long/path"]
        let keys = try names.map { try XCTUnwrap(strdup($0)) }
        defer { keys.forEach { free($0) } }
        var server = otel_span()
        otel_span_start_at(tracer, "GET", OTEL_SPAN_KIND_SERVER, otel_context_root(), 1_000, &server)
        XCTAssertEqual(otel_shim_span_record_of(&server) != nil, expectRecords)
        XCTAssertTrue(otel_span_is_recording(&server))
        var batch = [otel_attribute_string(keys[0], keys[9]), otel_attribute_string(keys[1], keys[10]), otel_attribute_int(keys[2], 200)]
        otel_span_set_attributes(&server, &batch, batch.count)
        otel_span_set_bool(&server, keys[3], true)
        otel_span_set_double(&server, keys[4], 0.5)
        otel_span_set_described(&server, describeFromBytes, "/described", 10) // replaces "path" and "flag" in their places
        otel_span_set_string_n(&server, keys[5], "127.0.0.1:80", 9)
        otel_span_set_int(&server, keys[2], 503) // replaces 200 in its place
        otel_span_set_status(&server, OTEL_STATUS_ERROR, "upstream failed")
        otel_span_set_status(&server, OTEL_STATUS_UNSET, "ignored")
        otel_span_update_name(&server, "GET /a/long/path, renamed past the inline buffer")
        otel_span_set_string(&server, keys[6], "over the count limit")
        otel_span_set_string(&server, keys[7], "dropped too")

        let token = otel_span_make_current(&server)
        var carrier = [String: String]()
        let propagated = withUnsafeMutablePointer(to: &carrier) { pointer -> String? in
            var callbacks = otel_carrier(user: pointer, get: nil, set: { user, key, value in
                guard let user, let key, let value else { return }
                user.assumingMemoryBound(to: [String: String].self).pointee[String(cString: key)] = String(cString: value)
            })
            otel_propagation_inject(nil, &callbacks)
            return pointer.pointee["traceparent"]
        }
        var child = otel_span()
        otel_span_start_at(tracer, "query", OTEL_SPAN_KIND_CLIENT, nil, 2_000, &child)
        XCTAssertEqual(otel_shim_span_record_of(&child) != nil, expectRecords)
        otel_span_set_status(&child, OTEL_STATUS_OK, nil)
        otel_span_set_status(&child, OTEL_STATUS_ERROR, "OK is final")
        otel_span_set_int(&child, keys[2], 1)
        otel_span_set_described(&child, describeFromBytes, "/q", 2) // described before the promotion below
        var eventAttribute = otel_attribute_int(keys[8], 7)
        otel_span_add_event(&child, "retry", &eventAttribute, 1) // what only the SDK records: the record is promoted
        otel_span_set_int(&child, keys[6], 2)
        otel_span_end_at(&child, 1_500) // before its start: taken as its start
        otel_span_set_int(&child, keys[7], 3) // after the end: nothing
        otel_context_restore(token)
        otel_span_end_at(&server, 9_000)
        XCTAssertNil(server.impl, "the end releases the handle")
        return propagated
    }

    /// The fields of an exported span a plugin decides (not its ids).
    private func described(_ span: SpanData) -> String {
        let attributes = span.attributes.entries.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        let events = span.events.map { "\($0.name)@\($0.timestamp > 0)[\($0.attributes.entries.map(\.key))]" }
        return "\(span.name) \(span.kind) \(span.scope.name) parent=\(span.parentContext != nil) flags=\(span.context.traceFlags.rawValue) "
            + "\(span.startTime)-\(span.endTime) [\(attributes)] dropped=\(span.attributes.droppedCount) \(span.status) \(events) "
            + "\(span.resource.attributes.entries.map(\.key))"
    }

    func testSpansRecordedInCExportWhatTheSDKsSpansExport() throws {
        var exported: [[String]] = []
        for inC in [true, false] {
            let (provider, exporter) = install(recordingInC: inC)
            let propagated = try XCTUnwrap(runPluginCalls(expectRecords: inC))
            XCTAssertTrue(provider.forceFlush(timeoutNanoseconds: 5_000_000_000))
            let spans = exporter.spans
            XCTAssertEqual(spans.count, 2)
            let server = try XCTUnwrap(spans.first { $0.kind == .server })
            let child = try XCTUnwrap(spans.first { $0.kind == .client })
            XCTAssertEqual(propagated, "00-\(server.context.traceId.hexString)-\(server.context.spanId.hexString)-03",
                           "the current span propagates as itself, sampled with random ids")
            XCTAssertEqual(child.parentContext?.spanId, server.context.spanId)
            XCTAssertEqual(child.context.traceId, server.context.traceId)
            XCTAssertNil(server.parentContext)
            exported.append(spans.map(described).sorted())
            _ = provider.shutdown(timeoutNanoseconds: 1_000_000_000)
        }
        XCTAssertEqual(exported[0], exported[1])
        XCTAssertEqual(exported[0].count, 2)
        XCTAssertTrue(exported[0].contains { $0.hasPrefix("GET /a/long/path, renamed past the inline buffer server c-plugin parent=false flags=3 1000-9000 [method=") },
                      "\(exported[0])")
        XCTAssertTrue(exported[0].contains { $0.contains("path=string(\"/desc\")") && $0.contains("flag=bool(false)") && !$0.contains("numbers") }, "\(exported[0])")
        XCTAssertTrue(exported[0].contains { $0.contains("path=string(\"/q\")") }, "\(exported[0])")
    }

    /// A described span's describer runs once, where the span is read; never for a span not recording.
    func testADescriberRunsOnceAndOnlyForARecordingSpan() throws {
        let (provider, exporter) = install(recordingInC: true)
        describerCalls = 0
        var dropped = otel_span(), recorded = otel_span()
        var parent = otel_span()
        (parent.trace_id_high, parent.trace_id_low, parent.span_id, parent.is_remote) = (1, 2, 3, 1)
        let notSampled = otel_context_with_span(otel_context_root(), &parent)
        otel_span_start(nil, "dropped", OTEL_SPAN_KIND_SERVER, notSampled, &dropped)
        otel_context_release(notSampled)
        otel_span_set_described(&dropped, describeFromBytes, "/x", 2)
        otel_span_end(&dropped)
        otel_span_start(nil, "recorded", OTEL_SPAN_KIND_SERVER, otel_context_root(), &recorded)
        otel_span_set_described(&recorded, describeFromBytes, "/y", 2)
        XCTAssertEqual(describerCalls, 0, "not on the calling thread")
        otel_span_end(&recorded)
        XCTAssertTrue(provider.forceFlush(timeoutNanoseconds: 5_000_000_000))
        XCTAssertEqual(describerCalls, 1)
        XCTAssertEqual(exporter.spans.map { $0.attributes.entries.map { "\($0.key)=\($0.value)" } }, [["path=string(\"/y\")", "flag=bool(false)"]])
        _ = provider.shutdown(timeoutNanoseconds: 1_000_000_000)
    }

    /// Records come back after their export and serve later spans (span_record.c,
    /// "the pool"), with the log buffer of their last span: each exported span
    /// has its own name, attributes and status, nothing of the span before it.
    func testRecordsUsedAgainCarryNothingOfTheirLastSpan() throws {
        let (provider, exporter) = install(recordingInC: true)
        let keyNames: [String] = ["index", "even", "odd"]
        let keys = try keyNames.map { try XCTUnwrap(strdup($0)) }
        defer { keys.forEach { free($0) } }
        var records = Set<UInt>()
        var started = 0
        for round in 0..<3 {
            for index in 0..<600 { // more than the pool keeps
                var span = otel_span()
                let name = index % 5 == 0 ? "span \(index), a name longer than a record holds inline" : "span \(index)"
                otel_span_start(nil, name, OTEL_SPAN_KIND_SERVER, otel_context_root(), &span)
                records.insert(UInt(bitPattern: try XCTUnwrap(otel_shim_span_record_of(&span))))
                started += 1
                otel_span_set_int(&span, keys[0], Int64(index))
                if index % 2 == 0 {
                    let path = "\(round)\(1_000 + index)".suffix(5) // within the value length limit (install), each its own
                    otel_span_set_described(&span, describeFromBytes, String(path), path.utf8.count)
                    otel_span_set_bool(&span, keys[1], true)
                } else {
                    otel_span_set_string(&span, keys[2], String(repeating: "x", count: index % 40))
                    otel_span_set_status(&span, OTEL_STATUS_ERROR, "odd")
                }
                otel_span_end(&span)
            }
            XCTAssertTrue(provider.forceFlush(timeoutNanoseconds: 5_000_000_000))
        }
        XCTAssertLessThan(records.count, started, "records were used again")
        let spans = exporter.spans
        XCTAssertEqual(spans.count, started)
        for (position, span) in spans.enumerated() {
            let (round, index) = position.quotientAndRemainder(dividingBy: 600)
            XCTAssertEqual(span.name, index % 5 == 0 ? "span \(index), a name longer than a record holds inline" : "span \(index)")
            let attributes = span.attributes.entries.map { "\($0.key)=\($0.value)" }
            if index % 2 == 0 {
                XCTAssertEqual(attributes, ["index=int(\(index))", "path=string(\"\("\(round)\(1_000 + index)".suffix(5))\")", "flag=bool(false)",
                                            "even=bool(true)"])
                XCTAssertEqual(span.status.code, .unset)
            } else {
                let value = String(repeating: "x", count: min(index % 40, 5)) // the value length limit (install)
                XCTAssertEqual(attributes, ["index=int(\(index))", "odd=string(\"\(value)\")"])
                XCTAssertEqual(span.status, SpanStatus(code: .error, description: "odd"))
            }
        }
        _ = provider.shutdown(timeoutNanoseconds: 1_000_000_000)
    }

    /// Several threads setting attributes on one span at once lose none.
    func testConcurrentSettersOnOneRecordLoseNothing() throws {
        let exporter = CollectingExporter()
        let provider = TracerProvider(resource: Resource(), sampler: AlwaysOnSampler(),
                                      processors: [BatchSpanProcessor(exporter: exporter, diagnostics: Diagnostics(level: .none))],
                                      diagnostics: Diagnostics(level: .none))
        OTelSDK.install(SDKState(diagnostics: Diagnostics(level: .none), tracerProvider: provider, propagator: TraceContextPropagator()))
        let keys = (0..<120).map { strdup("key\($0)")! }
        defer { keys.forEach { free($0) } }
        var span = otel_span()
        otel_span_start(nil, "shared", OTEL_SPAN_KIND_INTERNAL, otel_context_root(), &span)
        XCTAssertNotNil(otel_shim_span_record_of(&span))
        withUnsafeMutablePointer(to: &span) { pointer in
            let handle = UnsafeSendable(pointer), keys = UnsafeSendable(keys)
            DispatchQueue.concurrentPerform(iterations: 4) { thread in
                for index in stride(from: thread, to: 120, by: 4) { otel_span_set_int(handle.value, keys.value[index], Int64(index)) }
            }
        }
        otel_span_end(&span)
        XCTAssertTrue(provider.forceFlush(timeoutNanoseconds: 5_000_000_000))
        let data = try XCTUnwrap(exporter.spans.first)
        XCTAssertEqual(Set(data.attributes.entries.map(\.key)), Set((0..<120).map { "key\($0)" }))
        _ = provider.shutdown(timeoutNanoseconds: 1_000_000_000)
    }

    /// After shutdown nothing more is recorded: spans that started before
    /// and end after are not exported, later ones do not record.
    func testShutdownEndsRecordingInC() throws {
        let (provider, exporter) = install(recordingInC: true)
        var before = otel_span()
        otel_span_start(nil, "before", OTEL_SPAN_KIND_INTERNAL, otel_context_root(), &before)
        XCTAssertNotNil(otel_shim_span_record_of(&before))
        XCTAssertTrue(provider.shutdown(timeoutNanoseconds: 1_000_000_000))
        var after = otel_span()
        otel_span_start(nil, "after", OTEL_SPAN_KIND_INTERNAL, otel_context_root(), &after)
        XCTAssertFalse(otel_span_is_recording(&after))
        otel_span_set_int(&before, "late", 1)
        otel_span_end(&before)
        otel_span_end(&after)
        XCTAssertNil(before.impl)
        XCTAssertEqual(exporter.spans.count, 0)
    }
}

extension SpanRecordTests {
    /// The traceparent the thread's current context propagates, nil when none.
    private func currentTraceparent() -> String? {
        var carrier = [String: String]()
        withUnsafeMutablePointer(to: &carrier) { pointer in
            var callbacks = otel_carrier(user: pointer, get: nil, set: { user, key, value in
                guard let user, let key, let value else { return }
                user.assumingMemoryBound(to: [String: String].self).pointee[String(cString: key)] = String(cString: value)
            })
            otel_propagation_inject(nil, &callbacks)
        }
        return carrier["traceparent"]
    }

    private func traceparent(_ span: otel_span) -> String {
        "00-\(TraceId(high: span.trace_id_high, low: span.trace_id_low).hexString)-\(SpanId(span.span_id).hexString)-0\(span.trace_flags)"
    }

    /// Spans C makes current (current_frames.c) and contexts the SDK attaches
    /// nest as one stack: whichever side restores, each restore brings back
    /// what was current before, and one out of order is reported and repaired.
    func testSpansMadeCurrentInCNestWithTheSDKsContexts() throws {
        let captured = CapturedDiagnostics()
        let provider = TracerProvider(resource: Resource(), sampler: AlwaysOnSampler(), processors: [], diagnostics: Diagnostics(level: .none))
        OTelSDK.install(SDKState(diagnostics: captured.make(), tracerProvider: provider, propagator: TraceContextPropagator()))
        XCTAssertNil(currentTraceparent())
        var outer = otel_span(), inner = otel_span(), child = otel_span()
        otel_span_start(nil, "outer", OTEL_SPAN_KIND_SERVER, otel_context_root(), &outer)
        otel_span_start(nil, "inner", OTEL_SPAN_KIND_INTERNAL, otel_context_root(), &inner)
        let outerToken = otel_span_make_current(&outer)
        XCTAssertEqual(otel_shim_thread_current_frames().pointee.count, 1, "made current in C")
        let innerToken = otel_span_make_current(&inner)
        otel_span_start(nil, "child", OTEL_SPAN_KIND_CLIENT, nil, &child)
        XCTAssertEqual(child.trace_id_low, inner.trace_id_low, "a child of the top frame")
        XCTAssertEqual(otel_shim_span_record_of(&child)?.pointee.parent_span_id, inner.span_id)

        // The SDK attaches a context above the frames: it takes them first.
        let attached = otel_context_with_span(nil, &child)
        let attachedToken = otel_context_attach(attached)
        XCTAssertEqual(otel_shim_thread_current_frames().pointee.count, 0, "the SDK took the frames")
        XCTAssertEqual(currentTraceparent(), traceparent(child))
        otel_context_restore(attachedToken)
        XCTAssertEqual(currentTraceparent(), traceparent(inner), "the frame's span, now on the SDK's stack")
        otel_context_restore(innerToken)
        XCTAssertEqual(currentTraceparent(), traceparent(outer))
        otel_context_restore(outerToken)
        XCTAssertNil(currentTraceparent())
        otel_context_release(attached)

        // Restored in C, no Swift in between; then out of order.
        let again = otel_span_make_current(&outer)
        XCTAssertEqual(again, outerToken, "the depth the SDK would give")
        let second = otel_span_make_current(&inner)
        XCTAssertEqual(currentTraceparent(), traceparent(inner)) // the SDK reads: it takes both frames
        otel_context_restore(second)
        otel_context_restore(again)
        XCTAssertNil(currentTraceparent())
        let first = otel_span_make_current(&outer)
        _ = otel_span_make_current(&inner)
        otel_context_restore(first) // the inner one is still current: out of order
        XCTAssertNil(currentTraceparent(), "restored to what was current before the first")
        XCTAssertEqual(captured.lines.filter { $0.contains("restored out of order") }.count, 1, "\(captured.lines)")
        var root = otel_span()
        otel_span_start(nil, "after", OTEL_SPAN_KIND_INTERNAL, nil, &root)
        XCTAssertNotEqual(root.trace_id_low, outer.trace_id_low, "nothing current: a new trace")
        otel_span_end(&root)
        otel_span_end(&child)
        otel_span_end(&inner)
        otel_span_end(&outer)
    }
}

/// A value handed to concurrent closures in a test (the test keeps it alive and synchronises its use).
private struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
