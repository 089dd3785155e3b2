#if canImport(Glibc)
import Glibc
#endif
import COTelPlugin
import OTelCore

/// A plugin library that loaded and returned a usable descriptor.
public struct LoadedPlugin: @unchecked Sendable {
    public let entry: PluginEntry
    public let libraryPath: String
    /// The descriptor the entry returned (owned by the plugin, valid while it is loaded).
    public let descriptor: UnsafePointer<otel_plugin_descriptor>

    /// The plugin's name as it reports it.
    public var name: String { descriptor.pointee.name.map { String(cString: $0) } ?? entry.name }
}

/// Why a plugin was not loaded; each is one diagnostic, and only that plugin is skipped.
public enum PluginLoadFailure: Error, Equatable, CustomStringConvertible {
    case libraryNotFound(String)
    case untrusted(String)
    case dlopenFailed(String)
    case notAPlugin(String)
    case abiMismatch(found: UInt32, host: UInt32)
    case missingSymbol(String)
    case noDescriptor
    case descriptorTooSmall(UInt32)

    public var description: String {
        func version(_ abi: UInt32) -> String { "\(abi >> 16).\(abi & 0xFFFF)" }
        switch self {
        case .libraryNotFound(let library): return "library \(library) not found beside the manifest or in the plugin library directory"
        case .untrusted(let reason): return "refused: \(reason)"
        case .dlopenFailed(let reason): return "dlopen failed: \(reason)"
        case .notAPlugin(let path): return "\(path) exports no otel_plugin_abi: not an otel-native plugin"
        case .abiMismatch(let found, let host): return "built for plugin ABI \(version(found)), this host speaks \(version(host)) (same major, minor at most the host's)"
        case .missingSymbol(let symbol): return "the entry symbol \(symbol) is not exported"
        case .noDescriptor: return "the entry returned no descriptor"
        case .descriptorTooSmall(let size): return "the descriptor is \(size) bytes, smaller than ABI 1.0's"
        }
    }
}

/// Loads plugin libraries: dlopen, the ABI check before anything of the
/// plugin runs, then the entry call.
public enum PluginLoader {
    /// The smallest descriptor a 1.x plugin can return: everything up to `reserved`.
    static let minimumDescriptorSize = UInt32(MemoryLayout<otel_plugin_descriptor>.offset(of: \otel_plugin_descriptor.reserved)!)

    /// Checks `entry` as `load` would, without calling any of its code:
    /// trust, dlopen, the ABI symbol, the entry symbol. Nil when it would load.
    public static func inspect(_ entry: PluginEntry, libraryPath: String, fileSystem: FileSystem = .live) -> PluginLoadFailure? {
        if let refusal = TrustPolicy.refusal(for: libraryPath, fileSystem: fileSystem) { return .untrusted(refusal) }
        guard let handle = dlopen(libraryPath, RTLD_NOW | RTLD_LOCAL) else {
            return .dlopenFailed(dlerror().map { String(cString: $0) } ?? "unknown error")
        }
        defer { dlclose(handle) }
        guard let abiSymbol = dlsym(handle, "otel_plugin_abi") else { return .notAPlugin(libraryPath) }
        let abi = abiSymbol.assumingMemoryBound(to: UInt32.self).pointee
        let host = HostTable.hostABI
        guard abi >> 16 == host >> 16, abi & 0xFFFF <= host & 0xFFFF else { return .abiMismatch(found: abi, host: host) }
        return dlsym(handle, entry.symbol) == nil ? .missingSymbol(entry.symbol) : nil
    }

    /// Loads `entry` from `libraryPath` (already resolved).
    public static func load(_ entry: PluginEntry, libraryPath: String, fileSystem: FileSystem = .live) -> Result<LoadedPlugin, PluginLoadFailure> {
        if let refusal = TrustPolicy.refusal(for: libraryPath, fileSystem: fileSystem) {
            return .failure(.untrusted(refusal))
        }
        // RTLD_LOCAL: a plugin's symbols never interpose on the program's.
        guard let handle = dlopen(libraryPath, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(.dlopenFailed(dlerror().map { String(cString: $0) } ?? "unknown error"))
        }
        guard let abiSymbol = dlsym(handle, "otel_plugin_abi") else {
            dlclose(handle)
            return .failure(.notAPlugin(libraryPath))
        }
        let abi = abiSymbol.assumingMemoryBound(to: UInt32.self).pointee
        let host = HostTable.hostABI
        guard abi >> 16 == host >> 16, abi & 0xFFFF <= host & 0xFFFF else {
            dlclose(handle)
            return .failure(.abiMismatch(found: abi, host: host))
        }
        guard let symbol = dlsym(handle, entry.symbol) else {
            dlclose(handle)
            return .failure(.missingSymbol(entry.symbol))
        }
        let function = unsafeBitCast(symbol, to: otel_plugin_entry.self)
        guard let descriptor = function(HostTable.shared) else {
            return .failure(.noDescriptor) // the entry ran: keep the library mapped
        }
        guard descriptor.pointee.size >= minimumDescriptorSize else {
            return .failure(.descriptorTooSmall(descriptor.pointee.size))
        }
        let descriptorABI = descriptor.pointee.abi
        guard descriptorABI >> 16 == host >> 16, descriptorABI & 0xFFFF <= host & 0xFFFF else {
            return .failure(.abiMismatch(found: descriptorABI, host: host))
        }
        return .success(LoadedPlugin(entry: entry, libraryPath: libraryPath, descriptor: descriptor))
    }
}
