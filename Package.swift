// swift-tools-version:6.1
import PackageDescription

/// Code that is injected into every instrumented process imports neither
/// Foundation nor, implicitly, _Concurrency/_StringProcessing: each costs every
/// process start-up time and memory (see ../shared/DESIGN.md, "Facts measured here").
let injectedSwiftSettings: [SwiftSetting] = [
    .unsafeFlags([
        "-Xfrontend", "-disable-implicit-concurrency-module-import",
        "-Xfrontend", "-disable-implicit-string-processing-module-import",
        // Exclusivity is proven statically where Swift can; the dynamic checks
        // cost a runtime call per class-property access on every span.
        "-enforce-exclusivity=unchecked",
    ]),
]

let package = Package(
    name: "otel-native",
    products: [
        .library(name: "OTelCore", targets: ["OTelCore"]),
        .library(name: "OTelRuntime", targets: ["OTelRuntime"]),
        .executable(name: "otel-example", targets: ["otel-example"]),
        .executable(name: "otel-bench", targets: ["otel-bench"]),
    ],
    targets: [
        // Public C API of the core (header only; implemented in OTelCore).
        .target(name: "COTelCore"),
        // The plugin ABI (header only; the host side is in OTelRuntime).
        .target(name: "COTelPlugin", dependencies: ["COTelCore"]),
        // Internal C helpers: TLS, the id generator, clocks.
        .target(name: "COTelCoreShims"),
        // The core SDK: traces, context, propagation, resource, console export, OTEL_* config.
        .target(
            name: "OTelCore",
            dependencies: ["COTelCore", "COTelCoreShims"],
            swiftSettings: injectedSwiftSettings
        ),
        // The plugin runtime: manifests and the plugin catalog (loader, preload
        // bootstrap and otel-instrument are still to come).
        .target(
            name: "OTelRuntime",
            dependencies: ["OTelCore", "COTelCore", "COTelCoreShims", "COTelPlugin"],
            swiftSettings: injectedSwiftSettings
        ),
        // A small program that emits spans through the core (the README's main job for now).
        .executableTarget(name: "otel-example", dependencies: ["OTelCore", "COTelCore"]),
        // Micro-benchmarks of the core's hot paths (docs/performance.md).
        .executableTarget(name: "otel-bench", dependencies: ["OTelCore", "COTelCore", "OTelRuntime"]),
        .testTarget(name: "OTelCoreTests", dependencies: ["OTelCore", "COTelCore"]),
        .testTarget(name: "OTelRuntimeTests", dependencies: ["OTelRuntime", "OTelCore", "COTelPlugin"]),
    ]
)
