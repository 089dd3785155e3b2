#if canImport(Glibc)
import Glibc
#endif
import COTelCore
import COTelPlugin
import OTelCore
import Synchronization

/// A propagator provided by a plugin (otel_propagator group).
final class PluginPropagator: TextMapPropagator, @unchecked Sendable {
    let plugin: LoadedPlugin
    let inject: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<otel_carrier>?) -> Void
    let extract: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<otel_carrier>?) -> OpaquePointer?

    init?(_ plugin: LoadedPlugin) {
        guard let inject = plugin.descriptor.pointee.inject, let extract = plugin.descriptor.pointee.extract else { return nil }
        self.plugin = plugin
        self.inject = inject
        self.extract = extract
    }

    /// Plugins do not declare their fields in ABI 1.0.
    var fields: [String] { [] }

    /// Bridges a Swift carrier to the C callbacks for the duration of one call.
    final class CarrierBox {
        let get: (String) -> String?
        let set: (String, String) -> Void
        var returned: [UnsafeMutablePointer<CChar>] = []
        init(get: @escaping (String) -> String?, set: @escaping (String, String) -> Void) {
            self.get = get
            self.set = set
        }
        deinit { returned.forEach { free($0) } }

        func withCarrier<R>(_ body: (UnsafePointer<otel_carrier>) -> R) -> R {
            var carrier = otel_carrier()
            carrier.user = Unmanaged.passUnretained(self).toOpaque()
            carrier.get = { user, key in
                let box = Unmanaged<CarrierBox>.fromOpaque(user!).takeUnretainedValue()
                guard let key, let value = box.get(String(cString: key)), let copy = strdup(value) else { return nil }
                box.returned.append(copy)
                return UnsafePointer(copy)
            }
            carrier.set = { user, key, value in
                let box = Unmanaged<CarrierBox>.fromOpaque(user!).takeUnretainedValue()
                guard let key, let value else { return }
                box.set(String(cString: key), String(cString: value))
            }
            return withUnsafePointer(to: &carrier) { body($0) }
        }
    }

    func inject<Setter: TextMapSetter>(_ context: Context, into carrier: inout Setter) {
        var pending: [(String, String)] = []
        let box = CarrierBox(get: { _ in nil }, set: { pending.append(($0, $1)) })
        let cContext = CBridge.retainedContext(context)
        box.withCarrier { inject(plugin.descriptor.pointee.state, cContext, $0) }
        CBridge.release(cContext)
        for (key, value) in pending { carrier.set(key, value) }
    }

    func extract<Getter: TextMapGetter>(from carrier: Getter, into context: Context) -> Context {
        let box = CarrierBox(get: { carrier.get($0) }, set: { _, _ in })
        let base = CBridge.retainedContext(context)
        defer { CBridge.release(base) }
        guard let extracted = box.withCarrier({ extract(plugin.descriptor.pointee.state, base, $0) }) else { return context }
        defer { CBridge.release(extracted) }
        return CBridge.context(extracted)
    }
}

/// A sampler provided by a plugin (otel_traces_sampler group).
final class PluginSampler: Sampler, @unchecked Sendable {
    let plugin: LoadedPlugin
    let shouldSample: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<otel_span>?, UInt64, UInt64, UnsafePointer<CChar>?, otel_span_kind) -> Int32

    init?(_ plugin: LoadedPlugin) {
        guard let shouldSample = plugin.descriptor.pointee.should_sample else { return nil }
        self.plugin = plugin
        self.shouldSample = shouldSample
    }

    func shouldSample(parent: SpanContext?, traceId: TraceId, name: String, kind: SpanKind,
                      attributes: [Attribute], links: [SpanLink]) -> SamplingResult {
        let answer = CBridge.withCSpan(parent) { parentSpan in
            name.withCString { shouldSample(plugin.descriptor.pointee.state, parentSpan, traceId.high, traceId.low, $0,
                                            otel_span_kind(UInt32(kind.rawValue))) }
        }
        let decision: SamplingDecision = switch answer {
        case 2: .recordAndSample
        case 1: .recordOnly
        default: .drop
        }
        return SamplingResult(decision: decision, traceState: parent?.traceState ?? TraceState())
    }

    var description: String { plugin.name }
}

/// An exporter plugin (otel_traces_exporter, otel_metrics_exporter): its
/// descriptor's exporter functions, each payload an OTLP request in protobuf.
class PluginExporter: @unchecked Sendable {
    let plugin: LoadedPlugin
    let diagnostics: Diagnostics
    let exportTimeoutMilliseconds: UInt32

    init?(_ plugin: LoadedPlugin, group: PluginGroup, exportTimeoutMilliseconds: UInt32, diagnostics: Diagnostics) {
        let descriptor = plugin.descriptor.pointee
        guard descriptor.exporter_export != nil else { return nil }
        if let create = descriptor.exporter_create, create(descriptor.state, HostTable.shared) != 0 {
            diagnostics.warn("[\(group.rawValue)] \(plugin.entry.name) (\(plugin.entry.location)): exporter_create() failed")
            return nil
        }
        self.plugin = plugin
        self.diagnostics = diagnostics
        self.exportTimeoutMilliseconds = exportTimeoutMilliseconds
    }

    /// Whether the plugin opens and closes every descriptor within each call
    /// (OTEL_EXPORTER_CONFINED_DESCRIPTORS, ABI 1.4; 0 in older descriptors).
    var confinesDescriptors: Bool { plugin.descriptor.pointee.exporter_flags & OTEL_EXPORTER_CONFINED_DESCRIPTORS != 0 }

    /// Whether the plugin asked for the OTLP JSON encoding (else protobuf).
    var wantsJSON: Bool { plugin.descriptor.pointee.exporter_payload == UInt32(OTEL_EXPORTER_PAYLOAD_JSON) }

    /// Hands one encoded request to the plugin.
    func send(_ request: UnsafeRawBufferPointer) -> ExportResult {
        let descriptor = plugin.descriptor.pointee
        let bytes = request.baseAddress?.assumingMemoryBound(to: UInt8.self)
        return descriptor.exporter_export!(descriptor.state, bytes, request.count, exportTimeoutMilliseconds) == 0 ? .success : .failure
    }

    func forceFlush(timeoutNanoseconds: UInt64) -> Bool {
        let descriptor = plugin.descriptor.pointee
        return descriptor.exporter_flush.map { $0(descriptor.state, milliseconds(timeoutNanoseconds)) == 0 } ?? true
    }

    func shutdown(timeoutNanoseconds: UInt64) -> Bool {
        let descriptor = plugin.descriptor.pointee
        return descriptor.exporter_shutdown.map { $0(descriptor.state, milliseconds(timeoutNanoseconds)) == 0 } ?? true
    }

    private func milliseconds(_ nanoseconds: UInt64) -> UInt32 { UInt32(min(nanoseconds / 1_000_000, UInt64(UInt32.max))) }
}

/// A trace exporter plugin: each batch as an ExportTraceServiceRequest.
final class PluginSpanExporter: PluginExporter, SpanExporter, @unchecked Sendable {
    func export(_ spans: [SpanData]) -> ExportResult {
        wantsJSON ? OTLPJSONEncoder.traces(spans).withUnsafeBytes(send) : OTLPTraceEncoder.encode(spans, send)
    }
}

/// A log record exporter plugin: each batch as an ExportLogsServiceRequest.
final class PluginLogRecordExporter: PluginExporter, LogRecordExporter, @unchecked Sendable {
    func export(_ records: [LogRecordData]) -> ExportResult {
        wantsJSON ? OTLPJSONEncoder.logs(records).withUnsafeBytes(send) : OTLPLogsEncoder.encode(records, send)
    }
}

/// A metric exporter plugin: each collection as an ExportMetricsServiceRequest.
final class PluginMetricExporter: PluginExporter, MetricExporter, @unchecked Sendable {
    func export(_ metrics: [MetricData], resource: Resource) -> ExportResult {
        (wantsJSON ? OTLPJSONEncoder.metrics(metrics, resource: resource) : OTLPMetricsEncoder.encode(metrics, resource: resource))
            .withUnsafeBytes(send)
    }
}

/// An id generator provided by a plugin (otel_id_generator group).
final class PluginIdGenerator: IdGenerator, @unchecked Sendable {
    let plugin: LoadedPlugin
    let traceId: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt64>?, UnsafeMutablePointer<UInt64>?) -> Void
    let spanId: @convention(c) (UnsafeMutableRawPointer?) -> UInt64

    init?(_ plugin: LoadedPlugin) {
        guard let traceId = plugin.descriptor.pointee.generate_trace_id, let spanId = plugin.descriptor.pointee.generate_span_id else { return nil }
        self.plugin = plugin
        self.traceId = traceId
        self.spanId = spanId
    }

    func makeTraceId() -> TraceId {
        var high: UInt64 = 0, low: UInt64 = 0
        traceId(plugin.descriptor.pointee.state, &high, &low)
        let id = TraceId(high: high, low: low)
        return id.isValid ? id : RandomIdGenerator().makeTraceId() // never hand out an invalid id
    }

    func makeSpanId() -> SpanId {
        let id = SpanId(spanId(plugin.descriptor.pointee.state))
        return id.isValid ? id : RandomIdGenerator().makeSpanId()
    }

    /// A plugin's ids are not known to be random: no W3C random flag.
    var generatesRandomTraceIds: Bool { false }
}

extension PluginRuntime {
    /// The propagators, samplers, resource detectors, id generators and trace
    /// exporters that the catalog's plugins provide, each loaded only when its
    /// name is used.
    static func components(of catalog: PluginCatalog, load: @escaping @Sendable (PluginEntry) -> LoadedPlugin?,
                           diagnostics: Diagnostics) -> ComponentRegistry {
        /// Factories by entry name for `group`: load the plugin, then `make`
        /// the component (nil, reported with `missing`, when its descriptor lacks it).
        func factories<Component>(_ group: PluginGroup, missing: String,
                                  _ make: @escaping @Sendable (LoadedPlugin) -> Component?) -> [String: @Sendable () -> Component?] {
            var table: [String: @Sendable () -> Component?] = [:]
            for entry in catalog.entries(in: group) where table[entry.name] == nil {
                table[entry.name] = {
                    guard let plugin = load(entry) else { return nil }
                    guard let component = make(plugin) else {
                        diagnostics.warn("[\(group.rawValue)] \(entry.name) (\(entry.location)): \(missing)")
                        return nil
                    }
                    return component
                }
            }
            return table
        }
        var registry = ComponentRegistry()
        registry.propagators = factories(.propagator, missing: "its descriptor has no inject or extract function") {
            PluginPropagator($0)
        }
        registry.samplers = factories(.tracesSampler, missing: "its descriptor has no should_sample function") {
            PluginSampler($0)
        }
        registry.resourceDetectors = factories(.resourceDetector, missing: "no detect function, or detect() failed") {
            detectedAttributes($0)
        }
        registry.idGenerators = factories(.idGenerator, missing: "its descriptor has no generate_trace_id or generate_span_id function") {
            PluginIdGenerator($0)
        }
        let timeout = UInt32(ConfigReader(environment: .process, diagnostics: diagnostics).int("OTEL_BSP_EXPORT_TIMEOUT", default: 30000))
        registry.tracesExporters = factories(.tracesExporter, missing: "no exporter_export function, or exporter_create() failed") {
            PluginSpanExporter($0, group: .tracesExporter, exportTimeoutMilliseconds: timeout, diagnostics: diagnostics)
        }
        let logTimeout = UInt32(ConfigReader(environment: .process, diagnostics: diagnostics).int("OTEL_BLRP_EXPORT_TIMEOUT", default: 30000))
        registry.logsExporters = factories(.logsExporter, missing: "no exporter_export function, or exporter_create() failed") {
            PluginLogRecordExporter($0, group: .logsExporter, exportTimeoutMilliseconds: logTimeout, diagnostics: diagnostics)
        }
        let metricTimeout = UInt32(ConfigReader(environment: .process, diagnostics: diagnostics).int("OTEL_METRIC_EXPORT_TIMEOUT", default: 30000))
        registry.metricsExporters = factories(.metricsExporter, missing: "no exporter_export function, or exporter_create() failed") {
            PluginMetricExporter($0, group: .metricsExporter, exportTimeoutMilliseconds: metricTimeout, diagnostics: diagnostics)
        }
        return registry
    }

    /// What a resource detector plugin reports, or nil when it has no detect function or it fails.
    static func detectedAttributes(_ plugin: LoadedPlugin) -> [Attribute]? {
        guard let detect = plugin.descriptor.pointee.detect else { return nil }
        final class Collected { var attributes: [Attribute] = [] }
        let collected = Collected()
        let status = detect(plugin.descriptor.pointee.state, Unmanaged.passUnretained(collected).toOpaque()) { context, key, value in
            guard let context, let key, let value else { return }
            Unmanaged<Collected>.fromOpaque(context).takeUnretainedValue().attributes
                .append(Attribute(String(cString: key), .string(String(cString: value))))
        }
        return status == 0 ? collected.attributes : nil
    }
}
