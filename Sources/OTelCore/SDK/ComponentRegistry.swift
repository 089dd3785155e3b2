/// Components that plugins provide, found by the names users give in OTEL_*
/// settings (the configurator's "resolve by name"). Each factory loads its
/// plugin on first use and returns nil when that failed (the runtime has
/// reported why).
public struct ComponentRegistry: Sendable {
    public var propagators: [String: @Sendable () -> (any TextMapPropagator)?] = [:]
    public var samplers: [String: @Sendable () -> (any Sampler)?] = [:]
    public var resourceDetectors: [String: @Sendable () -> [Attribute]?] = [:]
    public var idGenerators: [String: @Sendable () -> (any IdGenerator)?] = [:]
    /// Trace exporters from plugins (they receive each batch as OTLP protobuf).
    public var tracesExporters: [String: @Sendable () -> (any SpanExporter)?] = [:]
    /// Metric exporters from plugins (they receive each collection as OTLP protobuf).
    public var metricsExporters: [String: @Sendable () -> (any MetricExporter)?] = [:]
    /// Log record exporters from plugins (they receive each batch as OTLP protobuf).
    public var logsExporters: [String: @Sendable () -> (any LogRecordExporter)?] = [:]

    public init() {}

    /// No plugin components: the built-in ones only.
    public static let empty = ComponentRegistry()
}
