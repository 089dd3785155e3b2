import COTelCoreShims
import Synchronization

/// Emits the log records of one instrumentation scope (logs API, "Logger").
public final class Logger: Sendable {
    public let scope: InstrumentationScope
    let provider: LoggerProvider

    init(scope: InstrumentationScope, provider: LoggerProvider) {
        self.scope = scope
        self.provider = provider
    }

    /// The logger as the C API's `otel_logger *`.
    public var cLogger: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    /// Emits a record. `spanContext` defaults to the calling thread's current
    /// span (logs SDK, "Emit a LogRecord": the trace context comes from the
    /// current context); `timestamp` is nil when the source did not say when.
    public func emit(body: AttributeValue?, severityNumber: Int = 0, severityText: String? = nil, attributes: [Attribute] = [],
                     timestamp: UInt64? = nil, eventName: String? = nil, spanContext: SpanContext?? = nil) {
        guard !provider.isShutdown, !provider.processors.isEmpty else { return }
        var kept = Attributes(countLimit: provider.limits.attributeCount, valueLengthLimit: provider.limits.attributeValueLength)
        for attribute in attributes { kept.set(attribute.key, attribute.value) }
        let context = spanContext ?? ThreadState.currentSpanContextOfThisThread
        let record = LogRecordData(timestamp: timestamp, observedTimestamp: otel_shim_realtime_ns(),
                                   severityNumber: min(max(severityNumber, 0), 24), severityText: severityText, body: body,
                                   attributes: kept, spanContext: context.flatMap { $0.isValid ? $0 : nil }, eventName: eventName,
                                   scope: scope, resource: provider.resource)
        for processor in provider.processors { processor.onEmit(record) }
    }
}

/// The entry point of the logs SDK: resource, limits, processors, loggers
/// (logs SDK, "LoggerProvider").
public final class LoggerProvider: Sendable {
    /// The resource of every record (process.pid renewed in a forked child).
    public var resource: Resource { storedResource }
    /// Written only in a forked child's fork handler, while it has one thread.
    nonisolated(unsafe) private var storedResource: Resource
    public let limits: LogRecordLimits
    let processors: [any LogRecordProcessor]
    let diagnostics: Diagnostics
    private let loggers = ScopedInstances<Logger>(kind: "logger")
    private let shutdownFlag = Atomic<Bool>(false)

    public init(resource: Resource, limits: LogRecordLimits = LogRecordLimits(), processors: [any LogRecordProcessor],
                diagnostics: Diagnostics) {
        storedResource = resource
        self.limits = limits
        self.processors = processors
        self.diagnostics = diagnostics
    }

    /// In a forked child: the child's pid in the resource, the processors repaired.
    /// Before fork: its table taken, so that the child gets it whole.
    func lockForFork() { loggers.lockForFork() }

    /// After fork, in both processes.
    func unlockAfterFork() { loggers.unlockAfterFork() }

    func afterForkInChild() {
        storedResource = storedResource.withCurrentProcessId()
        for processor in processors { processor.afterForkInChild() }
    }

    /// The logger of a scope; the same scope always yields the same logger.
    public func logger(name: String, version: String? = nil, schemaURL: String? = nil) -> Logger {
        loggers.get(name: name, version: version, schemaURL: schemaURL, diagnostics: diagnostics) { Logger(scope: $0, provider: self) }
    }

    /// True after shutdown: records emitted later are dropped.
    public var isShutdown: Bool { shutdownFlag.load(ordering: .relaxed) }

    @discardableResult
    public func forceFlush(timeoutNanoseconds: UInt64) -> Bool {
        processors.reduce(true) { $0 && $1.forceFlush(timeoutNanoseconds: timeoutNanoseconds) }
    }

    /// Exports what is pending and stops every processor once; later calls return false.
    @discardableResult
    public func shutdown(timeoutNanoseconds: UInt64) -> Bool {
        if shutdownFlag.exchange(true, ordering: .acquiringAndReleasing) { return false }
        return processors.reduce(true) { $0 && $1.shutdown(timeoutNanoseconds: timeoutNanoseconds) }
    }
}
