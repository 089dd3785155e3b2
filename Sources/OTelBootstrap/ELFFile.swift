#if canImport(Glibc)
import Glibc
#endif

/// What otel-bootstrap reads of an ELF object without loading it (ELF-64
/// little-endian, the only kind this machine runs; System V gABI, "Dynamic
/// Section"): its dynamic dependencies, search paths, soname, the functions
/// it imports, and the bytes behind an exported symbol.
public struct ELFFile {
    public let path: String
    /// e_machine: a dependency must be built for the same machine.
    public let machine: UInt16
    /// DT_NEEDED, in order.
    public let needed: [String]
    public let soname: String?
    /// DT_RPATH and DT_RUNPATH, colon-separated lists as written.
    public let rpath: String?
    public let runpath: String?
    /// Undefined dynamic symbols (what it imports).
    public let imports: Set<String>
    private let defined: [String: (address: UInt64, size: UInt64)]
    private let loads: [(offset: UInt64, address: UInt64, size: UInt64)]

    /// Reads `path`; nil when it is not an ELF-64 little-endian object with a
    /// dynamic section (a script, a static binary, another format).
    public init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        func read(_ offset: UInt64, _ count: Int) -> [UInt8]? {
            guard count >= 0, count < 1 << 28 else { return nil }
            var buffer = [UInt8](repeating: 0, count: count)
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            return got == count ? buffer : nil
        }
        guard let header = read(0, 64), header[0] == 0x7F, header[1] == 0x45, header[2] == 0x4C, header[3] == 0x46,
              header[4] == 2, header[5] == 1 else { return nil }
        self.path = path
        machine = header.u16(18)
        let programHeaders = header.u64(0x20), programHeaderSize = Int(header.u16(0x36)), programHeaderCount = Int(header.u16(0x38))
        let sectionHeaders = header.u64(0x28), sectionHeaderSize = Int(header.u16(0x3A)), sectionHeaderCount = Int(header.u16(0x3C))
        guard programHeaderSize >= 56, let table = read(programHeaders, programHeaderSize * programHeaderCount) else { return nil }
        var loads: [(offset: UInt64, address: UInt64, size: UInt64)] = []
        var dynamic: (offset: UInt64, size: UInt64)?
        for index in 0..<programHeaderCount {
            let at = index * programHeaderSize
            switch table.u32(at) {
            case 1: loads.append((table.u64(at + 8), table.u64(at + 16), table.u64(at + 32))) // PT_LOAD
            case 2: dynamic = (table.u64(at + 8), table.u64(at + 32)) // PT_DYNAMIC
            default: break
            }
        }
        self.loads = loads
        guard let dynamic, let entries = read(dynamic.offset, Int(dynamic.size)) else { return nil }
        func fileOffset(_ address: UInt64) -> UInt64? {
            loads.first { address >= $0.address && address - $0.address < $0.size }.map { $0.offset + (address - $0.address) }
        }
        var neededOffsets: [UInt64] = []
        var sonameOffset: UInt64?, rpathOffset: UInt64?, runpathOffset: UInt64?
        var stringTable: UInt64?, stringSize: UInt64 = 0
        for at in stride(from: 0, to: entries.count - 15, by: 16) {
            let tag = entries.u64(at), value = entries.u64(at + 8)
            switch tag {
            case 0: break
            case 1: neededOffsets.append(value) // DT_NEEDED
            case 5: stringTable = value // DT_STRTAB
            case 10: stringSize = value // DT_STRSZ
            case 14: sonameOffset = value // DT_SONAME
            case 15: rpathOffset = value // DT_RPATH
            case 29: runpathOffset = value // DT_RUNPATH
            default: continue
            }
            if tag == 0 { break }
        }
        guard let stringTable, let stringsAt = fileOffset(stringTable), let strings = read(stringsAt, Int(stringSize)) else { return nil }
        func string(_ offset: UInt64) -> String? {
            guard offset < UInt64(strings.count) else { return nil }
            let start = Int(offset)
            let end = strings[start...].firstIndex(of: 0) ?? strings.count
            return String(decoding: strings[start..<end], as: UTF8.self)
        }
        needed = neededOffsets.compactMap(string)
        soname = sonameOffset.flatMap(string)
        rpath = rpathOffset.flatMap(string)
        runpath = runpathOffset.flatMap(string)

        // The dynamic symbol table, from the section headers (SHT_DYNSYM and its string table).
        var imports = Set<String>()
        var defined: [String: (address: UInt64, size: UInt64)] = [:]
        if sectionHeaderSize >= 64, let sections = read(sectionHeaders, sectionHeaderSize * sectionHeaderCount) {
            for index in 0..<sectionHeaderCount where sections.u32(index * sectionHeaderSize + 4) == 11 { // SHT_DYNSYM
                let at = index * sectionHeaderSize
                let link = Int(sections.u32(at + 40))
                guard link < sectionHeaderCount,
                      let symbols = read(sections.u64(at + 24), Int(sections.u64(at + 32))),
                      let names = read(sections.u64(link * sectionHeaderSize + 24), Int(sections.u64(link * sectionHeaderSize + 32))) else { continue }
                for symbol in stride(from: 24, to: symbols.count - 23, by: 24) { // entry 0 is the null symbol
                    let nameOffset = Int(symbols.u32(symbol))
                    guard nameOffset < names.count else { continue }
                    let end = names[nameOffset...].firstIndex(of: 0) ?? names.count
                    let name = String(decoding: names[nameOffset..<end], as: UTF8.self)
                    if symbols.u16(symbol + 6) == 0 { imports.insert(name) } // SHN_UNDEF
                    else { defined[name] = (symbols.u64(symbol + 8), symbols.u64(symbol + 16)) }
                }
            }
        }
        self.imports = imports
        self.defined = defined
    }

    /// The NUL-terminated string an exported data symbol holds (a version such as sqlite3_version).
    public func exportedString(_ symbol: String) -> String? {
        guard let (address, size) = defined[symbol], size > 0, size < 4096,
              let load = loads.first(where: { address >= $0.address && address - $0.address < $0.size }) else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, Int(size), off_t(load.offset + address - load.address)) }
        guard got == Int(size) else { return nil }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    func u16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(self[at + $1]) << (8 * $1) } }
    func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(self[at + $1]) << (8 * $1) } }
}
