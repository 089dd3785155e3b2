// Micro-benchmarks of the core's hot paths (docs/performance.md).
//
//   swift build -c release && .build/release/otel-bench [NAME-FILTER]
//
// Each figure is the median of 11 runs of N iterations, in ns per operation,
// on the calling thread. Spans go through the batch processor to an exporter
// that discards them, as in production minus the I/O.
import COTelCore
import COTelCoreShims
import OTelCore
import OTelRuntime
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Discards spans after taking their snapshot (the exporter thread's real work).
final class DiscardingExporter: SpanExporter {
    func export(_ spans: [SpanData]) -> ExportResult { .success }
    func forceFlush(timeoutNanoseconds: UInt64) -> Bool { true }
    func shutdown(timeoutNanoseconds: UInt64) -> Bool { true }
}

@inline(never)
func blackHole<T>(_ value: T) {}

/// C string attributes (their strings are never freed: the benchmark's lifetime).
func cStringAttributes(_ pairs: [(String, String)]) -> [otel_attribute] {
    pairs.map { key, value in
        var attribute = otel_attribute()
        attribute.key = UnsafePointer(strdup(key)!)
        attribute.type = OTEL_ATTRIBUTE_STRING
        attribute.value.string_value = UnsafePointer(strdup(value)!)
        return attribute
    }
}

/// Discards metrics (the export is not what is measured).
final class DiscardingMetricExporter: MetricExporter {
    func export(_ metrics: [MetricData], resource: Resource) -> ExportResult { .success }
    func forceFlush(timeoutNanoseconds: UInt64) -> Bool { true }
    func shutdown(timeoutNanoseconds: UInt64) -> Bool { true }
}

/// Records into a C instrument on a thread of its own until stopped (the
/// concurrent metrics workload). Owns copies of what it records, so it
/// touches nothing of the main thread's.
final class BackgroundRecorder: @unchecked Sendable {
    let instrument: OpaquePointer
    let attributes: [otel_attribute]
    let stopped = Atomic<Bool>(false)
    private var thread = pthread_t()

    init(instrument: OpaquePointer, attributes: [otel_attribute]) {
        self.instrument = instrument
        self.attributes = attributes
        pthread_create(&thread, nil, { argument in
            let recorder = Unmanaged<BackgroundRecorder>.fromOpaque(argument!).takeUnretainedValue()
            recorder.run()
            return nil
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    nonisolated func run() {
        while !stopped.load(ordering: .relaxed) {
            for _ in 0..<1000 { otel_instrument_record_double(instrument, 0.0042, attributes, attributes.count) }
        }
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        pthread_join(thread, nil)
    }
}

/// Only workloads whose name starts with this argument run (for profiling one).
let filter = CommandLine.arguments.dropFirst().first

/// Median ns per operation over 11 runs (an iteration may do `operationsPerIteration`). With `chunk`, each run is timed in
/// chunks of that many iterations and `between` runs untimed after each chunk
/// (to drain the export queue, as the export thread would between batches).
func measure(_ name: String, iterations: Int, chunk: Int? = nil, between: () -> Void = {}, operationsPerIteration: Int = 1,
             _ body: () -> Void) {
    if let filter, !name.hasPrefix(filter) { return }
    let chunk = chunk ?? iterations
    // Warm up as a run does (the allocator, the queue and the caches reach their steady state).
    var warmed = 0
    while warmed < iterations / 2 {
        for _ in 0..<min(chunk, iterations / 2 - warmed) { body() }
        warmed += chunk
        between()
    }
    var samples: [Double] = []
    for _ in 0..<11 {
        var elapsed: UInt64 = 0
        var done = 0
        while done < iterations {
            let count = min(chunk, iterations - done)
            let start = otel_shim_monotonic_ns()
            for _ in 0..<count { body() }
            elapsed += otel_shim_monotonic_ns() - start
            done += count
            between()
        }
        samples.append(Double(elapsed) / Double(iterations * operationsPerIteration))
    }
    samples.sort()
    let median = samples[samples.count / 2]
    print("| \(name) | \(Double(Int(median * 10)) / 10) |")
}

let diagnostics = Diagnostics(level: .warning)
let resource = ResourceDetection.detect(config: ConfigReader(environment: .process, diagnostics: diagnostics))
let iterations = 200_000

/// A sampling provider whose batch processor never drops (drops would flatter
/// the figures). `idleExporter`: the export thread sleeps while a chunk of
/// 2048 spans (the default queue size) is timed and drains between chunks, so
/// the figure is the calling thread's own cost; otherwise it exports
/// concurrently (512-span batches) on the other core.
func sampledTracer(idleExporter: Bool) -> (Tracer, BatchSpanProcessor) {
    var batch = BatchSpanProcessor.Configuration()
    batch.maxQueueSize = 1 << 21
    if idleExporter {
        batch.maxExportBatchSize = batch.maxQueueSize
        batch.scheduleDelayNanoseconds = 3_600_000_000_000
    }
    let processor = BatchSpanProcessor(exporter: DiscardingExporter(), configuration: batch, diagnostics: diagnostics)
    let provider = TracerProvider(resource: resource, sampler: ParentBasedSampler(root: AlwaysOnSampler()),
                                  processors: [processor], diagnostics: diagnostics)
    return (provider.tracer(name: "bench"), processor)
}

func fiveAttributes(_ span: Span) {
    span.setAttribute("db.system.name", "sqlite")
    span.setAttribute("db.operation.name", "SELECT")
    span.setAttribute("db.collection.name", "users")
    span.setAttribute("db.response.returned_rows", 42)
    span.setAttribute("retry", false)
}

let (sampled, idleProcessor) = sampledTracer(idleExporter: true)
let (concurrent, concurrentProcessor) = sampledTracer(idleExporter: false)
let drain = { _ = idleProcessor.forceFlush(timeoutNanoseconds: 60_000_000_000) }
let unsampledProvider = TracerProvider(resource: resource, sampler: ParentBasedSampler(root: AlwaysOffSampler()),
                                       processors: [idleProcessor], diagnostics: diagnostics)
OTelSDK.install(SDKState(diagnostics: diagnostics, tracerProvider: unsampledProvider,
                         propagator: CompositePropagator([TraceContextPropagator(), BaggagePropagator()])))
let unsampled = unsampledProvider.tracer(name: "bench")

print("| operation (otel-native) | ns/op |")
print("|---|---|")
measure("sampled span start+end, 0 attributes", iterations: iterations, chunk: 2048, between: drain) {
    sampled.startSpan("span").end()
}
measure("sampled span start+end, 5 attributes", iterations: iterations, chunk: 2048, between: drain) {
    let span = sampled.startSpan("span")
    fiveAttributes(span)
    span.end()
}
measure("non-sampled span start+end", iterations: iterations * 10) {
    unsampled.startSpan("span").end()
}
let current = sampled.startSpan("current")
measure("make a span current + restore", iterations: iterations * 10) {
    current.makeCurrent().restore()
}
let propagator = TraceContextPropagator()
let parentContext = Context(span: current)
measure("traceparent inject + extract", iterations: iterations) {
    var carrier = DictionaryCarrier()
    propagator.inject(parentContext, into: &carrier)
    blackHole(propagator.extract(from: carrier, into: .root))
}
// Tracer handles, as the instrumentations use them (fetched once with otel_tracer_get).
let cUnsampledTracer = unsampled.cTracer
measure("C API: non-sampled span start+end", iterations: iterations * 10) {
    var span = otel_span()
    otel_span_start(cUnsampledTracer, "span", OTEL_SPAN_KIND_CLIENT, nil, &span)
    otel_span_end(&span)
}
let cTracer = sampled.cTracer
measure("C API: sampled span start+end, 5 attributes", iterations: iterations, chunk: 2048, between: drain) {
    var span = otel_span()
    otel_span_start(cTracer, "span", OTEL_SPAN_KIND_CLIENT, nil, &span)
    otel_span_set_string(&span, "db.system.name", "sqlite")
    otel_span_set_string(&span, "db.operation.name", "SELECT")
    otel_span_set_string(&span, "db.collection.name", "users")
    otel_span_set_int(&span, "db.response.returned_rows", 42)
    otel_span_set_bool(&span, "retry", false)
    otel_span_end(&span)
}
// What the SQLite instrumentation does per sampled statement: start, rename,
// six attributes in one call, end.
let sqliteAttributes: [(String, String)] = [
    ("db.system.name", "sqlite"), ("db.operation.name", "INSERT"), ("db.collection.name", "t"),
    ("db.query.summary", "INSERT t"), ("db.query.text", "insert into t values (?, ?);"), ("db.namespace", "b.db"),
]
var cAttributes = cStringAttributes(sqliteAttributes)
measure("C API: sampled span as a SQLite statement", iterations: iterations, chunk: 2048, between: drain) {
    var span = otel_span()
    otel_span_start(cTracer, "sqlite", OTEL_SPAN_KIND_CLIENT, nil, &span)
    otel_span_update_name(&span, "INSERT t")
    otel_span_set_attributes(&span, &cAttributes, cAttributes.count)
    otel_span_end(&span)
}
// Last: it leaves the allocator shared with the export thread.
measure("sampled span, 5 attributes, exporting concurrently", iterations: iterations,
        between: { _ = concurrentProcessor.forceFlush(timeoutNanoseconds: 60_000_000_000) }) {
    let span = concurrent.startSpan("span")
    fiveAttributes(span)
    span.end()
}
// OTLP protobuf encoding (issue 5 target: ≤ 1 µs per span): a batch of 512
// spans like the SQLite instrumentation's (six string attributes, a parent).
let encodingResource = resource
let encodingScope = InstrumentationScope(name: "otel-native.sqlite3", version: "0.1.0", schemaURL: "https://opentelemetry.io/schemas/1.33.0")
var encodingAttributes = Attributes()
for (key, value) in sqliteAttributes { encodingAttributes.set(key, .string(value)) }
/// One span of the encoding batch.
@MainActor
func encodingSpan(_ index: Int) -> SpanData {
    let traceId = TraceId(high: 1, low: UInt64(index + 1))
    let context = SpanContext(traceId: traceId, spanId: SpanId(UInt64(index + 1)), traceFlags: .sampled)
    let parent = SpanContext(traceId: traceId, spanId: SpanId(99), traceFlags: .sampled)
    let start: UInt64 = 1_732_540_800_000_000_000
    return SpanData(name: "INSERT t", context: context, parentContext: parent, kind: .client, scope: encodingScope,
                    resource: encodingResource, startTime: start, endTime: start + 2_000, attributes: encodingAttributes,
                    events: [], droppedEvents: 0, links: [], droppedLinks: 0, status: .unset)
}
let encodingBatch = (0..<512).map { encodingSpan($0) }
measure("OTLP protobuf encoding, per span (batches of 512)", iterations: 200, operationsPerIteration: encodingBatch.count) {
    blackHole(OTLPTraceEncoder.encode(encodingBatch))
}

// Metrics (issue 5 target: ≤ 100 ns per histogram record, from many threads).
let meterProvider = MeterProvider(resource: resource, exporters: [DiscardingMetricExporter()],
                                  intervalNanoseconds: 3_600_000_000_000, diagnostics: diagnostics)
let durationHistogram = meterProvider.meter(name: "bench").histogram(
    "db.client.operation.duration", unit: "s", boundaries: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10])
let metricAttributes = [Attribute("db.system.name", "sqlite"), Attribute("db.operation.name", "INSERT"),
                        Attribute("db.collection.name", "users")]
measure("histogram record, 3 attributes", iterations: iterations * 5) {
    durationHistogram.record(0.0042, attributes: metricAttributes)
}
// The attribute array made anew for every record (the key is then built each time).
let operations = ["INSERT", "SELECT"]
var recordIndex = 0
measure("histogram record, 3 attributes in a new array each time", iterations: iterations * 5) {
    recordIndex &+= 1
    durationHistogram.record(0.0042, attributes: [Attribute("db.system.name", "sqlite"),
                                                  Attribute("db.operation.name", .string(operations[recordIndex & 1])),
                                                  Attribute("db.collection.name", "users")])
}
let cMetricAttributes = cStringAttributes([("db.system.name", "sqlite"), ("db.operation.name", "INSERT"), ("db.collection.name", "users")])
let cHistogram = durationHistogram.cInstrument
measure("C API: histogram record, 3 attributes", iterations: iterations * 5) {
    otel_instrument_record_double(cHistogram, 0.0042, cMetricAttributes, cMetricAttributes.count)
}
// What the HTTP server instrumentation records per request: an attribute set made once.
let cMetricSet = otel_attribute_set_create(cMetricAttributes, cMetricAttributes.count)
measure("C API: histogram record, a prepared attribute set", iterations: iterations * 5) {
    otel_instrument_record_double_set(cHistogram, 0.0042, cMetricSet)
}
// What the SQLite instrumentation records per statement: six attributes.
let sqliteMetricAttributes = cStringAttributes([("db.system.name", "sqlite"), ("db.operation.name", "INSERT"), ("db.collection.name", "t"),
                                                ("db.query.summary", "INSERT t"), ("db.namespace", "b.db")])
measure("C API: histogram record, the SQLite statement's 5 attributes", iterations: iterations * 5) {
    otel_instrument_record_double(cHistogram, 0.0042, sqliteMetricAttributes, sqliteMetricAttributes.count)
}
// The same while another thread records into the same instrument and attribute set.
let recorder = BackgroundRecorder(instrument: cHistogram, attributes: cMetricAttributes)
measure("C API: histogram record, 3 attributes, 2 threads at once", iterations: iterations * 5) {
    otel_instrument_record_double(cHistogram, 0.0042, cMetricAttributes, cMetricAttributes.count)
}
recorder.stop()

// Scanning 50 manifests (issue 3 target: ≤ 1 ms), from a directory in /tmp.
var template = Array("/tmp/otel-bench-manifests-XXXXXX".utf8CString)
if let directory = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }).map({ String(cString: $0) }) {
    for index in 0..<50 {
        let text = """
            # Manifest \(index) of the benchmark.
            [distribution]
            name = bench-plugin-\(index)
            version = 1.\(index).0
            instruments = libbench\(index).so.1 >= 1.2, < 3

            [otel_instrumentor]
            bench\(index) = libOTelBench\(index).so:otel_bench_\(index)_instrumentor

            [otel_environment_variables]
            OTEL_NATIVE_BENCH\(index)_ENABLED = true | whether plugin \(index) records anything
            """
        let descriptor = open(directory + "/bench\(index).ini", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = text.utf8CString.withUnsafeBytes { write(descriptor, $0.baseAddress!, $0.count - 1) }
        close(descriptor)
    }
    let quiet = Diagnostics(level: .none)
    measure("scan 50 manifests (plugins.d)", iterations: 500) {
        blackHole(PluginCatalog.scan(directories: [directory], diagnostics: quiet, secureExecution: false))
    }
    for index in 0..<50 { unlink(directory + "/bench\(index).ini") }
    rmdir(directory)
}

current.end()
drain()
_ = concurrentProcessor.forceFlush(timeoutNanoseconds: 60_000_000_000)
print("\nspans dropped by the batch queues: \(idleProcessor.droppedSpans + concurrentProcessor.droppedSpans)")
