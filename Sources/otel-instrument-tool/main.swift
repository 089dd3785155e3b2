// otel-instrument-tool: the full otel-instrument, which runs a program with
// OpenTelemetry auto-instrumentation as opentelemetry-instrument does for
// Python programs. The C front end `otel-instrument` execs it for help,
// explain and flags declared by plugin manifests.
//
//   otel-instrument [--flag value | --flag=value]... [--] PROGRAM [ARGS...]
//
// Every OTEL_* variable the core knows and every one a plugin manifest
// declares is a flag (OTEL_ and OTEL_NATIVE_ stripped, lowercased); a flag
// overrides the environment. The program is exec'ed (same PID, same exit
// status) with libotel_preload.so prepended to LD_PRELOAD.
#if canImport(Glibc)
import Glibc
#endif
import OTelCore
import OTelRuntime

let tool = "otel-instrument"

/// Where this executable's companions are: beside it (build tree) or in ../lib/otel-native (installed).
func companionDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let executable = length > 0 ? String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "."
    let directory = executable.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    let installed = directory + "/../lib/otel-native"
    if access(directory + "/libotel_preload.so", F_OK) != 0 && access(installed + "/libotel_preload.so", F_OK) == 0 {
        return installed
    }
    return directory
}

func printError(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

// --plugins_path decides which manifests declare further flags: apply it first.
for (position, argument) in CommandLine.arguments.enumerated().dropFirst() {
    if argument == "--" || !argument.hasPrefix("--") { break }
    if argument.hasPrefix("--plugins_path=") {
        setenv("OTEL_NATIVE_PLUGINS_PATH", String(argument.dropFirst("--plugins_path=".count)), 1)
    } else if argument == "--plugins_path", position + 1 < CommandLine.arguments.count {
        setenv("OTEL_NATIVE_PLUGINS_PATH", CommandLine.arguments[position + 1], 1)
    }
}

let libraries = companionDirectory()
let runtimeLibrary = libraries + "/libOTelRuntime.so"
let preloadLibrary = libraries + "/libotel_preload.so"
let quiet = Diagnostics(level: .none)
let config = ConfigReader(environment: .process, diagnostics: quiet)
let locations = PluginRuntime.Locations.forRuntimeLibrary(at: runtimeLibrary, config: config)
/// The manifests, scanned only when needed (help, explain, or a flag the core
/// does not know): otel-instrument runs before every instrumented program.
nonisolated(unsafe) var scannedCatalog: PluginCatalog?
func catalog() -> PluginCatalog {
    if let scannedCatalog { return scannedCatalog }
    let scanned = PluginCatalog.scan(directories: locations.manifestDirectories, diagnostics: quiet)
    scannedCatalog = scanned
    return scanned
}

/// Every flag: the core's settings, then (with `includingPlugins`) those the manifests declare.
func settings(includingPlugins: Bool) -> [KnownSetting] {
    var settings = KnownSettings.all
    guard includingPlugins else { return settings }
    for variable in catalog().variables where !settings.contains(where: { $0.variable == variable.name }) {
        settings.append(KnownSetting(variable: variable.name, defaultValue: variable.defaultValue, summary: variable.description,
                                     group: "Plugins"))
    }
    return settings
}

/// The setting a flag names, looking at the manifests only for flags the core does not know.
func setting(forFlag flag: String) -> KnownSetting? {
    settings(includingPlugins: false).first { $0.flag == flag } ?? settings(includingPlugins: true).first { $0.flag == flag }
}

func usage() -> String {
    "usage: \(tool) [--flag value | --flag=value]... [--] PROGRAM [ARGS...]\n       \(tool) --help | --version | --explain"
}

func help() -> String {
    var lines = [usage(), "", "Runs PROGRAM with OpenTelemetry instrumentation. Each flag sets the OTEL_* variable it names."]
    let all = settings(includingPlugins: true)
    var groups: [String] = []
    for setting in all where !groups.contains(setting.group) { groups.append(setting.group) }
    for group in groups {
        lines.append("")
        lines.append(group + ":")
        for setting in all where setting.group == group {
            let flag = "  --\(setting.flag)"
            let padding = String(repeating: " ", count: max(1, 42 - flag.count))
            lines.append(flag + padding + setting.summary + (setting.defaultValue.map { " (default: \($0))" } ?? ""))
        }
    }
    lines += ["", "  --explain                                 which plugins would load, and why not", "  --version", "  --help"]
    return lines.joined(separator: "\n")
}

func explain() -> String {
    let disabled = Set(config.list("OTEL_NATIVE_DISABLED_INSTRUMENTATIONS") ?? [])
    let enabled = config.list("OTEL_NATIVE_ENABLED_INSTRUMENTATIONS").map(Set.init)
    var lines = ["Plugin path: " + locations.manifestDirectories.joined(separator: ":")]
    if RuntimeEnvironment.isSecureExecution { lines.append("secure execution: nothing would load") }
    let catalog = catalog()
    for entry in catalog.entries {
        let subject = "[\(entry.group.rawValue)] \(entry.name) (\(entry.location)): "
        let name = entry.name.lowercasedASCII()
        if entry.group == .instrumentor && (disabled.contains("*") || disabled.contains(name)) {
            lines.append(subject + "skipped: listed in OTEL_NATIVE_DISABLED_INSTRUMENTATIONS")
        } else if entry.group == .instrumentor, let enabled, !enabled.contains(name) {
            lines.append(subject + "skipped: not listed in OTEL_NATIVE_ENABLED_INSTRUMENTATIONS")
        } else if let path = PluginSearchPath.resolveLibrary(entry.library, manifestPath: entry.location.file,
                                                             libraryDirectory: locations.libraryDirectory, fileSystem: .live) {
            if let failure = PluginLoader.inspect(entry, libraryPath: path) {
                lines.append(subject + "would fail: \(failure)")
            } else {
                lines.append(subject + "would load \(path)")
            }
        } else {
            lines.append(subject + "would fail: \(PluginLoadFailure.libraryNotFound(entry.library))")
        }
    }
    lines += catalog.problems.map { "problem: " + $0 }
    return lines.joined(separator: "\n")
}

// Parse the command line.
var arguments = Array(CommandLine.arguments.dropFirst())
var overrides: [(String, String)] = []
var index = 0
parsing: while index < arguments.count {
    let argument = arguments[index]
    switch argument {
    case "--":
        index += 1
        break parsing
    case "--help", "-h":
        print(help())
        exit(0)
    case "--version":
        print("\(tool) \(otelNativeVersion)")
        exit(0)
    case "--explain":
        print(explain())
        exit(0)
    case "--print-flag-table":
        // For the build: the C front end's table of the core's flags.
        print("/* Generated by otel-instrument-tool --print-flag-table. */")
        for setting in settings(includingPlugins: false) {
            print("{\"\(setting.flag)\", \"\(setting.variable)\"},")
        }
        exit(0)
    default:
        guard argument.hasPrefix("--") else { break parsing }
        var name = String(argument.dropFirst(2))
        var value: String?
        if let equals = name.firstIndex(of: "=") {
            value = String(name[name.index(after: equals)...])
            name = String(name[..<equals])
        }
        guard let setting = setting(forFlag: name) else {
            printError("\(tool): unknown flag --\(name)\n\(usage())")
            exit(2)
        }
        if value == nil {
            index += 1
            guard index < arguments.count else {
                printError("\(tool): --\(name) needs a value\n\(usage())")
                exit(2)
            }
            value = arguments[index]
        }
        overrides.append((setting.variable, value!))
    }
    index += 1
}
guard index < arguments.count else {
    printError("\(tool): no program to run\n\(usage())")
    exit(2)
}
let program = arguments[index]
let programArguments = Array(arguments[index...])

// The environment the program starts with.
for (variable, value) in overrides { setenv(variable, value, 1) }
let existingPreload = getenv("LD_PRELOAD").map { String(cString: $0) } ?? ""
setenv("LD_PRELOAD", existingPreload.isEmpty ? preloadLibrary : preloadLibrary + ":" + existingPreload, 1)
setenv("OTEL_NATIVE_RUNTIME_LIBRARY", runtimeLibrary, 1)

/// execv with a PATH search like execvp's; returns only on failure, with the errno that matters.
func execute(_ program: String, _ arguments: [String]) -> Int32 {
    let argv = arguments.map { strdup($0) } + [nil]
    if program.contains("/") {
        execv(program, argv)
        return errno
    }
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
    var sawPermissionDenied = false
    for directory in path.split(separator: ":", omittingEmptySubsequences: false) {
        let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + program
        execv(candidate, argv)
        if errno == EACCES { sawPermissionDenied = true }
    }
    return sawPermissionDenied ? EACCES : ENOENT
}

let failure = execute(program, programArguments)
if failure == ENOENT {
    printError("\(tool): \(program): command not found")
    exit(127)
}
printError("\(tool): \(program): \(String(cString: strerror(failure)))")
exit(126)
