#if canImport(Glibc)
import Glibc
#endif
import COTelCore
import COTelCoreShims

// The implementation of otel_core.h. Each function checks its pointers and
// does nothing on NULL: a plugin's mistake must not crash the host program.

@_cdecl("otel_tracer_get")
public func cTracerGet(_ name: UnsafePointer<CChar>?, _ version: UnsafePointer<CChar>?, _ schemaURL: UnsafePointer<CChar>?) -> OpaquePointer? {
    guard let name, let tracer = OTelSDK.tracer(name: String(cString: name), version: version.map { String(cString: $0) },
                                                schemaURL: schemaURL.map { String(cString: $0) }) else { return nil }
    // Tracers are cached by their provider and live as long as the process.
    return tracer.cTracer
}

// otel_span_start(_at) and otel_span_end(_at) are C (COTelCoreShims'
// span_fast_path.c): they decide the spans a built-in sampler drops and
// call these two for the rest.

@_cdecl("otel_core_span_start_slow")
public func cSpanStartSlow(_ tracer: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ kind: otel_span_kind,
                           _ parent: OpaquePointer?, _ startTime: UInt64, _ traceIdHigh: UInt64, _ traceIdLow: UInt64,
                           _ out: UnsafeMutablePointer<otel_span>?) {
    guard let out else { return }
    let madeInC = TraceId(high: traceIdHigh, low: traceIdLow)
    let kind = SpanKind(rawValue: Int(kind.rawValue)) ?? .internal
    let parentContext = parent == nil ? ThreadState.implicitParent(for: kind) : CContextBox.context(parent).parentSpanContext
    func start(_ tracer: Tracer) {
        tracer.startSpan(kind: kind, parentContext: parentContext, newTraceId: madeInC.isValid ? madeInC : nil, attributes: [], links: [],
                         startTime: startTime == 0 ? nil : startTime, name: { name.map { String(cString: $0) } ?? "" },
                         dropped: { CSpanHandle.fill(out, nonRecording: $0) }, started: { CSpanHandle.fill(out, from: $0) })
    }
    if let tracer, let swiftTracer = UnsafePointer<otel_shim_tracer_handle>(tracer).pointee.swift_tracer {
        // Tracers live as long as their provider; no reference counting per span.
        Unmanaged<Tracer>.fromOpaque(swiftTracer)._withUnsafeGuaranteedRef(start)
        return
    }
    OTelSDK.withState { state in
        if let tracer = state.defaultTracer {
            start(tracer)
        } else {
            // No SDK: the API returns the parent's context, non-recording (trace API,
            // "Behavior of the API in the absence of an installed SDK").
            CSpanHandle.fill(out, from: Span(nonRecording: parentContext ?? .invalid))
        }
    }
}

// otel_span_is_recording, the attribute setters, otel_span_set_status and
// otel_span_update_name are C too (span_record.c): they answer for spans
// recorded in C and call these for the SDK's spans.

@_cdecl("otel_core_span_is_recording_slow")
public func cSpanIsRecordingSlow(_ span: UnsafePointer<otel_span>?) -> Bool {
    var recording = false
    CSpanHandle.withRecorder(span) { recording = $0.isRecording }
    return recording
}

@_cdecl("otel_core_span_set_string_slow")
public func cSpanSetStringSlow(_ span: UnsafeMutablePointer<otel_span>?, _ key: UnsafePointer<CChar>?, _ value: UnsafePointer<CChar>?, _ length: Int) {
    guard let key, let value else { return }
    CSpanHandle.withRecorder(span) { recorder in
        if !recorder.log(key: key, string: value, length: length) {
            let bytes = UnsafeRawBufferPointer(start: value, count: length)
            recorder.setAttribute(ThreadState.attributeKey(key), .string(String(decoding: bytes, as: UTF8.self)))
        }
    }
}

@_cdecl("otel_core_span_set_attributes_slow")
public func cSpanSetAttributesSlow(_ span: UnsafeMutablePointer<otel_span>?, _ attributes: UnsafePointer<otel_attribute>?, _ count: Int) {
    guard let attributes, count > 0 else { return }
    CSpanHandle.withRecorder(span) { recorder in
        if recorder.log(attributes, count: count) { return }
        // An array among them, or more than 32: converted here, on the stack, then set under one lock.
        withUnsafeTemporaryAllocation(of: Attribute.self, capacity: count) { buffer in
            var converted = 0
            for attribute in UnsafeBufferPointer(start: attributes, count: count) {
                guard let key = attribute.key, let value = AttributeValue(attribute) else { continue }
                buffer.initializeElement(at: converted, to: Attribute(ThreadState.attributeKey(key), value))
                converted += 1
            }
            recorder.setAttributes(moving: UnsafeMutableBufferPointer(rebasing: buffer[..<converted]))
        }
    }
}

@_cdecl("otel_span_add_event")
public func cSpanAddEvent(_ span: UnsafeMutablePointer<otel_span>?, _ name: UnsafePointer<CChar>?,
                          _ attributes: UnsafePointer<otel_attribute>?, _ count: Int) {
    guard let name else { return }
    CSpanHandle.withRecorder(promoting: span) { recorder in
        recorder.addEvent(String(cString: name), attributes: swiftAttributes(attributes, count), timestamp: otel_shim_realtime_ns())
    }
}

@_cdecl("otel_span_add_link")
public func cSpanAddLink(_ span: UnsafeMutablePointer<otel_span>?, _ linked: UnsafePointer<otel_span>?,
                         _ attributes: UnsafePointer<otel_attribute>?, _ count: Int) {
    guard let linked else { return }
    CSpanHandle.withRecorder(promoting: span) { recorder in
        Span(context: recorder.context, recorder: recorder).addLink(CSpanHandle.span(linked).context,
                                                                    attributes: swiftAttributes(attributes, count))
    }
}

@_cdecl("otel_span_record_exception")
public func cSpanRecordException(_ span: UnsafeMutablePointer<otel_span>?, _ type: UnsafePointer<CChar>?,
                                 _ message: UnsafePointer<CChar>?, _ stacktrace: UnsafePointer<CChar>?) {
    CSpanHandle.withRecorder(promoting: span) { recorder in
        Span(context: recorder.context, recorder: recorder).recordException(
            type: type.map { String(cString: $0) }, message: message.map { String(cString: $0) },
            stacktrace: stacktrace.map { String(cString: $0) })
    }
}

@_cdecl("otel_core_span_set_status_slow")
public func cSpanSetStatusSlow(_ span: UnsafeMutablePointer<otel_span>?, _ code: otel_status_code, _ description: UnsafePointer<CChar>?) {
    guard let code = SpanStatus.Code(rawValue: Int(code.rawValue)) else { return }
    CSpanHandle.withRecorder(span) { recorder in
        recorder.setStatus(SpanStatus(code: code, description: description.map { String(cString: $0) }))
    }
}

@_cdecl("otel_core_span_update_name_slow")
public func cSpanUpdateNameSlow(_ span: UnsafeMutablePointer<otel_span>?, _ name: UnsafePointer<CChar>?) {
    guard let name else { return }
    CSpanHandle.withRecorder(span) { recorder in
        recorder.updateName(String(cString: name))
    }
}

/// Takes a span recorded in C that has ended (span_record.c): its provider
/// (`sink`) hands it to the processors.
@_cdecl("otel_core_span_record_ended")
public func cSpanRecordEnded(_ sink: UnsafeMutableRawPointer, _ record: UnsafeMutablePointer<otel_shim_span_record>) {
    Unmanaged<TracerProvider>.fromOpaque(sink)._withUnsafeGuaranteedRef { $0.recordEnded(record) }
}

/// The SDK's recording span of a span recorded in C, which records it from then on.
@_cdecl("otel_core_span_record_promote")
public func cSpanRecordPromote(_ record: UnsafeMutablePointer<otel_shim_span_record>) -> UnsafeMutableRawPointer {
    Unmanaged.passRetained(RecordingSpan(record: record)).toOpaque()
}

@_cdecl("otel_core_span_end_slow")
public func cSpanEndSlow(_ span: UnsafeMutablePointer<otel_span>?, _ endTime: UInt64) {
    guard let span else { return }
    CSpanHandle.withRecorder(span) { $0.end(at: endTime == 0 ? otel_shim_realtime_ns() : endTime) }
    CSpanHandle.release(span)
}

// otel_span_make_current and otel_context_restore are C (current_frames.c):
// a span whose Swift form would be its bare context is made current there.

@_cdecl("otel_core_span_make_current_slow")
public func cSpanMakeCurrentSlow(_ span: UnsafePointer<otel_span>?) -> UInt64 {
    let state = ThreadState.current
    guard let span else { return state.attach(state.currentContext) }
    return state.attach(span: CSpanHandle.span(span))
}

@_cdecl("otel_context_attach")
public func cContextAttach(_ context: OpaquePointer?) -> UInt64 {
    let state = ThreadState.current
    return state.attach(context == nil ? state.currentContext : CContextBox.context(context))
}

@_cdecl("otel_core_context_restore_slow")
public func cContextRestoreSlow(_ token: UInt64) {
    ThreadState.current.detach(token)
}

@_cdecl("otel_context_current")
public func cContextCurrent() -> OpaquePointer? {
    CContextBox.retained(Context.current)
}

/// otel_context_root's first call (span_fast_path.c answers the others from C):
/// hands the root context to C, where spans started with it as parent take the fast path.
@_cdecl("otel_core_context_root_slow")
public func cContextRootSlow() -> OpaquePointer? {
    let root = Unmanaged.passUnretained(CContextBox.root).toOpaque()
    otel_shim_set_root_context(root)
    return OpaquePointer(root)
}

@_cdecl("otel_context_with_span")
public func cContextWithSpan(_ base: OpaquePointer?, _ span: UnsafePointer<otel_span>?) -> OpaquePointer? {
    let context = CContextBox.context(base)
    guard let span else { return CContextBox.retained(context) }
    return CContextBox.retained(context.with(span: CSpanHandle.span(span)))
}

@_cdecl("otel_context_release")
public func cContextRelease(_ context: OpaquePointer?) {
    guard let context else { return }
    let box = Unmanaged<CContextBox>.fromOpaque(UnsafeRawPointer(context))
    if box.takeUnretainedValue() === CContextBox.root { return }
    box.release()
}

@_cdecl("otel_propagation_inject")
public func cPropagationInject(_ context: OpaquePointer?, _ carrier: UnsafePointer<otel_carrier>?) {
    guard let carrier else { return }
    var adapter = CCarrier(carrier: carrier.pointee)
    OTelSDK.state.propagator.inject(CContextBox.context(context), into: &adapter)
}

@_cdecl("otel_propagation_extract")
public func cPropagationExtract(_ base: OpaquePointer?, _ carrier: UnsafePointer<otel_carrier>?) -> OpaquePointer? {
    let context = CContextBox.context(base)
    guard let carrier else { return CContextBox.retained(context) }
    return CContextBox.retained(OTelSDK.state.propagator.extract(from: CCarrier(carrier: carrier.pointee), into: context))
}

@_cdecl("otel_force_flush")
public func cForceFlush(_ timeoutMilliseconds: UInt32) -> Bool {
    let state = OTelSDK.state
    let timeout = UInt64(timeoutMilliseconds) * 1_000_000
    let spans = state.tracerProvider?.forceFlush(timeoutNanoseconds: timeout) ?? true
    let logs = state.loggerProvider?.forceFlush(timeoutNanoseconds: timeout) ?? true
    return (state.meterProvider?.forceFlush(timeoutNanoseconds: timeout) ?? true) && spans && logs
}
