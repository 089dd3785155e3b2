import COTelCoreShims
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The SDK as installed in this process: provider, propagator, diagnostics.
public final class SDKState: Sendable {
    public let diagnostics: Diagnostics
    /// Nil when the SDK is disabled or not initialised: spans are then non-recording.
    public let tracerProvider: TracerProvider?
    /// Nil when the SDK is disabled or not initialised: instruments record nothing.
    public let meterProvider: MeterProvider?
    /// Nil when the SDK is disabled or not initialised: log records are dropped.
    public let loggerProvider: LoggerProvider?
    public let propagator: any TextMapPropagator
    /// The tracer used when the C API is given none.
    public let defaultTracer: Tracer?
    public let shutdownTimeoutNanoseconds: UInt64

    public init(diagnostics: Diagnostics, tracerProvider: TracerProvider?, meterProvider: MeterProvider? = nil,
                loggerProvider: LoggerProvider? = nil, propagator: any TextMapPropagator,
                shutdownTimeoutNanoseconds: UInt64 = 5_000_000_000) {
        self.diagnostics = diagnostics
        self.tracerProvider = tracerProvider
        self.meterProvider = meterProvider
        self.loggerProvider = loggerProvider
        self.propagator = propagator
        self.defaultTracer = tracerProvider?.tracer(name: "otel-native", version: otelNativeVersion)
        self.shutdownTimeoutNanoseconds = shutdownTimeoutNanoseconds
    }
}

/// The installed SDKState's address (0: none), retained forever once installed.
private let installedState = Atomic<UInt>(0)
private let exitHandlerRegistered = Atomic<Bool>(false)
private let fallbackState = SDKState(diagnostics: Diagnostics(), tracerProvider: nil,
                                     propagator: CompositePropagator([TraceContextPropagator(), BaggagePropagator()]))

/// The process-wide SDK: how it is configured from OTEL_* variables and found
/// by the C API and instrumentations.
public enum OTelSDK {
    /// The installed state (a no-op one before `initialize`).
    public static var state: SDKState {
        @inline(__always) get {
            guard let pointer = UnsafeRawPointer(bitPattern: installedState.load(ordering: .acquiring)) else { return fallbackState }
            return Unmanaged<SDKState>.fromOpaque(pointer).takeUnretainedValue()
        }
    }

    /// Runs `body` with the installed state, without reference counting (the
    /// state is never freed once installed): for the span-start path.
    @inline(__always)
    static func withState<R>(_ body: (SDKState) -> R) -> R {
        guard let pointer = UnsafeRawPointer(bitPattern: installedState.load(ordering: .acquiring)) else { return body(fallbackState) }
        return Unmanaged<SDKState>.fromOpaque(pointer)._withUnsafeGuaranteedRef(body)
    }

    /// The installed diagnostics.
    public static var diagnostics: Diagnostics { state.diagnostics }

    /// Configures the SDK from `environment` (with plugin components from
    /// `registry` resolved by name), installs it, and arranges for
    /// pending spans to be exported when the process exits (exit() or return
    /// from main), bounded by OTEL_NATIVE_SHUTDOWN_TIMEOUT.
    @discardableResult
    /// `diagnostics`: the process's diagnostics when the caller already made
    /// them (so that each message is still printed once); else from OTEL_LOG_LEVEL.
    public static func initialize(environment: Environment = .process, registry: ComponentRegistry = .empty,
                                  diagnostics: Diagnostics? = nil) -> SDKState {
        let diagnostics = diagnostics ?? Diagnostics(environment: environment)
        let config = ConfigReader(environment: environment, diagnostics: diagnostics)
        let configuration = SDKConfiguration(config: config, registry: registry)
        exportThreadsMayOwnDescriptors.store(config.bool("OTEL_NATIVE_EXPORT_OWN_DESCRIPTORS", default: true), ordering: .relaxed)
        var provider: TracerProvider?
        var meterProvider: MeterProvider?
        var loggerProvider: LoggerProvider?
        if !configuration.disabled {
            loggerProvider = LoggerProvider(resource: configuration.resource, limits: configuration.logLimits,
                                            processors: configuration.makeLogRecordProcessors(diagnostics: diagnostics),
                                            diagnostics: diagnostics)
            provider = TracerProvider(resource: configuration.resource, sampler: configuration.sampler,
                                      idGenerator: configuration.idGenerator, limits: configuration.limits,
                                      processors: configuration.makeProcessors(diagnostics: diagnostics),
                                      diagnostics: diagnostics)
            meterProvider = MeterProvider(resource: configuration.resource,
                                          exporters: configuration.makeMetricExporters(diagnostics: diagnostics),
                                          intervalNanoseconds: configuration.metricExportIntervalNanoseconds,
                                          timeoutNanoseconds: configuration.metricExportTimeoutNanoseconds,
                                          temporality: configuration.temporality, diagnostics: diagnostics)
        }
        let state = SDKState(diagnostics: diagnostics, tracerProvider: provider, meterProvider: meterProvider,
                             loggerProvider: loggerProvider, propagator: configuration.propagator, shutdownTimeoutNanoseconds: configuration.shutdownTimeoutNanoseconds)
        install(state)
        return state
    }

    /// Installs `state` as the process's SDK. A replaced state stays alive
    /// (other threads may still hold it) and is shut down.
    public static func install(_ state: SDKState) {
        let pointer = UInt(bitPattern: Unmanaged.passRetained(state).toOpaque())
        if let previous = UnsafeRawPointer(bitPattern: installedState.exchange(pointer, ordering: .acquiringAndReleasing)) {
            let old = Unmanaged<SDKState>.fromOpaque(previous).takeUnretainedValue()
            old.tracerProvider?.shutdown(timeoutNanoseconds: old.shutdownTimeoutNanoseconds)
            old.meterProvider?.shutdown(timeoutNanoseconds: old.shutdownTimeoutNanoseconds)
            old.loggerProvider?.shutdown(timeoutNanoseconds: old.shutdownTimeoutNanoseconds)
        }
        // The old state stays allocated, so a handle C read just before this stays valid.
        otel_shim_set_default_tracer(state.defaultTracer.map { UnsafeMutableRawPointer($0.cHandle) })
        if !exitHandlerRegistered.exchange(true, ordering: .relaxed) {
            atexit { OTelSDK.shutdown() }
            _ = otel_shim_on_fork({ OTelSDK.beforeFork() }, { OTelSDK.afterForkInParent() }, { OTelSDK.afterForkInChild() })
        }
    }

    /// Before fork: the SDK's shared tables taken (outer ones first, as they
    /// nest), so that no thread is changing one when the process is copied.
    static func beforeFork() {
        let state = state
        state.tracerProvider?.lockForFork()
        state.loggerProvider?.lockForFork()
        state.meterProvider?.lockForFork()
        state.diagnostics.lockForFork()
    }

    /// After fork, in the parent: the tables given back.
    static func afterForkInParent() { unlockAfterFork(state) }

    private static func unlockAfterFork(_ state: SDKState) {
        state.diagnostics.unlockAfterFork()
        state.meterProvider?.unlockAfterFork()
        state.loggerProvider?.unlockAfterFork()
        state.tracerProvider?.unlockAfterFork()
    }

    /// In a forked child, from pthread_atfork's child handler while the child
    /// has one thread: the installed SDK forgets what the parent had pending
    /// (never sent twice), gets the child's pid, and restarts its threads on
    /// demand (OpenTelemetry Python's batch processors do the same through
    /// os.register_at_fork).
    static func afterForkInChild() {
        let state = state
        unlockAfterFork(state)
        state.tracerProvider?.afterForkInChild()
        state.loggerProvider?.afterForkInChild()
        state.meterProvider?.afterForkInChild()
    }

    /// Exports what is pending without stopping anything, bounded by the
    /// configured shutdown timeout (before the process image is replaced).
    public static func flush() {
        let state = state
        let remaining = remainingTime(of: state.shutdownTimeoutNanoseconds)
        _ = state.tracerProvider?.forceFlush(timeoutNanoseconds: remaining())
        _ = state.loggerProvider?.forceFlush(timeoutNanoseconds: remaining())
        _ = state.meterProvider?.forceFlush(timeoutNanoseconds: remaining())
    }

    /// Exports what is pending and stops the SDK, once; bounded by the
    /// configured shutdown timeout.
    public static func shutdown() {
        otel_shim_set_process_exiting()
        let state = state
        let remaining = remainingTime(of: state.shutdownTimeoutNanoseconds)
        state.tracerProvider?.shutdown(timeoutNanoseconds: remaining())
        state.loggerProvider?.shutdown(timeoutNanoseconds: remaining())
        state.meterProvider?.shutdown(timeoutNanoseconds: remaining())
    }

    /// What is left, each time it is asked, of `nanoseconds` counted from now:
    /// one deadline shared by the steps of a flush or shutdown.
    private static func remainingTime(of nanoseconds: UInt64) -> () -> UInt64 {
        let deadline = monotonicDeadline(after: nanoseconds)
        return {
            let now = monotonicDeadline(after: 0)
            return deadline > now ? deadline - now : 0
        }
    }

    /// The logger of an instrumentation scope, or nil when the SDK is off.
    public static func logger(name: String, version: String? = nil, schemaURL: String? = nil) -> Logger? {
        state.loggerProvider?.logger(name: name, version: version, schemaURL: schemaURL)
    }

    /// The meter of an instrumentation scope, or nil when the SDK is off.
    public static func meter(name: String, version: String? = nil, schemaURL: String? = nil) -> Meter? {
        state.meterProvider?.meter(name: name, version: version, schemaURL: schemaURL)
    }

    /// The tracer of an instrumentation scope, or nil when the SDK is off.
    public static func tracer(name: String, version: String? = nil, schemaURL: String? = nil) -> Tracer? {
        state.tracerProvider?.tracer(name: name, version: version, schemaURL: schemaURL)
    }
}
