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
        .library(name: "OTelPluginKit", targets: ["OTelPluginKit"]),
        // libOTelRuntime.so: dlopened by the preload shim (which `make` builds with cc).
        .library(name: "OTelRuntime", type: .dynamic, targets: ["OTelRuntimeLibrary"]),
        .executable(name: "otel-instrument-tool", targets: ["otel-instrument-tool"]),
        .executable(name: "otel-bootstrap", targets: ["otel-bootstrap"]),
        .executable(name: "otel-example", targets: ["otel-example"]),
        .executable(name: "otel-bench", targets: ["otel-bench"]),
    ],
    targets: [
        // Public C API of the core (header only; implemented in OTelCore).
        .target(name: "COTelCore"),
        // The plugin ABI (header only; the host side is in OTelRuntime).
        .target(name: "COTelPlugin", dependencies: ["COTelCore"]),
        // The preload bootstrap's source; the shipped libotel_preload.so is linked by
        // `make` with cc so that it depends on libc alone (see its header).
        .target(name: "COTelPreload"),
        // The plugin ABI version symbol of plugin libraries built with SwiftPM
        // (Swift plugins, and libOTelRuntime.so, whose configurator is a plugin).
        .target(name: "COTelPluginABI", dependencies: ["COTelPlugin"]),
        // Plugins in Swift: a type plus one @c entry function.
        .target(name: "OTelPluginKit", dependencies: ["COTelPlugin", "COTelCore", "COTelPluginABI"],
                swiftSettings: injectedSwiftSettings),
        // The default distro plugin (compiled here for checking; `make` links the
        // shipped libOTelDistro.so with cc, so that it needs no Swift runtime).
        .target(name: "OTelDistro", dependencies: ["COTelPlugin"], path: "Plugins/Distro"),
        // The SQLite instrumentation's SQL helpers, for their tests; `make` links the
        // shipped libOTelSQLite3.so (helpers and wrappers) with cc.
        .target(name: "OTelSQLite3", dependencies: ["COTelPlugin"], path: "Plugins/SQLite3", exclude: ["sqlite3_plugin.c"]),
        // The HTTP semantic-convention helpers shared by the HTTP instrumentations,
        // for their tests; `make` compiles them into each shipped plugin.
        .target(name: "OTelHTTPSemconv", path: "Plugins/HTTPSemconv"),
        // The hooking engine: GOT slot patching (issue 4).
        .target(name: "COTelHook", linkerSettings: [.linkedLibrary("dl")]),
        // Internal C helpers: TLS, the id generator, clocks, the span fast path.
        .target(name: "COTelCoreShims", dependencies: ["COTelCore"]),
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
            dependencies: ["OTelCore", "COTelCore", "COTelCoreShims", "COTelPlugin", "COTelPluginABI", "COTelHook"],
            swiftSettings: injectedSwiftSettings
        ),
        // The runtime library's entry points, linked with the Swift standard library
        // inside (faster to load, and no Swift crash handlers in C programs).
        .target(
            name: "OTelRuntimeLibrary",
            dependencies: ["OTelRuntime", "OTelCore", "COTelCoreShims", "COTelPlugin"],
            swiftSettings: injectedSwiftSettings,
            // Keep the static runtime's symbols private and bind them inside
            // the library: fewer symbol lookups when every program loads it.
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "--exclude-libs=ALL", "-Xlinker", "-Bsymbolic"])]
        ),
        // The full otel-instrument: help, explain, plugin-declared flags. The
        // `otel-instrument` users run is a C front end that `make` links with cc
        // (Sources/otel-instrument/launcher.c): it handles the common case itself
        // and execs this tool for everything else.
        .executableTarget(
            name: "otel-instrument-tool",
            dependencies: ["OTelRuntime", "OTelCore"],
            linkerSettings: [.unsafeFlags(["-static-stdlib"])]
        ),
        // otel-bootstrap: which plugins a program needs, from its ELF dependencies
        // read without running it; enabling and disabling them (docs/bootstrap.md).
        .target(name: "OTelBootstrap", dependencies: ["OTelRuntime"]),
        .executableTarget(
            name: "otel-bootstrap",
            dependencies: ["OTelBootstrap", "OTelRuntime"],
            linkerSettings: [.unsafeFlags(["-static-stdlib"])]
        ),
        // A small program that emits spans through the core (the README's main job for now).
        .executableTarget(name: "otel-example", dependencies: ["OTelCore", "COTelCore"]),
        // Micro-benchmarks of the core's hot paths (docs/performance.md).
        .executableTarget(name: "otel-bench", dependencies: ["OTelCore", "COTelCore", "OTelRuntime"]),
        // Running programs from the tests (shared by the test targets).
        .target(name: "OTelTestSupport", path: "Tests/OTelTestSupport"),
        .testTarget(name: "OTelCoreTests", dependencies: ["OTelCore", "COTelCore", "OTelTestSupport"]),
        .testTarget(name: "OTelSQLite3Tests", dependencies: ["OTelSQLite3"]),
        .testTarget(name: "OTelHTTPSemconvTests", dependencies: ["OTelHTTPSemconv"]),
        .testTarget(name: "OTelRuntimeTests", dependencies: ["OTelRuntime", "OTelCore", "COTelPlugin", "OTelTestSupport", "OTelBootstrap"]),
    ]
)
