/// The entry-point groups a manifest may declare, mirroring OpenTelemetry
/// Python's entry-point groups (opentelemetry_distro, opentelemetry_configurator,
/// opentelemetry_instrumentor, …).
public enum PluginGroup: String, CaseIterable, Sendable {
    case distro = "otel_distro"
    case configurator = "otel_configurator"
    case instrumentor = "otel_instrumentor"
    case tracesExporter = "otel_traces_exporter"
    case metricsExporter = "otel_metrics_exporter"
    case logsExporter = "otel_logs_exporter"
    case propagator = "otel_propagator"
    case tracesSampler = "otel_traces_sampler"
    case resourceDetector = "otel_resource_detector"
    case idGenerator = "otel_id_generator"
    case preInstrument = "otel_pre_instrument"
    case postInstrument = "otel_post_instrument"
    /// Not code: the OTEL_* variables a plugin reads, so the CLI can offer them as flags.
    case environmentVariables = "otel_environment_variables"
}
