#if canImport(Glibc)
import Glibc
#endif

/// /etc/ld.so.cache as the dynamic loader reads it (glibc's dl-cache.h, the
/// "glibc-ld.so.cache1.1" format ldconfig writes): soname → path, for the
/// entries of this machine's 64-bit libraries.
public struct LoaderCache {
    public let libraries: [String: String]

    public init(path: String = "/etc/ld.so.cache") {
        libraries = Self.read(path)
    }

    private static func read(_ path: String) -> [String: String] {
        var libraries: [String: String] = [:]
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return libraries }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_size > 0, status.st_size < 1 << 26 else { return libraries }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        guard bytes.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, Int(status.st_size), 0) }) == Int(status.st_size) else { return libraries }
        // The new format, alone or after the old one.
        let magic = Array("glibc-ld.so.cache1.1".utf8)
        guard let start = (0...max(0, bytes.count - magic.count)).first(where: { bytes[$0..<$0 + magic.count].elementsEqual(magic) }),
              bytes.count >= start + 48 else { return libraries }
        let count = Int(bytes.u32(start + 20))
        // Each entry: int32 flags, uint32 key, uint32 value, uint32 osversion, uint64 hwcap;
        // key and value are offsets from the start of the new-format header.
        let x8664Libc6: UInt32 = 0x0303 // FLAG_ELF_LIBC6 | FLAG_X8664_LIB64
        for index in 0..<count {
            let at = start + 48 + index * 24
            guard at + 24 <= bytes.count, bytes.u32(at) == x8664Libc6 else { continue }
            func string(_ offset: UInt32) -> String? {
                let from = start + Int(offset)
                guard from < bytes.count else { return nil }
                let end = bytes[from...].firstIndex(of: 0) ?? bytes.count
                return String(decoding: bytes[from..<end], as: UTF8.self)
            }
            if let key = string(bytes.u32(at + 4)), let value = string(bytes.u32(at + 8)), libraries[key] == nil {
                libraries[key] = value
            }
        }
        return libraries
    }
}
