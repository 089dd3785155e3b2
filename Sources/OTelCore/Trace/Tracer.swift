import COTelCore
import COTelCoreShims

/// Starts spans for one instrumentation scope (trace API, "Tracer").
public final class Tracer: Sendable {
    public let scope: InstrumentationScope
    let provider: TracerProvider

    /// What `otel_tracer_get` hands to C: the provider's plan and this tracer.
    nonisolated(unsafe) let cHandle: UnsafeMutablePointer<otel_shim_tracer_handle>

    init(scope: InstrumentationScope, provider: TracerProvider) {
        self.scope = scope
        self.provider = provider
        cHandle = .allocate(capacity: 1)
        cHandle.initialize(to: otel_shim_tracer_handle(plan: provider.cPlan, swift_tracer: nil))
        // Unretained: the handle lives exactly as long as this tracer.
        cHandle.pointee.swift_tracer = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        cHandle.deallocate()
    }

    /// This tracer as an `otel_tracer *` of the C API (what otel_tracer_get returns).
    public var cTracer: OpaquePointer { OpaquePointer(cHandle) }

    /// Starts a span (trace SDK, "Span creation").
    ///
    /// - Parameters:
    ///   - parent: the parent context; nil means the calling thread's current context,
    ///     `.root` starts a new trace.
    ///   - startTime: nanoseconds since the Unix epoch; nil means now.
    public func startSpan(_ name: String, kind: SpanKind = .internal, parent: Context? = nil,
                          attributes: [Attribute] = [], links: [SpanLink] = [], startTime: UInt64? = nil) -> Span {
        if let parent {
            return startSpan(name, kind: kind, parentContext: parent.parentSpanContext, attributes: attributes, links: links,
                             startTime: startTime)
        }
        // A child of the thread's current span: C's fast path decides the
        // spans a built-in sampler drops (as for the C API).
        var dropped = otel_span()
        var newTrace: (UInt64, UInt64) = (0, 0)
        let decided = withUnsafeMutableBytes(of: &newTrace) {
            otel_shim_start_dropped(OpaquePointer(cHandle), otel_span_kind(rawValue: UInt32(kind.rawValue)), &dropped,
                                    $0.baseAddress!.assumingMemoryBound(to: UInt64.self))
        }
        if decided {
            return Span(nonRecording: SpanContext(traceId: TraceId(high: dropped.trace_id_high, low: dropped.trace_id_low),
                                                  spanId: SpanId(dropped.span_id), traceFlags: TraceFlags(rawValue: dropped.trace_flags)))
        }
        let newTraceId = TraceId(high: newTrace.0, low: newTrace.1)
        return startSpan(kind: kind, parentContext: ThreadState.implicitParent(for: kind),
                         newTraceId: newTraceId.isValid ? newTraceId : nil, attributes: attributes, links: links,
                         startTime: startTime, name: { name }, dropped: { Span(nonRecording: $0) }, started: { $0 })
    }

    /// Starts a span whose parent is `parentContext` (nil: a new trace).
    public func startSpan(_ name: String, kind: SpanKind, parentContext: SpanContext?,
                          attributes: [Attribute] = [], links: [SpanLink] = [], startTime: UInt64? = nil) -> Span {
        startSpan(kind: kind, parentContext: parentContext, attributes: attributes, links: links, startTime: startTime) { name }
    }

    /// Starts a span, building its name only when the sampler or the recorder
    /// needs it: a span dropped by a sampler that decides from ids alone costs
    /// no string conversion (the C API passes C strings through here).
    @inline(__always)
    func startSpan(kind: SpanKind, parentContext: SpanContext?, attributes: [Attribute], links: [SpanLink],
                   startTime: UInt64?, name: () -> String) -> Span {
        startSpan(kind: kind, parentContext: parentContext, newTraceId: nil, attributes: attributes, links: links,
                  startTime: startTime, name: name, dropped: { Span(nonRecording: $0) }, started: { $0 })
    }

    /// The span-creation path shared by Swift and C callers. A span a
    /// built-in sampler drops goes to `dropped` as its bare context, so a C
    /// caller can store it without a Swift `Span` being built; every other
    /// span goes to `started`. `newTraceId`: the id of a new trace that C's
    /// span fast path already made from the built-in generator.
    @inline(__always)
    func startSpan<Result>(kind: SpanKind, parentContext: SpanContext?, newTraceId: TraceId?, attributes: [Attribute], links: [SpanLink],
                           startTime: UInt64?, name: () -> String,
                           dropped: (SpanContext) -> Result, started: (Span) -> Result) -> Result {
        let traceId: TraceId
        var flags: TraceFlags
        if let parentContext {
            traceId = parentContext.traceId
            flags = parentContext.traceFlags.intersection(.random)
        } else {
            traceId = newTraceId ?? provider.makeTraceId()
            // W3C Level 2 §3.2.2.5.2: the random flag belongs to the trace.
            flags = provider.usesBuiltInIds || provider.idGenerator.generatesRandomTraceIds ? .random : []
        }
        let spanId = provider.makeSpanId()
        if provider.isShutdown {
            return dropped(SpanContext(traceId: traceId, spanId: spanId, traceFlags: flags))
        }
        // The common case first, small enough to inline: a built-in sampler
        // decides from the ids alone.
        if let decision = provider.samplingPlan.decision(parentSampled: parentContext?.isSampled,
                                                        parentRemote: parentContext?.isRemote ?? false, traceId: traceId) {
            if decision == .drop {
                return dropped(SpanContext(traceId: traceId, spanId: spanId, traceFlags: flags,
                                           traceState: parentContext?.traceState ?? TraceState()))
            }
            return started(record(decision: decision, traceId: traceId, spanId: spanId, flags: flags, kind: kind,
                          parentContext: parentContext, traceState: parentContext?.traceState ?? TraceState(),
                          attributes: attributes, samplerAttributes: [], links: links, startTime: startTime, name: name()))
        }
        return started(consultSampler(traceId: traceId, spanId: spanId, flags: flags, kind: kind, parentContext: parentContext,
                                      attributes: attributes, links: links, startTime: startTime, name: name))
    }

    /// Asks a sampler that is not built in (slow path).
    @inline(never)
    private func consultSampler(traceId: TraceId, spanId: SpanId, flags: TraceFlags, kind: SpanKind, parentContext: SpanContext?,
                                attributes: [Attribute], links: [SpanLink], startTime: UInt64?, name: () -> String) -> Span {
        let parentState = parentContext?.traceState ?? TraceState()
        if let decision = provider.sampler.decisionFromIds(parent: parentContext, traceId: traceId) {
            if decision == .drop {
                return Span(nonRecording: SpanContext(traceId: traceId, spanId: spanId, traceFlags: flags, traceState: parentState))
            }
            return record(decision: decision, traceId: traceId, spanId: spanId, flags: flags, kind: kind, parentContext: parentContext,
                          traceState: parentState, attributes: attributes, samplerAttributes: [], links: links,
                          startTime: startTime, name: name())
        }
        let spanName = name()
        let result = provider.sampler.shouldSample(parent: parentContext, traceId: traceId, name: spanName, kind: kind,
                                                   attributes: attributes, links: links)
        if result.decision == .drop {
            return Span(nonRecording: SpanContext(traceId: traceId, spanId: spanId, traceFlags: flags, traceState: result.traceState))
        }
        return record(decision: result.decision, traceId: traceId, spanId: spanId, flags: flags, kind: kind,
                      parentContext: parentContext, traceState: result.traceState, attributes: attributes,
                      samplerAttributes: result.attributes, links: links, startTime: startTime, name: spanName)
    }

    /// Creates the recorder of a span that is recorded (and perhaps sampled).
    @inline(never)
    private func record(decision: SamplingDecision, traceId: TraceId, spanId: SpanId, flags: TraceFlags, kind: SpanKind,
                        parentContext: SpanContext?, traceState: TraceState, attributes: [Attribute],
                        samplerAttributes: [Attribute], links: [SpanLink], startTime: UInt64?, name: String) -> Span {
        var flags = flags
        if decision == .recordAndSample { flags.insert(.sampled) }
        let context = SpanContext(traceId: traceId, spanId: spanId, traceFlags: flags, traceState: traceState)
        var kept = Attributes(countLimit: provider.limits.attributeCount, valueLengthLimit: provider.limits.attributeValueLength)
        for attribute in attributes { kept.set(attribute.key, attribute.value) }
        for attribute in samplerAttributes { kept.set(attribute.key, attribute.value) }
        let recorder = RecordingSpan(
            context: context, parentContext: parentContext, name: name, kind: kind, tracer: self,
            startTime: startTime ?? otel_shim_realtime_ns(), attributes: kept,
            links: links.isEmpty ? links : links.filter { $0.context.isValid })
        provider.spanStarted(recorder)
        return Span(context: context, recorder: recorder)
    }
}
