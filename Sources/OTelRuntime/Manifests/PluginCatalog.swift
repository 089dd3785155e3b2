import OTelCore

/// Every manifest found on the search path, merged: the native counterpart
/// of the entry points of all installed Python distributions.
public struct PluginCatalog: Sendable {
    /// Manifests kept, in search order.
    public let manifests: [Manifest]
    /// Entry points kept, in search order; for a duplicate group and name the
    /// earliest wins.
    public let entries: [PluginEntry]
    /// Variables declared by the kept manifests.
    public let variables: [DeclaredVariable]
    /// Everything reported while scanning (also sent to diagnostics).
    public let problems: [String]

    /// The entries of one group.
    public func entries(in group: PluginGroup) -> [PluginEntry] {
        entries.filter { $0.group == group }
    }

    /// The manifest that declared `entry`.
    public func manifest(of entry: PluginEntry) -> Manifest? {
        manifests.first { $0.path == entry.location.file }
    }

    /// Scans `directories` in order for `*.ini` manifests (each directory's
    /// files in name order). Untrusted files and directories are refused,
    /// problems are reported through `diagnostics`, and under secure execution
    /// nothing is read at all.
    public static func scan(directories: [String], fileSystem: FileSystem = .live, diagnostics: Diagnostics,
                            secureExecution: Bool = RuntimeEnvironment.isSecureExecution) -> PluginCatalog {
        var problems: [String] = []
        func report(_ message: String) {
            problems.append(message)
            diagnostics.warn(message)
        }
        if secureExecution {
            diagnostics.debug("secure execution (setuid/setgid/capabilities): no plugin is loaded")
            return PluginCatalog(manifests: [], entries: [], variables: [], problems: [])
        }
        var manifests: [Manifest] = []
        var entries: [PluginEntry] = []
        var variables: [DeclaredVariable] = []
        var distributions: [String: String] = [:]
        var entryOwners: [String: PluginEntry] = [:]

        for directory in directories {
            guard let names = fileSystem.listDirectory(directory) else {
                diagnostics.debug("plugin directory \(directory) is absent or unreadable; skipping it")
                continue
            }
            if let refusal = TrustPolicy.refusal(forDirectory: directory, fileSystem: fileSystem) {
                report("refusing the plugin directory: \(refusal)")
                continue
            }
            for name in names.sorted() where name.hasSuffix(".ini") && !name.hasPrefix(".") {
                let path = Path.join(directory, name)
                guard fileSystem.status(path)?.isRegularFile == true else { continue }
                if let refusal = TrustPolicy.refusal(for: path, fileSystem: fileSystem) {
                    report("refusing the manifest: \(refusal)")
                    continue
                }
                guard let text = fileSystem.readFile(path) else {
                    report("cannot read the manifest \(path) (unreadable, not UTF-8, or over \(FileSystem.maximumFileSize) bytes)")
                    continue
                }
                let (manifest, found) = ManifestParser.parse(text, path: path)
                for problem in found { report("\(problem)") }
                if let earlier = distributions[manifest.distributionName] {
                    report("\(path): distribution \(manifest.distributionName) is already provided by \(earlier), which comes first on the search path; ignoring this one")
                    continue
                }
                distributions[manifest.distributionName] = path
                manifests.append(manifest)
                variables += manifest.variables
                for entry in manifest.entries {
                    let identity = "\(entry.group.rawValue)/\(entry.name)"
                    if let owner = entryOwners[identity] {
                        report("\(entry.location): [\(entry.group.rawValue)] \(entry.name) is already provided at \(owner.location); keeping that one")
                        continue
                    }
                    entryOwners[identity] = entry
                    entries.append(entry)
                }
            }
        }
        return PluginCatalog(manifests: manifests, entries: entries, variables: variables, problems: problems)
    }
}
