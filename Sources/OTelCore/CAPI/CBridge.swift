import COTelCore

/// Conversions between Swift values and the C API's handles, for code that
/// calls plugins through the C ABI (propagator and sampler plugins).
public enum CBridge {
    /// Runs `body` with a C span handle for `context` (non-recording, no reference taken).
    public static func withCSpan<R>(_ context: SpanContext?, _ body: (UnsafePointer<otel_span>?) -> R) -> R {
        guard let context else { return body(nil) }
        var span = otel_span()
        CSpanHandle.fill(&span, from: Span(nonRecording: context))
        defer { CSpanHandle.release(&span) }
        return withUnsafePointer(to: &span) { body($0) }
    }

    /// A retained C context for `context`; release it with `release(_:)`.
    public static func retainedContext(_ context: Context) -> OpaquePointer {
        CContextBox.retained(context)
    }

    /// The Swift context behind a C context handle.
    public static func context(_ pointer: OpaquePointer) -> Context {
        CContextBox.context(pointer)
    }

    /// Releases a context handle from `retainedContext(_:)` or a plugin.
    public static func release(_ pointer: OpaquePointer) {
        cContextRelease(pointer)
    }
}
