#if canImport(Glibc)
import Glibc
#endif

/// What the runtime needs to know about a file before trusting it.
public struct FileStatus: Sendable, Equatable {
    public var mode: UInt32

    public init(mode: UInt32) { self.mode = mode }

    public var isDirectory: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFDIR) }
    public var isRegularFile: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFREG) }
    public var isWorldWritable: Bool { mode & UInt32(S_IWOTH) != 0 }
    public var isSticky: Bool { mode & UInt32(S_ISVTX) != 0 }
}

/// The file-system calls the plugin runtime makes, each behind one small
/// function (as swift-system does), so every error path can be exercised.
public struct FileSystem: Sendable {
    /// stat(2) of a path, following symbolic links; nil when it fails.
    public var status: @Sendable (String) -> FileStatus?
    /// The names in a directory (without . and ..); nil when it cannot be read.
    public var listDirectory: @Sendable (String) -> [String]?
    /// A file's contents as UTF-8, at most `maximumFileSize` bytes; nil when it cannot be read.
    public var readFile: @Sendable (String) -> String?

    /// Manifests are small; anything larger is refused rather than read.
    public static let maximumFileSize = 64 * 1024

    public init(status: @escaping @Sendable (String) -> FileStatus?,
                listDirectory: @escaping @Sendable (String) -> [String]?,
                readFile: @escaping @Sendable (String) -> String?) {
        self.status = status
        self.listDirectory = listDirectory
        self.readFile = readFile
    }

    /// The real file system.
    public static let live = FileSystem(
        status: { path in
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            return FileStatus(mode: UInt32(info.st_mode))
        },
        listDirectory: { path in
            guard let directory = opendir(path) else { return nil }
            defer { closedir(directory) }
            var names: [String] = []
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { names.append(name) }
            }
            return names
        },
        readFile: { path in
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { return nil }
            defer { close(descriptor) }
            var info = stat()
            guard fstat(descriptor, &info) == 0, info.st_size <= maximumFileSize else { return nil }
            // One byte more than stat said, to notice a file that grew meanwhile.
            var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
            var total = 0
            while total < bytes.count {
                let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + total, $0.count - total) }
                if count < 0 {
                    if errno == EINTR { continue }
                    return nil
                }
                if count == 0 { break }
                total += count
            }
            guard total < bytes.count else { return nil }
            return String(validating: bytes[..<total], as: UTF8.self)
        })
}

/// Path helpers (no Foundation).
public enum Path {
    /// The directory part of `path` ("." when there is none).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// `directory` and `name` joined with one slash.
    public static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The last component of `path`.
    public static func name(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
