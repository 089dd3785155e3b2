/// Where a manifest line came from, for diagnostics (`file:line`).
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// One entry point: `name = library.so:symbol` in a group section.
public struct PluginEntry: Hashable, Sendable {
    public let group: PluginGroup
    public let name: String
    /// The library as written in the manifest (resolved by `PluginSearchPath`).
    public let library: String
    public let symbol: String
    public let location: SourceLocation
}

/// An OTEL_* variable a plugin reads: `VARIABLE = default | description`.
public struct DeclaredVariable: Hashable, Sendable {
    public let name: String
    public let defaultValue: String?
    public let description: String
    public let location: SourceLocation
}

/// A comparison in a version constraint.
public enum VersionOperator: String, CaseIterable, Sendable {
    case greaterOrEqual = ">=", lessOrEqual = "<=", equal = "==", notEqual = "!=", greater = ">", less = "<"
}

/// A dotted numeric version such as `3.40.1`; missing components count as 0.
public struct Version: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let components: [Int]

    /// Parses `1`, `1.2`, `1.2.3`…; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= 6 else { return nil }
        var components: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(part) else { return nil }
            components.append(value)
        }
        self.components = components
    }

    public static func < (lhs: Version, rhs: Version) -> Bool {
        for index in 0..<max(lhs.components.count, rhs.components.count) {
            let left = index < lhs.components.count ? lhs.components[index] : 0
            let right = index < rhs.components.count ? rhs.components[index] : 0
            if left != right { return left < right }
        }
        return false
    }

    public static func == (lhs: Version, rhs: Version) -> Bool { !(lhs < rhs) && !(rhs < lhs) }

    public func hash(into hasher: inout Hasher) {
        var trimmed = components
        while trimmed.last == 0 { trimmed.removeLast() }
        hasher.combine(trimmed)
    }

    public var description: String { components.map(String.init).joined(separator: ".") }
}

/// What an instrumentation instruments: `libsqlite3.so.0 >= 3.7, < 4`,
/// mirroring the `instruments` extra of OpenTelemetry Python packages.
public struct InstrumentedLibrary: Hashable, Sendable, CustomStringConvertible {
    public let soname: String
    public let constraints: [Constraint]
    public let location: SourceLocation

    /// One `operator version` pair.
    public struct Constraint: Hashable, Sendable, CustomStringConvertible {
        public let comparison: VersionOperator
        public let version: Version

        public var description: String { "\(comparison.rawValue) \(version)" }

        /// True when `found` satisfies this constraint.
        public func isSatisfied(by found: Version) -> Bool {
            switch comparison {
            case .greaterOrEqual: found >= version
            case .lessOrEqual: found <= version
            case .equal: found == version
            case .notEqual: found != version
            case .greater: found > version
            case .less: found < version
            }
        }
    }

    /// True when `found` satisfies every constraint (every one, not any:
    /// OpenTelemetry Python's bootstrap lets a range through that it should reject).
    public func isSatisfied(by found: Version) -> Bool {
        constraints.allSatisfy { $0.isSatisfied(by: found) }
    }

    public var description: String {
        constraints.isEmpty ? soname : soname + " " + constraints.map(\.description).joined(separator: ", ")
    }
}

/// One parsed manifest: a plugin distribution and its entry points.
public struct Manifest: Sendable {
    /// The manifest file's path.
    public let path: String
    public let distributionName: String
    public let distributionVersion: String?
    public let instruments: [InstrumentedLibrary]
    /// How to ask a loaded library its version: soname → a function of it that
    /// returns its version as a C string (`version_function = libz.so.1:zlibVersion`).
    public let versionFunctions: [String: String]
    public let entries: [PluginEntry]
    public let variables: [DeclaredVariable]
    /// How otel-bootstrap recognises, without running a program, that it needs this plugin.
    public var detection = Detection()
}

/// What a manifest tells otel-bootstrap besides `instruments` (docs/bootstrap.md).
public struct Detection: Sendable {
    /// soname → an exported C string holding the library's version, read from
    /// the file (`version_symbol = libsqlite3.so.0:sqlite3_version`).
    public var versionSymbols: [String: String] = [:]
    /// soname → the text its version follows in the library's file
    /// (`version_prefix = libcurl.so.4:libcurl/`).
    public var versionPrefixes: [String: String] = [:]
    /// A program needs the plugin when it, or a library it loads, imports one
    /// of these functions (`detect_imports = accept, accept4`).
    public var imports: [String] = []
    /// Modules a program may dlopen, which otel-bootstrap reads as if it
    /// needed them (`may_dlopen = python3* $ORIGIN/../lib/python3*/lib-dynload/_sqlite3*.so`).
    public var dlopened: [DlopenedModules] = []

    public init() {}
}

/// Modules that programs whose file name matches `program` (a glob) may
/// dlopen: the files matching `module` (a glob; `$ORIGIN` is the program's
/// directory).
public struct DlopenedModules: Sendable, Equatable {
    public let program: String
    public let module: String

    public init(program: String, module: String) {
        self.program = program
        self.module = module
    }
}

/// A problem found while reading a manifest; the line or entry it names is skipped.
public struct ManifestProblem: Hashable, Sendable, CustomStringConvertible {
    public let location: SourceLocation
    public let message: String

    public var description: String { "\(location): \(message)" }
}
