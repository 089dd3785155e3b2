#if canImport(Glibc)
import Glibc
#endif
import COTelCoreShims
import COTelPlugin
import OTelCore
import OTelRuntime

/// Called once by libotel_preload.so's constructor, before the program's
/// main: the sitecustomize of native programs.
@_cdecl("otel_runtime_initialize")
public func otelRuntimeInitialize() {
    let config = ConfigReader(environment: .process, diagnostics: Diagnostics(level: .none))
    PluginRuntime.initialize(locations: .forRuntimeLibrary(at: runtimeLibraryPath(), config: config))
}

/// Undoes an instrumentation while the program runs, by the name its manifest
/// gives it (`sqlite3`): the instrumentor's uninstrument restores what it
/// wrapped. 0 when done, -1 when no instrumentation of that name is active.
/// For programs and tests that look it up with dlsym(RTLD_DEFAULT, …).
@_cdecl("otel_runtime_uninstrument")
public func otelRuntimeUninstrument(_ name: UnsafePointer<CChar>?) -> Int32 {
    guard let name else { return -1 }
    return Instrumented.uninstrument(String(cString: name))
}

/// The path of the shared object this code was loaded from, if any:
/// OTEL_NATIVE_RUNTIME_LIBRARY (set by otel-instrument, and what the preload
/// loaded), else dladdr (slower: it searches the symbol table).
func runtimeLibraryPath() -> String? {
    if let configured = otel_shim_config_get("OTEL_NATIVE_RUNTIME_LIBRARY") { return String(cString: configured) }
    let address = unsafeBitCast(otelRuntimeInitialize as @convention(c) () -> Void, to: UnsafeRawPointer.self)
    var buffer = [CChar](repeating: 0, count: 4096)
    guard otel_shim_object_path(address, &buffer, buffer.count) else { return nil }
    let path = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return path.hasSuffix(".so") || path.containsBytes(".so.") ? path : nil
}

/// The built-in configurator's descriptor (plugins.d/otel-native.ini). Its
/// configure() has nothing to adjust: the SDK is then built from the OTEL_*
/// settings by `OTelSDK.initialize`, as it is after any configurator.
@_cdecl("otel_builtin_configurator_entry")
public func otelBuiltinConfiguratorEntry(_ host: UnsafePointer<otel_host_api>?) -> UnsafePointer<otel_plugin_descriptor>? {
    BuiltinConfigurator.descriptor
}

enum BuiltinConfigurator {
    /// Immutable once built.
    nonisolated(unsafe) static let descriptor: UnsafePointer<otel_plugin_descriptor> = {
        let pointer = UnsafeMutablePointer<otel_plugin_descriptor>.allocate(capacity: 1)
        var descriptor = otel_plugin_descriptor()
        descriptor.size = UInt32(MemoryLayout<otel_plugin_descriptor>.size)
        descriptor.abi = HostTable.hostABI
        descriptor.name = UnsafePointer(strdup("otel-native-configurator"))
        descriptor.version = UnsafePointer(strdup(otelNativeVersion))
        descriptor.configure = { _, _ in 0 }
        pointer.initialize(to: descriptor)
        return UnsafePointer(pointer)
    }()
}
