#if canImport(Glibc)
import Glibc
#endif
import COTelCoreShims

/// What the process has loaded, for checking an instrumentor's `instruments`
/// constraints (the native counterpart of Python's installed-distribution check).
public enum LoadedLibraries {
    /// What is known about one library an instrumentor instruments.
    public enum Presence: Equatable, Sendable {
        /// Not loaded (yet: a program may dlopen it later, as python3 does with sqlite).
        case notLoaded
        /// Loaded, version unknown (the manifest gives no version_function).
        case loadedVersionUnknown
        case loaded(Version)
        /// Loaded, but the version function is missing or answered nothing readable.
        case loadedVersionUnreadable(String)
    }

    /// Whether `soname` is loaded and, when `versionFunction` is given, its version.
    /// Nothing is loaded or searched for on disk: the loaded objects are listed
    /// (dl_iterate_phdr), and only a loaded one is opened, by its own path.
    public static func presence(of soname: String, versionFunction: String?) -> Presence {
        var path = [CChar](repeating: 0, count: 4096)
        guard otel_shim_loaded_object(soname, &path, path.count) else { return .notLoaded }
        guard let handle = dlopen(path, RTLD_LAZY | RTLD_NOLOAD) else { return .notLoaded }
        defer { dlclose(handle) }
        guard let versionFunction else { return .loadedVersionUnknown }
        guard let symbol = dlsym(handle, versionFunction) else {
            return .loadedVersionUnreadable("\(soname) has no function \(versionFunction)")
        }
        let function = unsafeBitCast(symbol, to: (@convention(c) () -> UnsafePointer<CChar>?).self)
        guard let text = function().map({ String(cString: $0) }), let version = firstVersion(in: text) else {
            return .loadedVersionUnreadable("\(versionFunction)() returned no version")
        }
        return .loaded(version)
    }

    /// The first dotted number in `text` ("libcurl/7.88.1 OpenSSL/3.0" → 7.88.1).
    public static func firstVersion(in text: String) -> Version? {
        var current = ""
        for character in text + " " {
            if character.isASCII && (character.isNumber || (character == "." && !current.isEmpty)) {
                current.append(character)
            } else if !current.isEmpty {
                let trimmed = current.hasSuffix(".") ? String(current.dropLast()) : current
                if let version = Version(trimmed) { return version }
                current = ""
            }
        }
        return nil
    }
}
