import COTelCoreShims

/// What the SDK keeps per thread: the stack of attached contexts. Found
/// through one initial-exec TLS pointer; created on a thread's first use and
/// released when the thread exits.
final class ThreadState {
    /// Attached contexts; the last is current. Capacity is reserved so that
    /// attaching does not allocate in the common nesting depths.
    private(set) var stack: [Context]

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

    @inline(never)
    private static func makeForThisThread() -> ThreadState {
        let state = ThreadState()
        otel_shim_set_thread_state(Unmanaged.passRetained(state).toOpaque()) { pointer in
            guard let pointer else { return }
            Unmanaged<ThreadState>.fromOpaque(pointer).release()
        }
        return state
    }

    /// The current context, root when nothing is attached.
    var currentContext: Context {
        stack.last ?? .root
    }

    /// The span context of the current span, without copying the whole context.
    var currentSpanContext: SpanContext? {
        guard let last = stack.last, let span = last.span, span.context.isValid else { return nil }
        return span.context
    }

    /// Pushes `context`; the token is the depth before the push.
    func attach(_ context: Context) -> UInt64 {
        let token = UInt64(stack.count)
        stack.append(context)
        return token
    }

    /// Pops back to the depth recorded in `token`.
    func detach(_ token: UInt64) {
        let depth = Int(truncatingIfNeeded: token)
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
