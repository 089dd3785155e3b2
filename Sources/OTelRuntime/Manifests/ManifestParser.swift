import OTelCore

/// Parses manifests: an INI-like format mirroring Python's entry_points.txt
/// (docs/plugins.md). Every problem names `file:line` and what was expected;
/// only the line at fault is skipped, the rest of the manifest still counts.
public enum ManifestParser {
    private enum Section {
        case none
        case distribution
        case group(PluginGroup)
        case unknown
    }

    /// The manifest in `text`, read from `path`, and the problems found.
    public static func parse(_ text: String, path: String) -> (manifest: Manifest, problems: [ManifestProblem]) {
        var problems: [ManifestProblem] = []
        var section = Section.none
        var name: String?
        var version: String?
        var instruments: [InstrumentedLibrary] = []
        var versionFunctions: [String: String] = [:]
        var detection = Detection()
        var entries: [PluginEntry] = []
        var variables: [DeclaredVariable] = []
        var firstLineOfEntry: [String: Int] = [:]

        // Lines are cut and trimmed as UTF-8 bytes: Character-level string
        // processing would cost more than the whole scan target allows.
        let bytes = Array(text.utf8)
        var lineStart = 0
        var index = -1
        while lineStart <= bytes.count {
            index += 1
            let lineEnd = bytes[lineStart...].firstIndex(of: 0x0A) ?? bytes.count
            let rawLine = trimmed(bytes[lineStart..<lineEnd])
            lineStart = lineEnd + 1
            let location = SourceLocation(file: path, line: index + 1)
            func problem(_ message: String) { problems.append(ManifestProblem(location: location, message: message)) }
            guard let first = rawLine.first, first != UInt8(ascii: "#"), first != UInt8(ascii: ";") else { continue }
            let line = String(decoding: rawLine, as: UTF8.self)

            if first == UInt8(ascii: "[") {
                guard rawLine.last == UInt8(ascii: "]") else {
                    problem("expected a section header such as [otel_instrumentor], found \(line)")
                    section = .unknown
                    continue
                }
                let header = String(decoding: trimmed(rawLine.dropFirst().dropLast()), as: UTF8.self)
                if header == "distribution" {
                    section = .distribution
                } else if let group = PluginGroup(rawValue: header) {
                    section = .group(group)
                } else {
                    problem("unknown section [\(header)]; expected [distribution] or one of " + PluginGroup.allCases.map(\.rawValue).joined(separator: ", "))
                    section = .unknown
                }
                continue
            }

            guard let equals = rawLine.firstIndex(of: UInt8(ascii: "=")) else {
                problem("expected `name = value`, found \(line)")
                continue
            }
            let key = String(decoding: trimmed(rawLine[..<equals]), as: UTF8.self)
            let value = String(decoding: trimmed(rawLine[(equals + 1)...]), as: UTF8.self)
            guard !key.isEmpty else {
                problem("expected a name before `=`")
                continue
            }

            switch section {
            case .none:
                problem("`\(key)` comes before any section; expected a [distribution] or [group] header first")
            case .unknown:
                continue // reported once at the header
            case .distribution:
                switch key {
                case "name": name = value.isEmpty ? nil : value
                case "version": version = value.isEmpty ? nil : value
                case "instruments":
                    switch parseInstruments(value, location: location) {
                    case .success(let library): instruments.append(library)
                    case .failure(let message): problem(message)
                    }
                case "version_function":
                    let parts = value.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                    guard parts.count == 2, isSharedObjectName(parts[0]), isCIdentifier(parts[1]) else {
                        problem("expected `version_function = library.so.N:function`, found `\(value)`")
                        continue
                    }
                    versionFunctions[parts[0]] = parts[1]
                case "version_symbol", "version_prefix":
                    let parts = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                    guard parts.count == 2, isSharedObjectName(parts[0]), !parts[1].isEmpty,
                          key == "version_prefix" || isCIdentifier(parts[1]) else {
                        problem("expected `\(key) = library.so.N:\(key == "version_symbol" ? "symbol" : "text")`, found `\(value)`")
                        continue
                    }
                    if key == "version_symbol" { detection.versionSymbols[parts[0]] = parts[1] } else { detection.versionPrefixes[parts[0]] = parts[1] }
                case "detect_imports":
                    let names = value.split(separator: ",").map { String($0).trimmingASCIIWhitespace() }
                    guard !names.isEmpty, names.allSatisfy(isCIdentifier) else {
                        problem("expected `detect_imports = function[, function…]`, found `\(value)`")
                        continue
                    }
                    detection.imports += names
                case "may_dlopen":
                    let parts = value.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                    guard parts.count == 2, !parts[0].contains("/"), parts[1].hasPrefix("/") || parts[1].hasPrefix("$ORIGIN/") else {
                        problem("expected `may_dlopen = program-glob /path/or/$ORIGIN/module-glob`, found `\(value)`")
                        continue
                    }
                    detection.dlopened.append(DlopenedModules(program: parts[0], module: parts[1]))
                default:
                    problem("unknown key `\(key)` in [distribution]; expected name, version, instruments, version_function, version_symbol, version_prefix, detect_imports or may_dlopen")
                }
            case .group(.environmentVariables):
                guard isVariableName(key) else {
                    problem("`\(key)` is not an environment variable name (OTEL_ followed by A-Z, 0-9, _)")
                    continue
                }
                let parts = value.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
                let defaultValue = parts.count == 2 ? String(parts[0]).trimmingASCIIWhitespace() : nil
                let description = String(parts.count == 2 ? parts[1] : parts[0]).trimmingASCIIWhitespace()
                variables.append(DeclaredVariable(name: key, defaultValue: defaultValue?.isEmpty == true ? nil : defaultValue,
                                                  description: description, location: location))
            case .group(let group):
                guard isEntryName(key) else {
                    problem("`\(key)` is not a valid entry name (letters, digits, _ . -)")
                    continue
                }
                guard let colon = value.lastIndex(of: ":") else {
                    problem("expected `\(key) = library.so:symbol`, found `\(value)`")
                    continue
                }
                let library = String(value[..<colon]).trimmingASCIIWhitespace()
                let symbol = String(value[value.index(after: colon)...]).trimmingASCIIWhitespace()
                guard isSharedObjectName(library), isCIdentifier(symbol) else {
                    problem("expected `\(key) = library.so:symbol`, found `\(value)`")
                    continue
                }
                let identity = "\(group.rawValue)/\(key)"
                if let first = firstLineOfEntry[identity] {
                    problem("duplicate entry `\(key)` in [\(group.rawValue)] (first at line \(first)); keeping the first")
                    continue
                }
                firstLineOfEntry[identity] = location.line
                entries.append(PluginEntry(group: group, name: key, library: library, symbol: symbol, location: location))
            }
        }

        let distributionName: String
        if let name {
            distributionName = name
        } else {
            let fileName = path.split(separator: "/").last.map(String.init) ?? path
            distributionName = fileName.split(separator: ".").first.map(String.init) ?? fileName
            problems.append(ManifestProblem(location: SourceLocation(file: path, line: 1),
                                            message: "no `name` in [distribution]; using `\(distributionName)` from the file name"))
        }
        var manifest = Manifest(path: path, distributionName: distributionName, distributionVersion: version,
                                instruments: instruments, versionFunctions: versionFunctions, entries: entries, variables: variables)
        manifest.detection = detection
        return (manifest, problems)
    }

    /// `bytes` without leading and trailing spaces, tabs and carriage returns.
    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
        var slice = bytes
        while let first = slice.first, isSpace(first) { slice = slice.dropFirst() }
        while let last = slice.last, isSpace(last) { slice = slice.dropLast() }
        return slice
    }

    private enum ParseResult {
        case success(InstrumentedLibrary)
        case failure(String)
    }

    /// `soname [op version[, op version…]]`.
    private static func parseInstruments(_ value: String, location: SourceLocation) -> ParseResult {
        let expected = "expected `instruments = library.so.N [>= version[, < version]]`, found `\(value)`"
        let bytes = Array(value.utf8)
        let operatorStart = bytes.firstIndex { "<>=!".utf8.contains($0) }
        let soname = String(decoding: bytes[..<(operatorStart ?? bytes.count)], as: UTF8.self).trimmingASCIIWhitespace()
        guard isSharedObjectName(soname), !soname.utf8.contains(UInt8(ascii: " ")) else { return .failure(expected) }
        var constraints: [InstrumentedLibrary.Constraint] = []
        if let operatorStart {
            for part in bytes[operatorStart...].split(separator: UInt8(ascii: ",")) {
                let text = String(decoding: part, as: UTF8.self).trimmingASCIIWhitespace()
                guard let comparison = VersionOperator.allCases.first(where: { text.hasPrefix($0.rawValue) }),
                      let version = Version(String(text.dropFirst(comparison.rawValue.count)).trimmingASCIIWhitespace()) else {
                    return .failure(expected)
                }
                constraints.append(.init(comparison: comparison, version: version))
            }
        }
        return .success(InstrumentedLibrary(soname: soname, constraints: constraints, location: location))
    }

    static func isSharedObjectName(_ name: String) -> Bool {
        let bytes = name.utf8
        return bytes.count > 3 && (bytes.reversed().starts(with: "os.".utf8) || name.containsBytes(".so."))
            && !bytes.contains(UInt8(ascii: ":"))
    }

    static func isCIdentifier(_ text: String) -> Bool {
        guard let first = text.utf8.first, !(0x30...0x39).contains(first) else { return false }
        return text.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F
        }
    }

    static func isEntryName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == 0x5F || byte == 0x2E || byte == 0x2D
        }
    }

    static func isVariableName(_ text: String) -> Bool {
        text.utf8.count > 5 && text.utf8.starts(with: "OTEL_".utf8) && text.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || byte == 0x5F
        }
    }
}
