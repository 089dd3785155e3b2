#if canImport(Glibc)
import Glibc
#endif
import OTelRuntime

/// One instrumentation plugin as otel-bootstrap sees it for the programs
/// asked about (or for the system): what it instruments, what was found,
/// and whether it is needed, enabled, or cannot be used.
public struct PluginFinding {
    public enum Status: Equatable {
        case enabled
        case available
        /// The library is there, in a version outside the plugin's range.
        case versionConflict(String)
        case notNeeded

        public var label: String {
            switch self {
            case .enabled: "enabled"
            case .available: "available"
            case .versionConflict: "version conflict"
            case .notNeeded: "not needed"
            }
        }
    }

    public let manifest: Manifest
    /// The manifest's file name (`sqlite3.ini`): its name in plugins.d once enabled.
    public let fileName: String
    /// What made it needed: a library's soname, or the functions it imports.
    public let reason: String
    public let version: Version?
    public let status: Status
    public var isNeeded: Bool { status == .enabled || status == .available }
}

/// The native counterpart of opentelemetry-bootstrap (docs/bootstrap.md):
/// which instrumentation plugins a program needs, from what it loads,
/// found without running it.
public struct Bootstrap {
    /// Manifests of every plugin installed (`<prefix>/share/otel-native/plugins.d`).
    public let availableDirectory: String
    /// Where the runtime reads enabled manifests (`<prefix>/etc/otel-native/plugins.d`).
    public let enabledDirectory: String
    public let resolver: DependencyResolver

    public init(availableDirectory: String, enabledDirectory: String, resolver: DependencyResolver) {
        self.availableDirectory = availableDirectory
        self.enabledDirectory = enabledDirectory
        self.resolver = resolver
    }

    /// The instrumentation plugins available: manifests with an [otel_instrumentor] entry.
    public func availablePlugins() -> [(fileName: String, manifest: Manifest)] {
        let names = (FileSystem.live.listDirectory(availableDirectory) ?? []).filter { $0.hasSuffix(".ini") }.sorted()
        return names.compactMap { name in
            let path = availableDirectory + "/" + name
            guard let text = FileSystem.live.readFile(path) else { return nil }
            let manifest = ManifestParser.parse(text, path: path).manifest
            return manifest.entries.contains { $0.group == .instrumentor } ? (name, manifest) : nil
        }
    }

    /// What a program loads, for detection: its objects (and those of the
    /// modules its plugins say it may dlopen), by soname and name.
    public struct Loaded {
        public var objects: [LoadedObject] = []
        public var missing: [String] = []
        public var imports = Set<String>()
    }

    /// Reads `program` (a path, or a name looked up on PATH) and what it loads.
    public func loaded(by program: String, plugins: [Manifest], path: String?) -> Result<Loaded, BootstrapError> {
        guard let location = Self.locate(program, path: path) else { return .failure(.notFound(program)) }
        guard let file = ELFFile(path: location) else { return .failure(.notDynamic(location)) }
        var roots = [file]
        // Modules the program may dlopen (python3's _sqlite3 extension), as the plugins describe them.
        let real = realPath(location)
        let name = Path.name(of: real)
        for manifest in plugins {
            for modules in manifest.detection.dlopened where fnmatch(modules.program, name, 0) == 0 || fnmatch(modules.program, Path.name(of: location), 0) == 0 {
                let pattern = modules.module.replacing("$ORIGIN", with: Path.directory(of: real))
                for module in Self.glob(pattern) {
                    if let object = ELFFile(path: module) { roots.append(object) }
                }
            }
        }
        let closure = resolver.closure(of: roots)
        var loaded = Loaded(objects: closure.objects, missing: closure.missing)
        // What the program itself (and the modules it dlopens) imports: a client library
        // that can also accept (libcurl, for FTP) does not make every program using it a server.
        for root in roots { loaded.imports.formUnion(root.imports) }
        return .success(loaded)
    }

    /// The libraries `plugins` instrument that are installed on this system (the
    /// loader's cache, then its default directories), for when no program is named.
    public func systemLibraries(instrumentedBy plugins: [Manifest]) -> Loaded {
        var loaded = Loaded()
        for soname in Set(plugins.flatMap { $0.instruments.map(\.soname) }).sorted() {
            let paths = [resolver.cache.libraries[soname]].compactMap { $0 } + DependencyResolver.defaultDirectories.map { $0 + "/" + soname }
            if let file = paths.lazy.compactMap({ ELFFile(path: $0) }).first { loaded.objects.append(LoadedObject(name: soname, file: file)) }
        }
        return loaded
    }

    /// Every available instrumentation plugin, with what `loaded` says about it.
    /// `system`: detection by imports counts (any program may import them).
    public func findings(for loaded: Loaded, system: Bool = false) -> [PluginFinding] {
        let enabled = Set((FileSystem.live.listDirectory(enabledDirectory) ?? []).filter { $0.hasSuffix(".ini") })
        return availablePlugins().map { fileName, manifest in
            let byImports = manifest.detection.imports.isEmpty ? nil : "imports " + manifest.detection.imports.joined(separator: ", ")
            var needed: (reason: String, version: Version?, conflict: String?)?
            for library in manifest.instruments {
                guard let object = loaded.objects.first(where: { $0.name == library.soname || $0.file.soname == library.soname }) else { continue }
                let version = LibraryVersion.read(object.file, soname: library.soname, detection: manifest.detection)
                var conflict: String?
                if let version, !library.isSatisfied(by: version) {
                    conflict = "\(library.soname) \(version) is installed (\(realPath(object.file.path))); \(manifest.distributionName) needs \(library)"
                }
                needed = (library.soname, version, conflict)
                break
            }
            if needed == nil, let byImports, system || !loaded.imports.isDisjoint(with: manifest.detection.imports) {
                needed = (byImports, nil, nil)
            }
            guard let needed else {
                return PluginFinding(manifest: manifest, fileName: fileName, reason: manifest.instruments.first?.soname ?? byImports ?? "-",
                                     version: nil, status: .notNeeded)
            }
            let status: PluginFinding.Status = needed.conflict.map { .versionConflict($0) }
                ?? (enabled.contains(fileName) ? .enabled : .available)
            return PluginFinding(manifest: manifest, fileName: fileName, reason: needed.reason, version: needed.version, status: status)
        }
    }

    /// `program` itself when it has a slash, else the first executable of that name on `path`.
    static func locate(_ program: String, path: String?) -> String? {
        if program.contains("/") { return access(program, R_OK) == 0 ? program : nil }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }
    }
}

/// Why a program cannot be read.
public enum BootstrapError: Error, CustomStringConvertible {
    case notFound(String)
    case notDynamic(String)

    public var description: String {
        switch self {
        case .notFound(let program): "\(program): not found"
        case .notDynamic(let path): "\(path): not a dynamically linked ELF-64 program (a script or a static binary loads no plugin)"
        }
    }
}
