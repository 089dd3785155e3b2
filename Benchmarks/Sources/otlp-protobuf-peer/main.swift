// The encoding peer for docs/performance.md (issue 5: "benchmark both ways
// before you pick"): the same batch as otel-bench's "OTLP protobuf encoding"
// row, 512 spans like the SQLite instrumentation's (six string attributes, a
// parent, one resource and scope), built as swift-protobuf messages (code
// generated from ../shared/otlp-proto with protoc-gen-swift 1.39.0, see
// Generated/README.md) and serialized. Building the messages is timed with
// the serialization, as an exporter starting from the SDK's spans would pay
// both; the serialization alone is a second row.
//
//   cd Benchmarks && swift build -c release && .build/release/otlp-protobuf-peer
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SwiftProtobuf

func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

@inline(never)
func blackHole<T>(_ value: T) {}

/// Median ns per span over 7 runs of `iterations` batches.
func measure(_ name: String, iterations: Int, spansPerBatch: Int, _ body: () -> Void) {
    for _ in 0..<iterations / 10 + 1 { body() }
    var samples: [Double] = []
    for _ in 0..<7 {
        let start = monotonicNanoseconds()
        for _ in 0..<iterations { body() }
        samples.append(Double(monotonicNanoseconds() - start) / Double(iterations * spansPerBatch))
    }
    samples.sort()
    print("| \(name) | \(Double(Int(samples[3] * 10)) / 10) |")
}

func bigEndian(_ value: UInt64) -> Data {
    withUnsafeBytes(of: value.bigEndian) { Data($0) }
}

let attributes: [(String, String)] = [
    ("db.system.name", "sqlite"), ("db.operation.name", "INSERT"), ("db.collection.name", "t"),
    ("db.query.summary", "INSERT t"), ("db.query.text", "insert into t values (?, ?);"), ("db.namespace", "b.db"),
]
let resourceAttributes: [(String, String)] = [
    ("service.name", "unknown_service:otel-bench"), ("telemetry.sdk.language", "swift"), ("telemetry.sdk.name", "otel-native"),
    ("telemetry.sdk.version", "0.1.0"), ("host.name", "vm"), ("os.type", "linux"),
]

func keyValue(_ key: String, _ value: String) -> Opentelemetry_Proto_Common_V1_KeyValue {
    var keyValue = Opentelemetry_Proto_Common_V1_KeyValue()
    keyValue.key = key
    keyValue.value.stringValue = value
    return keyValue
}

func request() -> Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest {
    var scopeSpans = Opentelemetry_Proto_Trace_V1_ScopeSpans()
    scopeSpans.scope.name = "otel-native.sqlite3"
    scopeSpans.scope.version = "0.1.0"
    scopeSpans.schemaURL = "https://opentelemetry.io/schemas/1.33.0"
    scopeSpans.spans.reserveCapacity(512)
    for index in 0..<512 {
        var span = Opentelemetry_Proto_Trace_V1_Span()
        span.traceID = bigEndian(1) + bigEndian(UInt64(index + 1))
        span.spanID = bigEndian(UInt64(index + 1))
        span.parentSpanID = bigEndian(99)
        span.name = "INSERT t"
        span.kind = .client
        span.startTimeUnixNano = 1_732_540_800_000_000_000
        span.endTimeUnixNano = 1_732_540_800_000_002_000
        span.attributes = attributes.map { keyValue($0.0, $0.1) }
        span.flags = 0x101
        scopeSpans.spans.append(span)
    }
    var resourceSpans = Opentelemetry_Proto_Trace_V1_ResourceSpans()
    resourceSpans.resource.attributes = resourceAttributes.map { keyValue($0.0, $0.1) }
    resourceSpans.scopeSpans = [scopeSpans]
    var request = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest()
    request.resourceSpans = [resourceSpans]
    return request
}

print("| operation (swift-protobuf 1.39.0) | ns/span |")
print("|---|---|")
measure("OTLP protobuf encoding, per span (batches of 512): build the messages + serialize", iterations: 100, spansPerBatch: 512) {
    blackHole(try! request().serializedBytes() as [UInt8])
}
let built = request()
measure("OTLP protobuf encoding, per span (batches of 512): serialize only", iterations: 100, spansPerBatch: 512) {
    blackHole(try! built.serializedBytes() as [UInt8])
}
