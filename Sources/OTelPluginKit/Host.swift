import COTelCore
import COTelPlugin

/// The host as a Swift plugin sees it: the host table behind small methods.
public struct Host: @unchecked Sendable {
    /// The raw table, for what this layer does not wrap.
    public let table: UnsafePointer<otel_host_api>

    public init(_ table: UnsafePointer<otel_host_api>) { self.table = table }

    /// Severity of a diagnostic.
    public enum LogLevel {
        case debug, info, warning, error
    }

    /// One line on stderr, prefixed and de-duplicated by the host.
    public func log(_ level: LogLevel, _ message: String) {
        let raw: otel_log_level = switch level {
        case .debug: OTEL_LOG_DEBUG
        case .info: OTEL_LOG_INFO
        case .warning: OTEL_LOG_WARNING
        case .error: OTEL_LOG_ERROR
        }
        message.withCString { table.pointee.log(raw, $0) }
    }

    /// The value of an OTEL_* setting, or nil when unset or empty.
    public func config(_ name: String) -> String? {
        name.withCString { table.pointee.config_get($0) }.map { String(cString: $0) }
    }

    /// Sets an OTEL_* setting only where the user has not (for distros).
    public func setDefault(_ name: String, _ value: String) {
        name.withCString { name in value.withCString { table.pointee.config_set_default(name, $0) } }
    }

    /// The tracer of an instrumentation scope.
    public func tracer(name: String, version: String? = nil) -> PluginTracer {
        let tracer = name.withCString { name in
            if let version { return version.withCString { table.pointee.tracer_get(name, $0, nil) } }
            return table.pointee.tracer_get(name, nil, nil)
        }
        return PluginTracer(host: self, tracer: tracer)
    }
}

/// A tracer obtained from the host.
public struct PluginTracer: @unchecked Sendable {
    let host: Host
    let tracer: OpaquePointer?

    /// Starts a span whose parent is the thread's current span.
    public func startSpan(_ name: String, kind: otel_span_kind = OTEL_SPAN_KIND_INTERNAL) -> PluginSpan {
        var span = otel_span()
        name.withCString { host.table.pointee.span_start(tracer, $0, kind, nil, &span) }
        return PluginSpan(host: host, span: span)
    }
}

/// A started span; end it exactly once.
public struct PluginSpan: @unchecked Sendable {
    let host: Host
    var span: otel_span

    /// True when the span records attributes (sampled).
    public var isRecording: Bool {
        var copy = span
        return host.table.pointee.span_is_recording(&copy)
    }

    public mutating func set(_ key: String, _ value: String) {
        key.withCString { key in value.withCString { host.table.pointee.span_set_string(&span, key, $0) } }
    }

    public mutating func set(_ key: String, _ value: Int64) {
        key.withCString { host.table.pointee.span_set_int(&span, $0, value) }
    }

    public mutating func set(_ key: String, _ value: Bool) {
        key.withCString { host.table.pointee.span_set_bool(&span, $0, value) }
    }

    public mutating func set(_ key: String, _ value: Double) {
        key.withCString { host.table.pointee.span_set_double(&span, $0, value) }
    }

    /// Sets the status; the description is kept for errors only.
    public mutating func setStatus(_ code: otel_status_code, description: String? = nil) {
        if let description {
            description.withCString { host.table.pointee.span_set_status(&span, code, $0) }
        } else {
            host.table.pointee.span_set_status(&span, code, nil)
        }
    }

    /// Ends the span now.
    public mutating func end() {
        host.table.pointee.span_end(&span)
    }
}
