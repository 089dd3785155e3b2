#if canImport(Glibc)
import Glibc
#endif
import COTelCoreShims
import COTelHook
import COTelPlugin
import OTelCore
import Synchronization

/// What happened to one entry during initialisation (printed at debug level).
public struct PluginDecision: Sendable, CustomStringConvertible {
    public enum Outcome: Sendable, Equatable {
        case loaded
        case disabled(String)
        case failed(String)
    }

    public let entry: PluginEntry
    public let outcome: Outcome

    public var description: String {
        let subject = "[\(entry.group.rawValue)] \(entry.name) (\(entry.location))"
        switch outcome {
        case .loaded: return "\(subject): loaded"
        case .disabled(let reason): return "\(subject): not loaded: \(reason)"
        case .failed(let reason): return "\(subject): failed: \(reason)"
        }
    }
}

/// The native counterpart of OpenTelemetry Python's auto-instrumentation
/// `initialize()`: distro, configurator, pre-instrument hooks, instrumentors,
/// post-instrument hooks, in that order. Any plugin that fails is one warning
/// and is skipped; the program always starts.
public enum PluginRuntime {
    /// Where the runtime looks for manifests and plugin libraries.
    public struct Locations: Sendable {
        public var manifestDirectories: [String]
        /// The plugin library directory (bare library names not found beside their manifest).
        public var libraryDirectory: String?

        public init(manifestDirectories: [String], libraryDirectory: String?) {
            self.manifestDirectories = manifestDirectories
            self.libraryDirectory = libraryDirectory
        }

        /// The locations for a runtime library at `runtimeLibraryPath`: in a build
        /// tree (`…/.build/<config>/`) the tree's plugins.d; in an installed prefix
        /// (`<prefix>/lib/…`) the prefix's etc/otel-native/plugins.d.
        public static func forRuntimeLibrary(at runtimeLibraryPath: String?, config: ConfigReader) -> Locations {
            guard let runtimeLibraryPath else {
                return Locations(manifestDirectories: PluginSearchPath.directories(config: config, installedPrefix: nil, developmentTree: nil),
                                 libraryDirectory: nil)
            }
            let libraryDirectory = Path.directory(of: runtimeLibraryPath)
            var developmentTree: String?
            var installedPrefix: String?
            if let tree = runtimeLibraryPath.prefix(beforeBytes: "/.build") {
                developmentTree = tree
            } else {
                var prefix = libraryDirectory
                if prefix.hasSuffix("/otel-native") { prefix = Path.directory(of: prefix) }
                if prefix.hasSuffix("/lib") || prefix.hasSuffix("/lib64") { installedPrefix = Path.directory(of: prefix) }
            }
            return Locations(manifestDirectories: PluginSearchPath.directories(config: config, installedPrefix: installedPrefix,
                                                                               developmentTree: developmentTree),
                             libraryDirectory: libraryDirectory)
        }
    }

    /// Why `entry` must not instrument this process: a library it instruments
    /// is loaded in a version outside its constraints. Libraries not loaded
    /// yet, or of unknown version, do not stop it (reported at debug level).
    static func unmetConstraint(of entry: PluginEntry, in catalog: PluginCatalog, diagnostics: Diagnostics) -> String? {
        guard let manifest = catalog.manifest(of: entry) else { return nil }
        for library in manifest.instruments {
            switch LoadedLibraries.presence(of: library.soname, versionFunction: manifest.versionFunctions[library.soname]) {
            case .notLoaded:
                diagnostics.debug("\(entry.name): \(library.soname) is not loaded (yet); instrumenting anyway")
            case .loadedVersionUnknown:
                diagnostics.debug("\(entry.name): \(library.soname) is loaded; its version is unknown (no version_function), so \(library) is not checked")
            case .loadedVersionUnreadable(let reason):
                diagnostics.debug("\(entry.name): \(reason); \(library) is not checked")
            case .loaded(let version):
                if !library.isSatisfied(by: version) {
                    return "constraint not met: \(library.soname) \(version) is loaded, \(library) is required"
                }
            }
        }
        return nil
    }

    /// Runs the whole initialisation once and returns what was decided for each entry.
    @discardableResult
    public static func initialize(environment: Environment = .process, locations: Locations) -> [PluginDecision] {
        if RuntimeEnvironment.isSecureExecution { return [] }
        let diagnostics = Diagnostics(environment: environment)
        OTelSDK.install(SDKState(diagnostics: diagnostics, tracerProvider: nil, propagator: CompositePropagator([])))
        let config = ConfigReader(environment: environment, diagnostics: diagnostics)
        let catalog = PluginCatalog.scan(directories: locations.manifestDirectories, diagnostics: diagnostics)
        var decisions: [PluginDecision] = []
        func decide(_ entry: PluginEntry, _ outcome: PluginDecision.Outcome) {
            let decision = PluginDecision(entry: entry, outcome: outcome)
            decisions.append(decision)
            if case .failed = outcome { diagnostics.warn(decision.description) } else { diagnostics.debug(decision.description) }
        }
        func load(_ entry: PluginEntry) -> LoadedPlugin? {
            guard let path = PluginSearchPath.resolveLibrary(entry.library, manifestPath: entry.location.file,
                                                             libraryDirectory: locations.libraryDirectory, fileSystem: .live) else {
                decide(entry, .failed(PluginLoadFailure.libraryNotFound(entry.library).description))
                return nil
            }
            switch PluginLoader.load(entry, libraryPath: path) {
            case .success(let plugin): return plugin
            case .failure(let failure):
                decide(entry, .failed(failure.description))
                return nil
            }
        }
        /// Loads `entry` and calls one of its functions, recording the outcome; true when it succeeded.
        @discardableResult
        func run(_ entry: PluginEntry, _ function: KeyPath<otel_plugin_descriptor, (@convention(c) (UnsafeMutableRawPointer?, UnsafePointer<otel_host_api>?) -> Int32)?>,
                 _ what: String) -> Bool {
            guard let plugin = load(entry) else { return false }
            let descriptor = plugin.descriptor.pointee
            guard let call = descriptor[keyPath: function] else {
                decide(entry, .failed("its descriptor has no \(what) function"))
                return false
            }
            let status = call(descriptor.state, HostTable.shared)
            decide(entry, status == 0 ? .loaded : .failed("\(what)() returned \(status)"))
            return status == 0
        }
        /// The entry named by `variable`, else the first of `group`; when there is
        /// none, one warning ending with what happens instead.
        func chosen(_ group: PluginGroup, by variable: String, otherwise: String) -> PluginEntry? {
            let entries = catalog.entries(in: group)
            if let name = config.string(variable) {
                if let entry = entries.first(where: { $0.name == name }) { return entry }
                let found = entries.isEmpty ? "none" : entries.map(\.name).joined(separator: ", ")
                diagnostics.warn("\(variable)=\(name): no [\(group.rawValue)] entry has that name (found: \(found)); \(otherwise)")
                return nil
            }
            if let first = entries.first { return first }
            diagnostics.warn("no [\(group.rawValue)] entry found on the plugin path; \(otherwise)")
            return nil
        }

        // Threads the SDK starts record nothing (an exporter's own work is never traced), and
        // the direct calls know them for ours.
        otel_shim_set_sdk_thread_start(otel_hook_sdk_thread_start)
        // Before any other hook and any thread of the SDK: a single-threaded program's blocking
        // calls stay as cheap as they were without those threads (otel_hook.h).
        if config.bool("OTEL_NATIVE_DIRECT_SYSCALLS", default: true) {
            let routed = otel_hook_direct_calls_start(config.bool("OTEL_NATIVE_KEEP_FREED_BLOCKS", default: true)) {
                OTelSDK.state.diagnostics.debug("the program starts or cancels a thread: its blocking calls and allocations go through glibc from now on")
            }
            diagnostics.debug(routed > 0 ? "direct system calls while the program has one thread (\(routed) functions)"
                                         : "direct system calls: not here (the process has threads already, or is not x86-64)")
        }
        // 1. Distro: defaults where the user set nothing.
        if let distro = chosen(.distro, by: "OTEL_NATIVE_DISTRO", otherwise: "no defaults are applied") {
            run(distro, \.configure, "configure")
        }
        // 2. Configurator, then the SDK from the (now defaulted) OTEL_* settings.
        if let configurator = chosen(.configurator, by: "OTEL_NATIVE_CONFIGURATOR", otherwise: "using the built-in configuration") {
            run(configurator, \.configure, "configure")
        }
        // The factories run while OTelSDK.initialize configures the SDK, on this
        // thread, before initialize returns: the captured state is never shared.
        final class Loader: @unchecked Sendable {
            let body: (PluginEntry) -> LoadedPlugin?
            init(_ body: @escaping (PluginEntry) -> LoadedPlugin?) { self.body = body }
        }
        let loader = Loader { entry in
            guard let plugin = load(entry) else { return nil }
            decide(entry, .loaded)
            return plugin
        }
        let registry = components(of: catalog, load: { loader.body($0) }, diagnostics: diagnostics)
        OTelSDK.initialize(environment: environment, registry: registry, diagnostics: diagnostics)
        // The process span, before any instrumentation can start a span under it; it
        // ends at exit before the SDK's own exit flush (atexit runs handlers in reverse).
        ProcessSpan.start(config: config)
        atexit { ProcessSpan.end() }
        // What a forked child runs (the fork handler; a flush before exec or _exit) is run once
        // now, while the process has one thread and, before any plugin has made a span, nothing
        // pending to lose: see otel_shim_rehearse_fork_child.
        otel_shim_rehearse_fork_child()
        OTelSDK.flush()
        if config.bool("OTEL_NATIVE_FLUSH_ON_SIGNAL"),
           otel_shim_flush_on_signal({ ProcessSpan.killed(by: $0) }, Int32(clamping: OTelSDK.state.shutdownTimeoutNanoseconds / 1_000_000 + 1000)) < 0 {
            diagnostics.warn("OTEL_NATIVE_FLUSH_ON_SIGNAL: the signal helper thread could not start; a fatal signal will not export")
        }
        // 3. Hooks and instrumentors.
        for entry in catalog.entries(in: .preInstrument) { run(entry, \.configure, "configure") }
        // The instrumentors' hooks are applied together, in one pass over the loaded objects.
        otel_hook_batch_begin()
        let disabled = Set(config.list("OTEL_NATIVE_DISABLED_INSTRUMENTATIONS") ?? [])
        let enabled = config.list("OTEL_NATIVE_ENABLED_INSTRUMENTATIONS").map(Set.init)
        for entry in catalog.entries(in: .instrumentor) {
            let name = entry.name.lowercasedASCII()
            if disabled.contains("*") || disabled.contains(name) {
                decide(entry, .disabled("listed in OTEL_NATIVE_DISABLED_INSTRUMENTATIONS"))
            } else if let enabled, !enabled.contains(name) {
                decide(entry, .disabled("not listed in OTEL_NATIVE_ENABLED_INSTRUMENTATIONS"))
            } else if let unmet = unmetConstraint(of: entry, in: catalog, diagnostics: diagnostics) {
                decide(entry, .disabled(unmet))
            } else if run(entry, \.instrument, "instrument"), let plugin = load(entry) {
                Instrumented.add(name, plugin)
            }
        }
        otel_hook_batch_end()
        for entry in catalog.entries(in: .postInstrument) { run(entry, \.configure, "configure") }
        return decisions
    }
}

/// The instrumentors that instrumented this process, by name, so that one can
/// be undone while the program runs (OpenTelemetry Python's
/// `BaseInstrumentor().uninstrument()`).
public enum Instrumented {
    private static let plugins = Mutex<[String: LoadedPlugin]>([:])

    static func add(_ name: String, _ plugin: LoadedPlugin) {
        plugins.withLock { $0[name] = plugin }
    }

    /// Calls the instrumentor's uninstrument (once): 0 when it succeeded, -1
    /// when no instrumentor of that name instrumented the process (or it was
    /// undone already), otherwise what uninstrument returned.
    public static func uninstrument(_ name: String) -> Int32 {
        guard let plugin = plugins.withLock({ $0.removeValue(forKey: name.lowercasedASCII()) }) else { return -1 }
        let descriptor = plugin.descriptor.pointee
        guard let uninstrument = descriptor.uninstrument else { return -1 }
        let status = uninstrument(descriptor.state, HostTable.shared)
        if status != 0 { OTelSDK.diagnostics.warn("[otel_instrumentor] \(name): uninstrument() returned \(status)") }
        return status
    }
}
