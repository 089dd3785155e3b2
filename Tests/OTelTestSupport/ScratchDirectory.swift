import Foundation

/// A new, empty directory under the temporary directory, mode 0755 (the
/// plugin runtime refuses plugins from world-writable places). The caller
/// removes it.
public func makeScratchDirectory(_ prefix: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    chmod(url.path, 0o755)
    return url
}
