// swift-tools-version:6.1
import PackageDescription

// An example otel-native plugin in Swift, built out of tree: a third party
// depends on otel-native's OTelPluginKit and ships one dynamic library.
// The Swift standard library is linked in (and kept private) so that loading
// the plugin never brings the dynamic Swift runtime into a C program.
let package = Package(
    name: "example-swift-plugin",
    products: [
        .library(name: "ExampleSwiftPlugin", type: .dynamic, targets: ["ExampleSwiftPlugin"]),
    ],
    dependencies: [
        .package(name: "otel-native", path: "../.."),
    ],
    targets: [
        .target(
            name: "ExampleSwiftPlugin",
            dependencies: [.product(name: "OTelPluginKit", package: "otel-native")],
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "--exclude-libs=ALL", "-Xlinker", "-Bsymbolic"])]
        ),
    ]
)
