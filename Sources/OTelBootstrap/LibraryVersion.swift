#if canImport(Glibc)
import Glibc
#endif
import OTelRuntime

/// The version of an installed library, read from its file without loading
/// or running it (docs/bootstrap.md), as its plugin's manifest says:
/// `version_symbol` names an exported C string holding the version (SQLite's
/// `sqlite3_version`); `version_prefix` the text the version follows in the
/// file (`libcurl/` in libcurl, `release version ` in glibc). The soname's
/// number (libcurl.so.4) is an ABI version, never the release.
enum LibraryVersion {
    static func read(_ file: ELFFile, soname: String, detection: Detection) -> Version? {
        if let symbol = detection.versionSymbols[soname], let text = file.exportedString(symbol) {
            return LoadedLibraries.firstVersion(in: text)
        }
        if let prefix = detection.versionPrefixes[soname] {
            return find(prefix, in: file.path)
        }
        return nil
    }

    /// The version following the first occurrence of `prefix` in the file at `path`.
    static func find(_ prefix: String, in path: String) -> Version? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let needle = Array(prefix.utf8)
        let chunk = 1 << 20
        var carried: [UInt8] = []
        var offset: off_t = 0
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, chunk, offset) }
            if got <= 0 { return nil }
            offset += off_t(got)
            // Chunks overlap by what a match and its version could straddle.
            let window = carried + buffer[0..<got]
            if let at = firstIndex(of: needle, in: window) {
                let tail = window[(at + needle.count)...].prefix(32)
                return LoadedLibraries.firstVersion(in: String(decoding: tail, as: UTF8.self))
            }
            carried = Array(window.suffix(needle.count + 32))
        }
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            guard let candidate = haystack[index...last].firstIndex(of: first) else { return nil }
            if haystack[candidate..<candidate + needle.count].elementsEqual(needle) { return candidate }
            index = candidate + 1
        }
        return nil
    }
}
