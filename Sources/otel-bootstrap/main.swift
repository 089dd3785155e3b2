#if canImport(Glibc)
import Glibc
#endif
import OTelBootstrap
import OTelCore
import OTelRuntime

/// otel-bootstrap: the native counterpart of opentelemetry-bootstrap
/// (docs/bootstrap.md). Reads programs (never runs them) and lists, enables
/// or disables the instrumentation plugins they need.
let usage = """
    usage: otel-bootstrap [-a requirements|list|install|uninstall] [--available DIR] [--enabled DIR] [PROGRAM...]

      requirements  one line per plugin the programs need (the default)
      list          library, version found, plugin and status of every plugin
      install       enable the plugins the programs need
      uninstall     disable them (only what otel-bootstrap enabled)

    Without PROGRAM: the libraries installed on this system.
    --available: the installed plugins (default <prefix>/share/otel-native/plugins.d)
    --enabled:   the plugins.d the runtime reads (default <prefix>/etc/otel-native/plugins.d)
    """

/// One line on stderr, prefixed with the tool's name.
func printError(_ message: String) {
    let line = Array("otel-bootstrap: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
    printError(message)
    exit(2)
}

var action = "requirements"
var available: String?
var enabled: String?
var programs: [String] = []
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "-a", "--action":
        guard let value = arguments.popFirst() else { fail("\(argument) needs a value\n\(usage)") }
        action = value
    case "--available":
        guard let value = arguments.popFirst() else { fail("--available needs a directory") }
        available = value
    case "--enabled":
        guard let value = arguments.popFirst() else { fail("--enabled needs a directory") }
        enabled = value
    case "-h", "--help":
        print(usage)
        exit(0)
    case "--":
        programs += arguments
        arguments = []
    default:
        if argument.hasPrefix("-") { fail("unknown option \(argument)\n\(usage)") }
        programs.append(argument)
    }
}
guard ["requirements", "list", "install", "uninstall"].contains(action) else { fail("unknown action \(action)\n\(usage)") }

// Where this copy of otel-native keeps its plugins: a build tree's plugins.d
// (every plugin enabled there), or an installed prefix's share and etc.
func defaultDirectories() -> (available: String, enabled: String) {
    let executable = ResourceDetection.executablePath() ?? ""
    if let tree = executable.firstRange(of: "/.build/") {
        let plugins = String(executable[..<tree.lowerBound]) + "/plugins.d"
        return (plugins, plugins)
    }
    let prefix = Path.directory(of: Path.directory(of: executable))
    return (prefix + "/share/otel-native/plugins.d", prefix + "/etc/otel-native/plugins.d")
}
let defaults = defaultDirectories()
let environment = { (name: String) -> String? in getenv(name).map { String(cString: $0) } }
let bootstrap = Bootstrap(availableDirectory: available ?? defaults.available, enabledDirectory: enabled ?? defaults.enabled,
                          resolver: DependencyResolver(libraryPath: environment("LD_LIBRARY_PATH")))
let plugins = bootstrap.availablePlugins()
if plugins.isEmpty { fail("no instrumentation plugins in \(bootstrap.availableDirectory)") }

// Each plugin once, needed when any program needs it (a conflict wins: it must be seen).
var findings: [String: PluginFinding] = [:]
var failed = false
func merge(_ new: [PluginFinding], into findings: inout [String: PluginFinding]) {
    for finding in new {
        guard let old = findings[finding.fileName] else { findings[finding.fileName] = finding; continue }
        if case .versionConflict = finding.status { findings[finding.fileName] = finding }
        else if old.status == .notNeeded { findings[finding.fileName] = finding }
    }
}
if programs.isEmpty {
    merge(bootstrap.findings(for: bootstrap.systemLibraries(instrumentedBy: plugins.map(\.manifest)), system: true), into: &findings)
} else {
    for program in programs {
        switch bootstrap.loaded(by: program, plugins: plugins.map(\.manifest), path: environment("PATH")) {
        case .success(let loaded):
            for name in loaded.missing { printError("\(program): \(name) not found (the program would not start)") }
            merge(bootstrap.findings(for: loaded), into: &findings)
        case .failure(let error):
            printError("\(error)")
            failed = true
        }
    }
}
let ordered = plugins.compactMap { findings[$0.fileName] }
for finding in ordered {
    if case .versionConflict(let message) = finding.status { printError("version conflict: \(message)") }
}

switch action {
case "requirements":
    for finding in ordered where finding.isNeeded {
        print("\(finding.manifest.distributionName)==\(finding.manifest.distributionVersion ?? "0")")
    }
case "list":
    let rows = [["LIBRARY", "VERSION", "PLUGIN", "STATUS"]] + ordered.map {
        [$0.reason, $0.version?.description ?? "-", $0.manifest.distributionName, $0.status.label]
    }
    let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
    for row in rows {
        print((0..<4).map { column in column == 3 ? row[column] : row[column] + String(repeating: " ", count: widths[column] - row[column].count) }
            .joined(separator: "  "))
    }
case "install", "uninstall":
    let chosen = programs.isEmpty && action == "uninstall" ? ordered : ordered.filter(\.isNeeded)
    for finding in chosen {
        let outcome = action == "install"
            ? PluginEnabling.enable(finding, from: bootstrap.availableDirectory, into: bootstrap.enabledDirectory)
            : PluginEnabling.disable(finding, in: bootstrap.enabledDirectory)
        switch outcome {
        case .done(let message), .unchanged(let message): print(message)
        case .refused(let message):
            printError("\(message)")
            failed = true
        }
    }
default:
    break
}
let conflicted = ordered.contains { if case .versionConflict = $0.status { true } else { false } }
exit(failed || (conflicted && action != "list") ? 1 : 0)
