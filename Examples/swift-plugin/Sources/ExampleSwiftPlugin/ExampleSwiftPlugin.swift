import COTelCore
import COTelPlugin
import OTelPluginKit

/// An instrumentor that records one span when the runtime instruments the
/// process (real instrumentors hook a library's functions).
struct ExampleSwiftPlugin: OTelPlugin {
    static let name = "example-swift-plugin"
    static let version = "1.0.0"
    static let provides: PluginFunctions = [.instrument]

    static func instrument(host: Host) throws {
        if host.config("OTEL_NATIVE_EXAMPLE_SWIFT_FAIL") == "true" {
            throw PluginError("example-swift-plugin: asked to fail")
        }
        var span = host.tracer(name: "example-swift-plugin", version: version).startSpan("example-swift-plugin instrumented")
        span.set("example.language", "swift")
        span.end()
    }
}

/// The entry symbol named in example-swift-plugin.ini.
@_cdecl("otel_example_swift_plugin_entry")
public func exampleSwiftPluginEntry(_ host: UnsafePointer<otel_host_api>?) -> UnsafePointer<otel_plugin_descriptor>? {
    PluginDescriptor.make(for: ExampleSwiftPlugin.self, host: host)
}
