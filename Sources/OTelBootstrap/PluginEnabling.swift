#if canImport(Glibc)
import Glibc
#endif
import OTelRuntime

/// Enabling a plugin is copying its manifest from the available directory
/// into plugins.d; disabling is removing that copy. Both are idempotent and
/// atomic (a temporary file renamed into place: the runtime never reads half
/// a manifest), touch only the files otel-bootstrap made (they start with
/// `marker`), and refuse a plugins.d that anyone could write to.
public enum PluginEnabling {
    /// The first line of every manifest otel-bootstrap enables.
    public static let marker = "# Enabled by otel-bootstrap from "

    public enum Outcome: Equatable {
        case done(String)
        case unchanged(String)
        case refused(String)
    }

    /// Why `directory` must not receive manifests, if it must not.
    static func refusal(of directory: String) -> String? {
        guard let status = FileSystem.live.status(directory) else { return "\(directory) does not exist" }
        guard status.isDirectory else { return "\(directory) is not a directory" }
        if status.isWorldWritable { return "\(directory) is world-writable: a plugin enabled there could be replaced by anyone" }
        return nil
    }

    /// Copies `finding`'s manifest into `enabledDirectory`.
    public static func enable(_ finding: PluginFinding, from availableDirectory: String, into enabledDirectory: String) -> Outcome {
        let name = finding.manifest.distributionName
        if let refusal = refusal(of: enabledDirectory) { return .refused("\(name): not enabled: \(refusal)") }
        let target = enabledDirectory + "/" + finding.fileName
        if FileSystem.live.status(target) != nil { return .unchanged("\(name): already enabled (\(target))") }
        let source = availableDirectory + "/" + finding.fileName
        guard let text = FileSystem.live.readFile(source) else { return .refused("\(name): cannot read \(source)") }
        let temporary = enabledDirectory + "/.\(finding.fileName).\(getpid()).tmp"
        guard write(marker + source + "\n" + text, to: temporary) else {
            unlink(temporary)
            return .refused("\(name): cannot write in \(enabledDirectory): \(String(cString: strerror(errno)))")
        }
        // link(2) fails if the target appeared meanwhile: never replaces a file someone else made.
        guard link(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            return .refused("\(name): cannot enable \(target): \(reason)")
        }
        unlink(temporary)
        return .done("\(name): enabled (\(target))")
    }

    /// Removes `finding`'s manifest from `enabledDirectory` if otel-bootstrap made it.
    public static func disable(_ finding: PluginFinding, in enabledDirectory: String) -> Outcome {
        let name = finding.manifest.distributionName
        let target = enabledDirectory + "/" + finding.fileName
        guard let text = FileSystem.live.readFile(target) else { return .unchanged("\(name): not enabled") }
        guard text.hasPrefix(marker) else { return .unchanged("\(name): \(target) was not made by otel-bootstrap; left as it is") }
        if let refusal = refusal(of: enabledDirectory) { return .refused("\(name): not disabled: \(refusal)") }
        guard unlink(target) == 0 else { return .refused("\(name): cannot remove \(target): \(String(cString: strerror(errno)))") }
        return .done("\(name): disabled (\(target) removed)")
    }

    /// Writes `text` to a new file at `path` (mode 0644), flushed to disk.
    private static func write(_ text: String, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 { if errno == EINTR { continue } else { return false } }
            bytes = bytes.dropFirst(written)
        }
        return fsync(fd) == 0
    }
}
