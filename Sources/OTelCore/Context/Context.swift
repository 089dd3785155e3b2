/// An immutable execution context: the active span and the baggage
/// (context/README.md). Values of this type are cheap to copy.
public struct Context: Sendable {
    /// The active span, or nil in a context with no span.
    public var span: Span?
    /// The baggage carried with this context.
    public var baggage: Baggage

    /// A context with the given span and baggage.
    public init(span: Span? = nil, baggage: Baggage = Baggage()) {
        self.span = span
        self.baggage = baggage
    }

    /// The empty context: spans started with it as parent begin a new trace.
    public static let root = Context()

    /// The context current on the calling thread.
    public static var current: Context { ThreadState.current.currentContext }

    /// This context with `span` active.
    public func with(span: Span) -> Context {
        var copy = self
        copy.span = span
        return copy
    }

    /// This context with other baggage.
    public func with(baggage: Baggage) -> Context {
        var copy = self
        copy.baggage = baggage
        return copy
    }

    /// The span context of the active span when it is valid, else nil.
    public var parentSpanContext: SpanContext? {
        guard let context = span?.context, context.isValid else { return nil }
        return context
    }

    /// Makes this context current on the calling thread until the returned
    /// scope is restored (context/README.md, "Attach Context"/"Detach Context").
    @discardableResult
    public func makeCurrent() -> ContextScope {
        ContextScope(token: ThreadState.current.attach(self))
    }
}

/// Proof that a context was attached; restoring it makes the previous context
/// current again. Restoring out of order is reported once and repaired.
public struct ContextScope: Sendable {
    /// The opaque token (the depth of the thread's context stack before the attach).
    public let token: UInt64

    /// Makes the context that was current before the attach current again.
    public func restore() {
        ThreadState.current.detach(token)
    }
}
