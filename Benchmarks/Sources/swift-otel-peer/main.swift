// The peer measurement for docs/performance.md: swift-otel 1.6.0 behind
// swift-distributed-tracing 1.7.3 on the same work as otel-bench, with the
// same harness (median of 7 runs, ns per operation on the calling thread).
// Spans are sampled and batched; the exporter is none, so no I/O is done.
//
//   cd Benchmarks && swift build -c release && .build/release/swift-otel-peer
#if canImport(Glibc)
import Glibc
#endif
import CoreMetrics
import Instrumentation
import OTel
import Tracing

@inline(never)
func blackHole<T>(_ value: T) {}

func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

func measure(_ name: String, iterations: Int, _ body: () -> Void) {
    for _ in 0..<iterations / 10 { body() }
    var samples: [Double] = []
    for _ in 0..<7 {
        let start = monotonicNanoseconds()
        for _ in 0..<iterations { body() }
        samples.append(Double(monotonicNanoseconds() - start) / Double(iterations))
    }
    samples.sort()
    print("| \(name) | \(Double(Int(samples[3] * 10)) / 10) |")
}

struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}

struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

func configuration(sampler: OTel.Configuration.TracesConfiguration.SamplerConfiguration) -> OTel.Configuration {
    var configuration = OTel.Configuration.default
    configuration.traces.exporter = .none
    configuration.traces.sampler = sampler
    configuration.metrics.enabled = false
    configuration.logs.enabled = false
    configuration.diagnosticLogLevel = .error
    return configuration
}

let sampledBackend = try OTel.makeTracingBackend(configuration: configuration(sampler: .parentBasedAlwaysOn))
let unsampledBackend = try OTel.makeTracingBackend(configuration: configuration(sampler: .alwaysOff))
let sampled = sampledBackend.factory
let unsampled = unsampledBackend.factory
let services = Task {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await sampledBackend.service.run() }
        group.addTask { try await unsampledBackend.service.run() }
        try await group.waitForAll()
    }
}
let iterations = 100_000

print("| operation (swift-otel 1.6.0) | ns/op |")
print("|---|---|")
measure("sampled span start+end, 0 attributes", iterations: iterations) {
    sampled.startSpan("span").end()
}
measure("sampled span start+end, 5 attributes", iterations: iterations) {
    let span = sampled.startSpan("span")
    span.attributes.set("db.system.name", value: .string("sqlite"))
    span.attributes.set("db.operation.name", value: .string("SELECT"))
    span.attributes.set("db.collection.name", value: .string("users"))
    span.attributes.set("db.response.returned_rows", value: .int64(42))
    span.attributes.set("retry", value: .bool(false))
    span.end()
}
measure("non-sampled span start+end", iterations: iterations * 10) {
    unsampled.startSpan("span").end()
}
let current = sampled.startSpan("current")
measure("make a span current + restore", iterations: iterations * 10) {
    InstrumentationContext.withValue(current.context) { blackHole(0) }
}
measure("traceparent inject + extract", iterations: iterations) {
    var carrier: [String: String] = [:]
    sampled.inject(current.context, into: &carrier, using: DictionaryInjector())
    var extracted = InstrumentationContext.topLevel
    sampled.extract(carrier, into: &extracted, using: DictionaryExtractor())
    blackHole(extracted)
}
current.end()
services.cancel()

// Metrics: swift-metrics binds the dimensions when the recorder is made, so a
// record carries no attributes of its own (less work than otel-bench's rows).
var metricsConfiguration = OTel.Configuration.default
metricsConfiguration.traces.enabled = false
metricsConfiguration.logs.enabled = false
metricsConfiguration.metrics.exporter = .none
metricsConfiguration.diagnosticLogLevel = .error
let metricsBackend = try OTel.makeMetricsBackend(configuration: metricsConfiguration)
let histogram = metricsBackend.factory.makeRecorder(
    label: "db.client.operation.duration",
    dimensions: [("db.system.name", "sqlite"), ("db.operation.name", "INSERT"), ("db.collection.name", "users")],
    aggregate: true)
measure("histogram record, 3 attributes (bound when the recorder is made)", iterations: iterations * 5) {
    histogram.record(0.0042)
}
