/// Everything the SDK reads from OTEL_* variables at start-up, in one place.
public struct SDKConfiguration: Sendable {
    /// OTEL_SDK_DISABLED: when true every signal is a no-op.
    public var disabled: Bool
    public var resource: Resource
    public var sampler: any Sampler
    /// OTEL_NATIVE_ID_GENERATOR: an otel_id_generator plugin entry; the built-in random one otherwise.
    public var idGenerator: any IdGenerator
    public var limits: SpanLimits
    public var batch: BatchSpanProcessor.Configuration
    /// OTEL_TRACES_EXPORTER names, in order.
    public var tracesExporters: [String]
    /// OTEL_LOGS_EXPORTER names, in order.
    public var logsExporters: [String]
    /// OTEL_BLRP_* (schedule delay 1000 ms by default).
    public var logBatch: BatchConfiguration
    public var logLimits: LogRecordLimits
    /// OTEL_METRICS_EXPORTER names, in order.
    public var metricsExporters: [String]
    /// OTEL_METRIC_EXPORT_INTERVAL and OTEL_METRIC_EXPORT_TIMEOUT (ms; defaults 60000 and 30000).
    public var metricExportIntervalNanoseconds: UInt64
    public var metricExportTimeoutNanoseconds: UInt64
    /// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE (default cumulative).
    public var temporality: TemporalityPreference
    public var consoleDestination: ConsoleDestination
    public var propagator: CompositePropagator
    /// OTEL_NATIVE_SHUTDOWN_TIMEOUT (ms, default 5000): the most the exit
    /// flush may add to a process's exit.
    public var shutdownTimeoutNanoseconds: UInt64
    /// Trace exporters from plugins, by name.
    var pluginTracesExporters: [String: @Sendable () -> (any SpanExporter)?] = [:]
    /// Metric exporters from plugins, by name.
    var pluginMetricsExporters: [String: @Sendable () -> (any MetricExporter)?] = [:]
    /// Log record exporters from plugins, by name.
    var pluginLogsExporters: [String: @Sendable () -> (any LogRecordExporter)?] = [:]

    /// Reads the configuration; every invalid value has been reported through
    /// `config.diagnostics` and replaced by its default.
    public init(config: ConfigReader, registry: ComponentRegistry = .empty) {
        disabled = config.bool("OTEL_SDK_DISABLED")
        resource = ResourceDetection.detect(config: config, registry: registry)
        sampler = SamplerName.sampler(config: config, registry: registry)
        idGenerator = RandomIdGenerator()
        if let name = config.string("OTEL_NATIVE_ID_GENERATOR") {
            if let factory = registry.idGenerators[name] {
                if let generator = factory() { idGenerator = generator }
            } else if name != "random" {
                config.diagnostics.warn("OTEL_NATIVE_ID_GENERATOR=\(name): no id generator has that name (random is built in); using random")
            }
        }
        limits = SpanLimits(config: config)
        batch = BatchSpanProcessor.Configuration(config: config)
        tracesExporters = config.list("OTEL_TRACES_EXPORTER") ?? ["otlp"]
        logsExporters = config.list("OTEL_LOGS_EXPORTER") ?? ["otlp"]
        logBatch = BatchConfiguration(config: config, prefix: "OTEL_BLRP", defaultScheduleDelayMilliseconds: 1000)
        logLimits = LogRecordLimits(config: config)
        metricsExporters = config.list("OTEL_METRICS_EXPORTER") ?? ["otlp"]
        metricExportIntervalNanoseconds = UInt64(config.int("OTEL_METRIC_EXPORT_INTERVAL", default: 60000, minimum: 1)) * 1_000_000
        metricExportTimeoutNanoseconds = UInt64(config.int("OTEL_METRIC_EXPORT_TIMEOUT", default: 30000)) * 1_000_000
        temporality = .cumulative
        if let value = config.string("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE") {
            if let preference = TemporalityPreference(rawValue: value.lowercasedASCII()) {
                temporality = preference
            } else {
                config.diagnostics.warn("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=\(value) is not cumulative, delta or lowmemory; using cumulative")
            }
        }
        consoleDestination = ConsoleDestination(config: config)
        propagator = CompositePropagator.fromEnvironment(config: config, registry: registry)
        pluginTracesExporters = registry.tracesExporters
        pluginMetricsExporters = registry.metricsExporters
        pluginLogsExporters = registry.logsExporters
        shutdownTimeoutNanoseconds = UInt64(config.int("OTEL_NATIVE_SHUTDOWN_TIMEOUT", default: 5000)) * 1_000_000
    }

    /// The log record processors for the configured exporters; names not
    /// available are reported once and skipped.
    func makeLogRecordProcessors(diagnostics: Diagnostics) -> [any LogRecordProcessor] {
        var processors: [any LogRecordProcessor] = []
        for name in logsExporters {
            var exporter: (any LogRecordExporter)?
            switch name {
            case "console": exporter = ConsoleLogRecordExporter(destination: consoleDestination, diagnostics: diagnostics)
            case "none": continue
            case _ where pluginLogsExporters[name] != nil: exporter = pluginLogsExporters[name]?()
            case "otlp":
                diagnostics.warn("OTEL_LOGS_EXPORTER=otlp: no OTLP exporter plugin is enabled (plugins.d/otlp.ini); log records are not exported (OTEL_LOGS_EXPORTER=console prints them)")
            default:
                diagnostics.warn("OTEL_LOGS_EXPORTER: unknown exporter \(name); skipping it")
            }
            if let exporter { processors.append(BatchLogRecordProcessor(exporter: exporter, configuration: logBatch, diagnostics: diagnostics)) }
        }
        return processors
    }

    /// The metric exporters configured; names not available are reported once and skipped.
    func makeMetricExporters(diagnostics: Diagnostics) -> [any MetricExporter] {
        var exporters: [any MetricExporter] = []
        for name in metricsExporters {
            switch name {
            case "console": exporters.append(ConsoleMetricExporter(destination: consoleDestination, diagnostics: diagnostics))
            case "none": continue
            case _ where pluginMetricsExporters[name] != nil:
                if let exporter = pluginMetricsExporters[name]?() { exporters.append(exporter) }
            case "otlp":
                diagnostics.warn("OTEL_METRICS_EXPORTER=otlp: no OTLP exporter plugin is enabled (plugins.d/otlp.ini); metrics are not exported (OTEL_METRICS_EXPORTER=console prints them)")
            default:
                diagnostics.warn("OTEL_METRICS_EXPORTER: unknown exporter \(name); skipping it")
            }
        }
        return exporters
    }

    /// The span processors for the configured exporters; names not available
    /// are reported once and skipped.
    func makeProcessors(diagnostics: Diagnostics) -> [any SpanProcessor] {
        var processors: [any SpanProcessor] = []
        for name in tracesExporters {
            switch name {
            case "console":
                let exporter = ConsoleSpanExporter(destination: consoleDestination, diagnostics: diagnostics)
                processors.append(BatchSpanProcessor(exporter: exporter, configuration: batch, diagnostics: diagnostics))
            case "none":
                continue
            case _ where pluginTracesExporters[name] != nil:
                if let exporter = pluginTracesExporters[name]?() {
                    processors.append(BatchSpanProcessor(exporter: exporter, configuration: batch, diagnostics: diagnostics))
                }
            case "otlp":
                diagnostics.warn("OTEL_TRACES_EXPORTER=otlp: no OTLP exporter plugin is enabled (plugins.d/otlp.ini); spans are not exported (OTEL_TRACES_EXPORTER=console prints them)")
            default:
                diagnostics.warn("OTEL_TRACES_EXPORTER: unknown exporter \(name); skipping it")
            }
        }
        return processors
    }
}
