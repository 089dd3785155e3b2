#if canImport(Glibc)
import Glibc
#endif
import COTelPlugin
import COTelPluginABI

/// A plugin written in Swift: a type conforming to this protocol plus one
/// `@_cdecl` entry function returning `PluginDescriptor.make(for:host:)`.
///
///     struct Greeter: OTelPlugin {
///         static let name = "greeter"
///         static let version = "1.0.0"
///         static func instrument(host: Host) throws { … }
///     }
///
///     @_cdecl("otel_greeter_entry")
///     public func greeterEntry(_ host: UnsafePointer<otel_host_api>?) -> UnsafePointer<otel_plugin_descriptor>? {
///         PluginDescriptor.make(for: Greeter.self, host: host)
///     }
///
/// The functions a plugin does not implement are left out of its descriptor.
/// A thrown error is reported by the host and skips only this plugin.
public protocol OTelPlugin {
    static var name: String { get }
    static var version: String { get }
    /// Sonames with version constraints, e.g. `libsqlite3.so.0 >= 3.7`.
    static var instruments: [String] { get }
    /// For the otel_instrumentor group.
    static func instrument(host: Host) throws
    static func uninstrument(host: Host) throws
    /// For the distro, configurator, pre- and post-instrument groups.
    static func configure(host: Host) throws
    /// Which of the functions above this plugin implements.
    static var provides: PluginFunctions { get }
}

/// The optional functions of a plugin.
public struct PluginFunctions: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let instrument = PluginFunctions(rawValue: 1)
    public static let configure = PluginFunctions(rawValue: 2)
}

/// An error a plugin reports from one of its functions.
public struct PluginError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension OTelPlugin {
    public static var instruments: [String] { [] }
    public static func instrument(host: Host) throws {}
    public static func uninstrument(host: Host) throws {}
    public static func configure(host: Host) throws {}
}

/// Builds the C descriptor of a Swift plugin.
public enum PluginDescriptor {
    /// What the C thunks call: the plugin's functions, kept alive with the descriptor.
    final class Calls {
        let instrument: (Host) throws -> Void
        let uninstrument: (Host) throws -> Void
        let configure: (Host) throws -> Void
        init<P: OTelPlugin>(_ plugin: P.Type) {
            instrument = P.instrument
            uninstrument = P.uninstrument
            configure = P.configure
        }
    }

    /// The descriptor of `plugin`, allocated once per call and never freed
    /// (the host keeps it for the life of the process). Nil when the host's
    /// table is older than this kit's header.
    public static func make<P: OTelPlugin>(for plugin: P.Type, host: UnsafePointer<otel_host_api>?) -> UnsafePointer<otel_plugin_descriptor>? {
        guard let host, host.pointee.size >= MemoryLayout<otel_host_api>.size else { return nil }
        _ = otel_plugin_abi // the ABI symbol must be linked into the plugin library
        var descriptor = otel_plugin_descriptor()
        descriptor.size = UInt32(MemoryLayout<otel_plugin_descriptor>.size)
        descriptor.abi = UInt32(OTEL_PLUGIN_ABI_MAJOR) << 16 | UInt32(OTEL_PLUGIN_ABI_MINOR)
        descriptor.name = UnsafePointer(strdup(P.name))
        descriptor.version = UnsafePointer(strdup(P.version))
        if !P.instruments.isEmpty {
            let list = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: P.instruments.count + 1)
            for (index, item) in P.instruments.enumerated() { list[index] = UnsafePointer(strdup(item)) }
            list[P.instruments.count] = nil
            descriptor.instruments = UnsafePointer(list)
        }
        descriptor.state = Unmanaged.passRetained(Calls(plugin)).toOpaque()
        if P.provides.contains(.instrument) {
            descriptor.instrument = instrumentThunk
            descriptor.uninstrument = uninstrumentThunk
        }
        if P.provides.contains(.configure) {
            descriptor.configure = configureThunk
        }
        let pointer = UnsafeMutablePointer<otel_plugin_descriptor>.allocate(capacity: 1)
        pointer.initialize(to: descriptor)
        return UnsafePointer(pointer)
    }

    /// The C entry points of every Swift plugin (non-generic, so they capture nothing).
    typealias Thunk = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<otel_host_api>?) -> Int32
    static let instrumentThunk: Thunk = { state, host in call(state, host) { $0.instrument } }
    static let uninstrumentThunk: Thunk = { state, host in call(state, host) { $0.uninstrument } }
    static let configureThunk: Thunk = { state, host in call(state, host) { $0.configure } }

    private static func call(_ state: UnsafeMutableRawPointer?, _ host: UnsafePointer<otel_host_api>?,
                             _ function: (Calls) -> (Host) throws -> Void) -> Int32 {
        guard let state, let host else { return -1 }
        let calls = Unmanaged<Calls>.fromOpaque(state).takeUnretainedValue()
        do {
            try function(calls)(Host(host))
            return 0
        } catch {
            Host(host).log(.warning, "\(String(describing: error))")
            return -1
        }
    }
}
