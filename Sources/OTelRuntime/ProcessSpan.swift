#if canImport(Glibc)
import Glibc
#endif
import COTelCoreShims
import OTelCore
import Synchronization

/// One INTERNAL span per instrumented process, from its start to its exit,
/// whose context the process's other work continues (ProcessContext): a
/// process started by an instrumented one continues the span current in its
/// parent (TRACEPARENT in its environment), so a process tree is one trace.
///
/// There is no semantic convention for such a span; its attributes are the
/// process resource's (semantic conventions, "process"): process.pid,
/// process.parent_pid, process.executable.name and .path, process.exit.code,
/// and process.command_args only when OTEL_NATIVE_PROCESS_COMMAND_ARGS is
/// true (a command line can hold secrets). Its status is ERROR for a non-zero
/// exit. OTEL_NATIVE_PROCESS_SPANS=false: no span, the process's work then
/// continues TRACEPARENT directly.
public enum ProcessSpan {
    /// Written once during initialisation, before the program's threads.
    nonisolated(unsafe) private static var span: Span?
    /// The process the span belongs to: a forked or vforked child never ends it.
    nonisolated(unsafe) private static var owner: pid_t = 0
    /// Set in a forked child (the SDK's fork handler ran there; it does not in
    /// a vfork child, which shares its parent's memory and must not export).
    nonisolated(unsafe) private static var forkedChild: pid_t = 0
    private static let ended = Atomic<Bool>(false)
    private static let unknownStatus = Int64.min
    private static let exitStatus = Atomic<Int64>(unknownStatus)

    /// Extracts the context the process was started with and starts its span
    /// as a child of it; installs the result as the process's default context.
    static func start(config: ConfigReader) {
        let state = OTelSDK.state
        let inherited = state.propagator.extract(from: EnvironmentCarrier(), into: .root)
        owner = getpid()
        _ = otel_shim_on_fork(nil, nil) { ProcessSpan.forkedChild = getpid() }
        guard config.bool("OTEL_NATIVE_PROCESS_SPANS", default: true),
              let tracer = OTelSDK.tracer(name: "otel-native.process", version: otelNativeVersion) else {
            ProcessContext.install(inherited)
            return
        }
        // The executable as resource detection found it a moment ago: not read again.
        let resource = state.tracerProvider?.resource.attributes
        var name = "process"
        if case .string(let detected)? = resource?["process.executable.name"] { name = detected }
        var attributes: [Attribute] = [
            Attribute("process.pid", .int(Int64(getpid()))),
            Attribute("process.parent_pid", .int(Int64(getppid()))),
            Attribute("process.executable.name", .string(name)),
        ]
        if let path = resource?["process.executable.path"] { attributes.append(Attribute("process.executable.path", path)) }
        if config.bool("OTEL_NATIVE_PROCESS_COMMAND_ARGS"), let arguments = commandArguments() {
            attributes.append(Attribute("process.command_args", .stringArray(arguments)))
        }
        let processSpan = tracer.startSpan(name, kind: .internal, parent: inherited, attributes: attributes)
        span = processSpan
        ProcessContext.install(inherited.with(span: processSpan))
    }

    /// Records the status the process is about to exit with (a vfork child's
    /// is its own, not its parent's: ignored).
    static func recordExitStatus(_ status: Int32) {
        guard getpid() == owner else { return }
        exitStatus.store(Int64(status), ordering: .relaxed)
    }

    /// Ends the process span (once, and only in the process that started it),
    /// with the exit status recorded, if any, or as killed by `signal`.
    static func end(killedBy signal: Int32? = nil) {
        guard getpid() == owner, !ended.exchange(true, ordering: .acquiringAndReleasing), let span else { return }
        let status = exitStatus.load(ordering: .relaxed)
        if let signal {
            let name = signal == SIGTERM ? "SIGTERM" : signal == SIGINT ? "SIGINT" : "signal \(signal)"
            span.setStatus(SpanStatus(code: .error, description: "terminated by \(name)"))
        } else if status != unknownStatus {
            span.setAttribute("process.exit.code", .int(status))
            if status != 0 { span.setStatus(SpanStatus(code: .error, description: "exit status \(status)")) }
        }
        span.end()
    }

    /// A fatal SIGTERM or SIGINT is ending the process (OTEL_NATIVE_FLUSH_ON_SIGNAL,
    /// on the signal helper thread): the span ends in ERROR, everything is exported.
    static func killed(by signal: Int32) {
        end(killedBy: signal)
        OTelSDK.shutdown()
    }

    /// The process image ends without its exit handlers (exec, _exit): the
    /// span ends and what is pending is exported, bounded. A forked child
    /// exports what it made itself (its parent's span is not its to end); a
    /// vfork child nothing, since it runs on its parent's memory.
    static func imageEnding() {
        let pid = getpid()
        guard pid == owner || pid == forkedChild else { return }
        if pid == owner { end() }
        // As at exit: exporters make one short attempt, so a collector that does not
        // answer delays the exec or _exit by about a second, not a whole timeout.
        otel_shim_set_process_exiting()
        OTelSDK.flush()
    }

    /// The command line from /proc/self/cmdline (NUL-separated arguments).
    static func commandArguments() -> [String]? {
        let fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk.prefix(count))
        }
        if bytes.last == 0 { bytes.removeLast() }
        return bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }
}
