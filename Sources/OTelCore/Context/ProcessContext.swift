import COTelCoreShims

/// The context a process's work continues when nothing else is current on
/// the thread: the process span, or the context the process was started
/// with (TRACEPARENT, TRACESTATE, BAGGAGE in its environment), or root.
///
/// So that a process tree is one trace: a child's spans continue the span
/// that was current in its parent when it was started. Entry spans (SERVER,
/// CONSUMER) never take it as their parent: a request arriving at a
/// long-running server begins its own trace or continues its caller's, not
/// one endless trace under the server's process.
public enum ProcessContext {
    /// Written once while the runtime initialises, before the program's own
    /// threads exist (the preload's constructor), and again only in a forked
    /// child's single thread.
    nonisolated(unsafe) private static var installed: Context = .root
    nonisolated(unsafe) private static var installedSpanContext: SpanContext?

    /// The process's default context (root when none was installed).
    public static var current: Context { installed }

    /// The span context of `current`, if valid.
    public static var spanContext: SpanContext? { installedSpanContext }

    /// Makes `context` the process's default; call before other threads use the SDK.
    public static func install(_ context: Context) {
        installed = context
        installedSpanContext = context.parentSpanContext
        guard let spanContext = installedSpanContext else {
            return otel_shim_set_process_parent(UInt8(OTEL_SHIM_CURRENT_NONE), 0, 0, 0, 0, 0)
        }
        otel_shim_set_process_parent(UInt8(spanContext.traceState.storage == nil ? OTEL_SHIM_CURRENT_SIMPLE : OTEL_SHIM_CURRENT_OTHER),
                                     spanContext.traceFlags.rawValue, spanContext.isRemote ? 1 : 0,
                                     spanContext.traceId.high, spanContext.traceId.low, spanContext.spanId.value)
    }

    /// Whether spans of `kind` begin work that arrives from outside.
    static func isEntry(_ kind: SpanKind) -> Bool { kind == .server || kind == .consumer }
}
