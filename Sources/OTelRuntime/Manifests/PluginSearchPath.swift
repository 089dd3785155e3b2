import OTelCore

/// The plugins.d directories to scan, most important first: each directory of
/// OTEL_NATIVE_PLUGINS_PATH (colon-separated), then the installed prefix's
/// `etc/otel-native/plugins.d`, then the development tree's `plugins.d`.
public enum PluginSearchPath {
    /// The directory of manifests in an installed prefix.
    public static func installedManifestDirectory(prefix: String) -> String {
        Path.join(prefix, "etc/otel-native/plugins.d")
    }

    /// The ordered, de-duplicated directories to scan.
    public static func directories(config: ConfigReader, installedPrefix: String?, developmentTree: String?) -> [String] {
        var result: [String] = []
        if let path = config.string("OTEL_NATIVE_PLUGINS_PATH") {
            result += path.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        if let installedPrefix { result.append(installedManifestDirectory(prefix: installedPrefix)) }
        if let developmentTree { result.append(Path.join(developmentTree, "plugins.d")) }
        var seen = Set<String>()
        return result.filter { seen.insert($0).inserted }
    }

    /// Where the library of `entry` is, or nil: a name with a `/` is taken
    /// relative to the manifest's directory (or as is when absolute); a bare
    /// name is looked for beside the manifest, then in `libraryDirectory`.
    public static func resolveLibrary(_ library: String, manifestPath: String, libraryDirectory: String?,
                                      fileSystem: FileSystem) -> String? {
        let manifestDirectory = Path.directory(of: manifestPath)
        var candidates: [String] = []
        if library.hasPrefix("/") {
            candidates.append(library)
        } else if library.contains("/") {
            candidates.append(Path.join(manifestDirectory, library))
        } else {
            candidates.append(Path.join(manifestDirectory, library))
            if let libraryDirectory { candidates.append(Path.join(libraryDirectory, library)) }
        }
        return candidates.first { fileSystem.status($0)?.isRegularFile == true }
    }
}
