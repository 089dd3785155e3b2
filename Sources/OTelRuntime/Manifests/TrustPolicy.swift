/// Decides whether a manifest or plugin library may be trusted: code that
/// anyone on the machine could have written must never be loaded into the
/// programs of everyone else.
public enum TrustPolicy {
    /// Why `path` must not be used, or nil when it may: it must exist and not
    /// be world-writable, and its directory must not be world-writable unless
    /// the sticky bit is set (as on /tmp, where others cannot replace our file).
    public static func refusal(for path: String, fileSystem: FileSystem) -> String? {
        guard let status = fileSystem.status(path) else { return "\(path) cannot be read" }
        if status.isWorldWritable { return "\(path) is world-writable" }
        let directory = Path.directory(of: path)
        if let directoryStatus = fileSystem.status(directory), directoryStatus.isWorldWritable, !directoryStatus.isSticky {
            return "\(path) is in \(directory), which is world-writable without the sticky bit"
        }
        return nil
    }

    /// Why a plugins.d directory must not be scanned, or nil when it may.
    public static func refusal(forDirectory directory: String, fileSystem: FileSystem) -> String? {
        guard let status = fileSystem.status(directory) else { return nil }
        if status.isWorldWritable && !status.isSticky {
            return "\(directory) is world-writable without the sticky bit"
        }
        return nil
    }
}
