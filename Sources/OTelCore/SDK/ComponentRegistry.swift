/// Components that plugins provide, found by the names users give in OTEL_*
/// settings (the configurator's "resolve by name"). Each factory loads its
/// plugin on first use and returns nil when that failed (the runtime has
/// reported why).
public struct ComponentRegistry: Sendable {
    public var propagators: [String: @Sendable () -> (any TextMapPropagator)?] = [:]
    public var samplers: [String: @Sendable () -> (any Sampler)?] = [:]
    public var resourceDetectors: [String: @Sendable () -> [Attribute]?] = [:]
    public var idGenerators: [String: @Sendable () -> (any IdGenerator)?] = [:]
    /// Names of trace exporters that plugins declare (not usable yet: exporter
    /// plugins receive OTLP protobuf, whose encoder has not landed).
    public var tracesExporterNames: Set<String> = []

    public init() {}

    /// No plugin components: the built-in ones only.
    public static let empty = ComponentRegistry()
}
