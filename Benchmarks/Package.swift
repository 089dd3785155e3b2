// swift-tools-version:6.2
import PackageDescription

// The peer benchmark: swift-otel 1.6.0 behind swift-distributed-tracing (and
// swift-metrics) on the same work as otel-bench. A separate package so that otel-native itself never
// depends on swift-otel (a clean build of it takes minutes).
let package = Package(
    name: "otel-native-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/swift-otel/swift-otel.git", exact: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0", traits: []),
    ],
    targets: [
        .executableTarget(
            name: "swift-otel-peer",
            dependencies: [
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // The encoding comparison: swift-protobuf's generated OTLP messages on otel-bench's batch.
        .executableTarget(
            name: "otlp-protobuf-peer",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Generated/README.md"]
        ),
    ]
)
