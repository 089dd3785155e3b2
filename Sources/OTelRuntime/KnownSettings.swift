/// One configuration variable otel-native reads, as `otel-instrument --help` lists it.
public struct KnownSetting: Sendable {
    public let variable: String
    public let defaultValue: String?
    public let summary: String
    /// The heading it is listed under.
    public let group: String

    public init(variable: String, defaultValue: String?, summary: String, group: String) {
        self.variable = variable
        self.defaultValue = defaultValue
        self.summary = summary
        self.group = group
    }

    /// The command-line flag: the variable without `OTEL_NATIVE_` or `OTEL_`, lowercased.
    public var flag: String { KnownSetting.flag(for: variable) }

    public static func flag(for variable: String) -> String {
        let stripped = variable.hasPrefix("OTEL_NATIVE_") ? String(variable.dropFirst(12))
            : variable.hasPrefix("OTEL_") ? String(variable.dropFirst(5)) : variable
        return stripped.lowercasedASCII()
    }
}

/// The variables the core and the runtime read (docs/configuration.md).
public enum KnownSettings {
    public static let all: [KnownSetting] = [
        .init(variable: "OTEL_SDK_DISABLED", defaultValue: "false", summary: "true makes every signal a no-op", group: "General"),
        .init(variable: "OTEL_LOG_LEVEL", defaultValue: "info", summary: "the SDK's own diagnostics: debug, info, warn, error, none", group: "General"),
        .init(variable: "OTEL_SERVICE_NAME", defaultValue: nil, summary: "service.name (default unknown_service:<executable>)", group: "General"),
        .init(variable: "OTEL_RESOURCE_ATTRIBUTES", defaultValue: nil, summary: "key=value,… resource attributes, percent-encoded", group: "General"),
        .init(variable: "OTEL_PROPAGATORS", defaultValue: "tracecontext,baggage", summary: "propagators, comma-separated (built in or from plugins)", group: "General"),
        .init(variable: "OTEL_EXPERIMENTAL_RESOURCE_DETECTORS", defaultValue: nil, summary: "resource detector plugins to run, comma-separated", group: "General"),
        .init(variable: "OTEL_TRACES_EXPORTER", defaultValue: "otlp", summary: "otlp (OTLP/HTTP protobuf), console, none, or an exporter plugin's name", group: "Traces"),
        .init(variable: "OTEL_TRACES_SAMPLER", defaultValue: "parentbased_always_on", summary: "always_on, always_off, traceidratio, parentbased_*, or a sampler plugin's name", group: "Traces"),
        .init(variable: "OTEL_TRACES_SAMPLER_ARG", defaultValue: "1.0", summary: "the ratio of the ratio samplers", group: "Traces"),
        .init(variable: "OTEL_BSP_SCHEDULE_DELAY", defaultValue: "5000", summary: "ms between span exports", group: "Traces"),
        .init(variable: "OTEL_BSP_EXPORT_TIMEOUT", defaultValue: "30000", summary: "ms allowed for one export", group: "Traces"),
        .init(variable: "OTEL_BSP_MAX_QUEUE_SIZE", defaultValue: "2048", summary: "spans queued before new ones are dropped", group: "Traces"),
        .init(variable: "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", defaultValue: "512", summary: "spans per export", group: "Traces"),
        .init(variable: "OTEL_METRICS_EXPORTER", defaultValue: "otlp", summary: "otlp (OTLP/HTTP protobuf), console, none, or an exporter plugin's name", group: "Metrics"),
        .init(variable: "OTEL_METRIC_EXPORT_INTERVAL", defaultValue: "60000", summary: "ms between metric collections", group: "Metrics"),
        .init(variable: "OTEL_METRIC_EXPORT_TIMEOUT", defaultValue: "30000", summary: "ms allowed for one metric export", group: "Metrics"),
        .init(variable: "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", defaultValue: "cumulative", summary: "cumulative, delta or lowmemory", group: "Metrics"),
        .init(variable: "OTEL_LOGS_EXPORTER", defaultValue: "otlp", summary: "otlp (OTLP/HTTP protobuf), console, none, or an exporter plugin's name", group: "Logs"),
        .init(variable: "OTEL_BLRP_SCHEDULE_DELAY", defaultValue: "1000", summary: "ms between log record exports", group: "Logs"),
        .init(variable: "OTEL_BLRP_EXPORT_TIMEOUT", defaultValue: "30000", summary: "ms allowed for one export", group: "Logs"),
        .init(variable: "OTEL_BLRP_MAX_QUEUE_SIZE", defaultValue: "2048", summary: "log records queued before new ones are dropped", group: "Logs"),
        .init(variable: "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", defaultValue: "512", summary: "log records per export", group: "Logs"),
        .init(variable: "OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", defaultValue: "128", summary: "attributes per log record", group: "Limits"),
        .init(variable: "OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", defaultValue: nil, summary: "characters kept of log record attribute values", group: "Limits"),
        .init(variable: "OTEL_ATTRIBUTE_COUNT_LIMIT", defaultValue: "128", summary: "attributes per span, event, link", group: "Limits"),
        .init(variable: "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", defaultValue: nil, summary: "characters kept of string values", group: "Limits"),
        .init(variable: "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", defaultValue: "128", summary: "attributes per span", group: "Limits"),
        .init(variable: "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", defaultValue: nil, summary: "characters kept of span attribute values", group: "Limits"),
        .init(variable: "OTEL_SPAN_EVENT_COUNT_LIMIT", defaultValue: "128", summary: "events per span", group: "Limits"),
        .init(variable: "OTEL_SPAN_LINK_COUNT_LIMIT", defaultValue: "128", summary: "links per span", group: "Limits"),
        .init(variable: "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", defaultValue: "128", summary: "attributes per event", group: "Limits"),
        .init(variable: "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", defaultValue: "128", summary: "attributes per link", group: "Limits"),
        .init(variable: "OTEL_NATIVE_CONSOLE_OUTPUT", defaultValue: "stdout", summary: "where console exporters write: stdout, stderr or a file path", group: "otel-native"),
        .init(variable: "OTEL_NATIVE_SHUTDOWN_TIMEOUT", defaultValue: "5000", summary: "ms the exit flush may add to the program's exit", group: "otel-native"),
        .init(variable: "OTEL_NATIVE_DIRECT_SYSCALLS", defaultValue: "true", summary: "while the program has one thread, its blocking libc calls make their system call directly, as glibc does in a single-threaded process", group: "otel-native"),
        .init(variable: "OTEL_NATIVE_KEEP_FREED_BLOCKS", defaultValue: "true", summary: "with direct system calls, the program's first thread keeps the large blocks it frees (1 033 bytes to 64 KiB, the last four) for its next allocations, sparing it glibc's arena lock", group: "otel-native"),
        .init(variable: "OTEL_NATIVE_EXPORT_OWN_DESCRIPTORS", defaultValue: "true", summary: "export threads of exporters that confine their descriptors use a descriptor table of their own", group: "otel-native"),
        .init(variable: "OTEL_NATIVE_PLUGINS_PATH", defaultValue: nil, summary: "colon-separated plugins.d directories searched first", group: "otel-native"),
        .init(variable: "OTEL_NATIVE_ID_GENERATOR", defaultValue: "random", summary: "random, or an otel_id_generator plugin's name", group: "otel-native"),
        .init(variable: "OTEL_NATIVE_DISTRO", defaultValue: nil, summary: "the otel_distro entry to use (default: the first found)", group: "otel-native"),
        .init(variable: "OTEL_NATIVE_CONFIGURATOR", defaultValue: nil, summary: "the otel_configurator entry to use (default: the first found)", group: "otel-native"),
        .init(variable: "OTEL_NATIVE_DISABLED_INSTRUMENTATIONS", defaultValue: nil, summary: "instrumentor names not to load, comma-separated; * for all", group: "otel-native"),
        .init(variable: "OTEL_NATIVE_ENABLED_INSTRUMENTATIONS", defaultValue: nil, summary: "when set, only these instrumentors load", group: "otel-native"),
        .init(variable: "OTEL_NATIVE_PROCESS_SPANS", defaultValue: "true", summary: "a span per process from start to exit, parent of its other work", group: "otel-native"),
        .init(variable: "OTEL_NATIVE_FLUSH_ON_SIGNAL", defaultValue: "false", summary: "true exports before a SIGTERM or SIGINT the program does not handle ends it", group: "otel-native"),
        .init(variable: "OTEL_NATIVE_PROCESS_COMMAND_ARGS", defaultValue: "false", summary: "true records process.command_args on process spans (they can hold secrets)", group: "otel-native"),
    ]
}
