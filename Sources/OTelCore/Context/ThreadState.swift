import COTelCoreShims

/// What the SDK keeps per thread: the stack of attached contexts. Found
/// through one initial-exec TLS pointer; created on a thread's first use and
/// released when the thread exits.
final class ThreadState {
    /// Attached contexts; the last is current (above them, spans C made
    /// current: see takeCurrentFrames). Capacity is reserved so that
    /// attaching does not allocate in the common nesting depths.
    private(set) var stack: [Context] {
        didSet { otel_shim_thread_current_frames().pointee.sdk_depth = UInt32(truncatingIfNeeded: stack.count) }
    }
    /// The valid span context of the top of `stack`, kept beside it so that
    /// starting a span reads one field instead of copying a whole context.
    private(set) var currentSpanContext: SpanContext? {
        didSet { Self.mirrorForC(currentSpanContext) }
    }
    /// Swift strings of the C attribute keys this thread passed recently.
    var keyCache = CStringKeyCache()
    /// The metric attribute set this thread recorded last.
    let metricKeyCache = AttributeSetKeyCache()

    private init() {
        stack = []
        stack.reserveCapacity(16)
    }

    /// The calling thread's state.
    static var current: ThreadState {
        @inline(__always) get {
            if let pointer = otel_shim_thread_state() {
                return Unmanaged<ThreadState>.fromOpaque(pointer).takeUnretainedValue()
            }
            return makeForThisThread()
        }
    }

    /// The span context a span of `kind` started now on this thread without
    /// an explicit parent continues: the thread's current one, else the
    /// process's (ProcessContext; never for an entry span). Read without
    /// creating the thread's state or touching reference counts.
    @inline(__always)
    static func implicitParent(for kind: SpanKind) -> SpanContext? {
        if hasCurrentFrames {
            let state = current
            state.takeCurrentFrames()
            if let context = state.currentSpanContext { return context }
        }
        if let pointer = otel_shim_thread_state(),
           let current = Unmanaged<ThreadState>.fromOpaque(pointer)._withUnsafeGuaranteedRef({ $0.currentSpanContext }) {
            return current
        }
        return ProcessContext.isEntry(kind) ? nil : ProcessContext.spanContext
    }

    /// The span context current on this thread (the process's when none is).
    @inline(__always)
    static var currentSpanContextOfThisThread: SpanContext? { implicitParent(for: .internal) }

    /// Runs `body` with this thread's metric attribute-set cache (borrowed: no reference counting).
    static func withMetricKeyCache<Result>(_ body: (AttributeSetKeyCache) -> Result) -> Result {
        guard let pointer = otel_shim_thread_state() else { return body(current.metricKeyCache) }
        return Unmanaged<ThreadState>.fromOpaque(pointer)._withUnsafeGuaranteedRef { body($0.metricKeyCache) }
    }

    /// The Swift string of a C attribute key, through this thread's cache.
    static func attributeKey(_ key: UnsafePointer<CChar>) -> String {
        attributeKey(key, cachedAt: UnsafeRawPointer(key))
    }

    /// The same for a copy of a key (a logged attribute's) whose plugin kept it at `address`.
    static func attributeKey(_ key: UnsafePointer<CChar>, cachedAt address: UnsafeRawPointer?) -> String {
        guard let pointer = otel_shim_thread_state() else { return current.keyCache.string(for: key, cachedAt: address) }
        // Borrowed: a plugin's attribute call costs no reference count on the state.
        return Unmanaged<ThreadState>.fromOpaque(pointer)._withUnsafeGuaranteedRef { $0.keyCache.string(for: key, cachedAt: address) }
    }

    /// Writes the thread's current span context where C's span fast path
    /// reads it; a context with trace state is left to the SDK.
    @inline(__always)
    private static func mirrorForC(_ context: SpanContext?) {
        guard let context else { return otel_shim_set_current_span(UInt8(OTEL_SHIM_CURRENT_NONE), 0, 0, 0, 0, 0) }
        otel_shim_set_current_span(UInt8(context.traceState.storage == nil ? OTEL_SHIM_CURRENT_SIMPLE : OTEL_SHIM_CURRENT_OTHER),
                                   context.traceFlags.rawValue, context.isRemote ? 1 : 0,
                                   context.traceId.high, context.traceId.low, context.spanId.value)
    }

    @inline(never)
    private static func makeForThisThread() -> ThreadState {
        let state = ThreadState()
        otel_shim_set_thread_state(Unmanaged.passRetained(state).toOpaque()) { pointer in
            guard let pointer else { return }
            Unmanaged<ThreadState>.fromOpaque(pointer).release()
        }
        return state
    }

    /// Whether C holds spans made current on this thread (current_frames.c).
    @inline(__always)
    private static var hasCurrentFrames: Bool { otel_shim_thread_current_frames().pointee.count != 0 }

    /// Takes the spans C made current on this thread (if any) onto the stack,
    /// in the order they were made current, with the tokens C gave them (their
    /// depths): what the SDK reads or changes next is the thread's whole context.
    @inline(__always)
    private func takeCurrentFrames() {
        if Self.hasCurrentFrames { takeHeldFrames() }
    }

    @inline(never)
    private func takeHeldFrames() {
        let frames = otel_shim_thread_current_frames()!
        let count = frames.pointee.count
        var contexts: [SpanContext] = []
        for index in 0..<count {
            let frame = otel_shim_current_frame(index)
            contexts.append(SpanContext(traceId: TraceId(high: frame.trace_id_high, low: frame.trace_id_low), spanId: SpanId(frame.span_id),
                                        traceFlags: TraceFlags(rawValue: frame.trace_flags), isRemote: frame.is_remote != 0))
        }
        frames.pointee.count = 0
        for context in contexts { _ = attach(span: Span(nonRecording: context)) }
    }

    /// The current context, the process's (ProcessContext) when nothing is attached.
    var currentContext: Context {
        takeCurrentFrames()
        return stack.last ?? ProcessContext.current
    }

    /// Pushes `context`; the token is the depth before the push.
    func attach(_ context: Context) -> UInt64 {
        takeCurrentFrames()
        let token = UInt64(stack.count)
        stack.append(context)
        currentSpanContext = context.parentSpanContext
        return token
    }

    /// Pushes the current context with `span` as its span (the common case,
    /// without building an intermediate context); the token is the depth before.
    func attach(span: Span) -> UInt64 {
        takeCurrentFrames()
        let token = UInt64(stack.count)
        if let top = stack.last {
            stack.append(Context(span: span, baggage: top.baggage))
        } else {
            stack.append(Context(span: span))
        }
        currentSpanContext = span.context.isValid ? span.context : nil
        return token
    }

    /// Pops back to the depth recorded in `token`.
    func detach(_ token: UInt64) {
        takeCurrentFrames()
        let depth = Int(truncatingIfNeeded: token)
        defer { currentSpanContext = stack.last?.parentSpanContext }
        if depth == stack.count - 1 {
            stack.removeLast()
            return
        }
        // context/README.md: detaching out of order is a caller error the SDK
        // reports; we restore the recorded depth so the thread recovers.
        OTelSDK.diagnostics.error("a context was restored out of order (token \(depth), depth \(stack.count)); restoring the recorded depth")
        if depth < stack.count { stack.removeSubrange(depth...) }
    }
}
