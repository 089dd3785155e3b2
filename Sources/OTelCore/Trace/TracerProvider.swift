import COTelCoreShims
import Synchronization

/// The entry point of the tracing SDK: owns the resource, sampler, id
/// generator, limits and processors, and hands out tracers (trace SDK,
/// "Tracer Provider").
public final class TracerProvider: Sendable {
    /// The resource of everything this provider records (process.pid renewed in a forked child).
    public var resource: Resource { storedResource }
    /// Written only in a forked child's fork handler, while it has one thread.
    nonisolated(unsafe) private var storedResource: Resource
    public let sampler: any Sampler
    public let idGenerator: any IdGenerator
    public let limits: SpanLimits
    let processors: [any SpanProcessor]
    /// The processors whose onStart does something.
    let startObservers: [any SpanProcessor]
    let diagnostics: Diagnostics
    /// The sampler's logic as data when it is a built-in one (the hot path).
    let samplingPlan: SamplingPlan
    /// True when ids come from the built-in generator, called inline.
    let usesBuiltInIds: Bool
    /// The sampling plan and id source as C's span fast path reads them.
    nonisolated(unsafe) let cPlan: UnsafeMutablePointer<otel_shim_span_plan>
    /// The only processor when it batches: spans recorded in C are queued
    /// to it as they are, and made the SDK's spans on its export thread.
    private let recordQueue: BatchSpanProcessor?
    private let shutdownFlag = Atomic<Bool>(false)
    private let tracers = ScopedInstances<Tracer>(kind: "tracer")

    /// In a forked child: the child's pid in the resource, the processors repaired.
    /// Before fork: its table taken, so that the child gets it whole.
    func lockForFork() { tracers.lockForFork() }

    /// After fork, in both processes.
    func unlockAfterFork() { tracers.unlockAfterFork() }

    func afterForkInChild() {
        storedResource = storedResource.withCurrentProcessId()
        for processor in processors { processor.afterForkInChild() }
    }

    public init(resource: Resource, sampler: any Sampler = ParentBasedSampler(root: AlwaysOnSampler()),
                idGenerator: any IdGenerator = RandomIdGenerator(), limits: SpanLimits = SpanLimits(),
                processors: [any SpanProcessor], diagnostics: Diagnostics) {
        storedResource = resource
        self.sampler = sampler
        self.idGenerator = idGenerator
        self.limits = limits
        self.processors = processors
        startObservers = processors.filter(\.observesStart)
        self.diagnostics = diagnostics
        samplingPlan = SamplingPlan(sampler)
        usesBuiltInIds = idGenerator is RandomIdGenerator
        cPlan = .allocate(capacity: 1)
        cPlan.initialize(to: samplingPlan.cPlan(builtInIds: usesBuiltInIds))
        recordQueue = processors.count == 1 ? (processors[0] as? BatchSpanProcessor) : nil
        // The spans a built-in sampler samples are recorded in C when no
        // processor needs to see them start (span_record.c). Unretained: a
        // provider lives as long as its tracers, which reference it.
        if usesBuiltInIds && startObservers.isEmpty {
            otel_shim_span_plan_set_record_sink(cPlan, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    deinit {
        cPlan.deallocate()
    }

    /// A new trace id (inline for the built-in generator).
    @inline(__always)
    func makeTraceId() -> TraceId {
        usesBuiltInIds ? RandomIdGenerator.traceId() : idGenerator.makeTraceId()
    }

    /// A new span id (inline for the built-in generator).
    @inline(__always)
    func makeSpanId() -> SpanId {
        usesBuiltInIds ? RandomIdGenerator.spanId() : idGenerator.makeSpanId()
    }

    /// The tracer of a scope; the same scope always yields the same tracer.
    /// An empty name is allowed but reported (trace API, "Get a Tracer").
    public func tracer(name: String, version: String? = nil, schemaURL: String? = nil) -> Tracer {
        tracers.get(name: name, version: version, schemaURL: schemaURL, diagnostics: diagnostics) { Tracer(scope: $0, provider: self) }
    }

    /// True after shutdown: new spans are non-recording.
    public var isShutdown: Bool { shutdownFlag.load(ordering: .relaxed) }

    func spanStarted(_ span: RecordingSpan) {
        for processor in startObservers { processor.onStart(span, parentContext: span.parentContext) }
    }

    func spanEnded(_ span: RecordingSpan) {
        for processor in processors { processor.onEnd(span) }
    }

    /// A span recorded in C has ended: queued as it is for a batching
    /// processor, else made the SDK's span here for the processors (none: freed).
    func recordEnded(_ record: UnsafeMutablePointer<otel_shim_span_record>) {
        if let recordQueue { return recordQueue.onEnd(record: record) }
        if processors.isEmpty { return otel_shim_span_record_free(record) }
        spanEnded(RecordingSpan.taking(ended: record))
    }

    /// Exports what every processor holds, within `timeoutNanoseconds` in all.
    @discardableResult
    public func forceFlush(timeoutNanoseconds: UInt64) -> Bool {
        processors.reduce(true) { $0 && $1.forceFlush(timeoutNanoseconds: timeoutNanoseconds) }
    }

    /// Flushes and stops every processor once; later calls return false
    /// (trace SDK, "Shutdown").
    @discardableResult
    public func shutdown(timeoutNanoseconds: UInt64) -> Bool {
        if shutdownFlag.exchange(true, ordering: .acquiringAndReleasing) { return false }
        otel_shim_span_plan_set_record_sink(cPlan, nil) // spans started from now on are non-recording (the SDK's path)
        return processors.reduce(true) { $0 && $1.shutdown(timeoutNanoseconds: timeoutNanoseconds) }
    }
}
