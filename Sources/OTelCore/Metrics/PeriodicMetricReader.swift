/// Collects every `interval` on a background thread and hands the metrics to
/// the exporters (metrics SDK, "Periodic exporting MetricReader";
/// OTEL_METRIC_EXPORT_INTERVAL and OTEL_METRIC_EXPORT_TIMEOUT). One reader
/// serves every exporter, so a delta collection is never split between them.
final class PeriodicMetricReader: @unchecked Sendable {
    let exporters: [any MetricExporter]
    let intervalNanoseconds: UInt64
    let timeoutNanoseconds: UInt64
    let diagnostics: Diagnostics
    private var collectMetrics: (() -> [MetricData])?
    private var resource: Resource?
    /// Guards the fields below and the thread's sleep.
    private let lock = ConditionLock()
    private var stopping = false
    /// True until the thread starts (a reader never started has nothing to wait for).
    private var workerExited = true
    /// Serialises collections (the worker's, forceFlush's, the final one).
    private let exportLock = ConditionLock()

    init(exporters: [any MetricExporter], intervalNanoseconds: UInt64, timeoutNanoseconds: UInt64, diagnostics: Diagnostics) {
        self.exporters = exporters
        self.intervalNanoseconds = max(intervalNanoseconds, 1_000_000)
        self.timeoutNanoseconds = timeoutNanoseconds
        self.diagnostics = diagnostics
    }

    /// In a forked child (one thread): the locks as new and no thread running,
    /// until `start` is called again.
    func resetAfterFork() {
        lock.reinitializeAfterFork()
        exportLock.reinitializeAfterFork()
        stopping = false
        workerExited = true
    }

    /// Starts the export thread, collecting with `collect`.
    func start(resource: Resource, collecting collect: @escaping () -> [MetricData]) {
        lock.withLock {
            self.collectMetrics = collect
            self.resource = resource
            workerExited = false
        }
        let ownDescriptors = exporters.allSatisfy(\.confinesDescriptors)
        if !startBackgroundThread(name: "otel-metrics", ownDescriptors: ownDescriptors, { [self] in run() }) {
            lock.withLock { workerExited = true }
            diagnostics.error("could not start the metric export thread; metrics are exported at exit only")
        }
    }

    private func run() {
        lock.lock()
        while !stopping {
            let deadline = monotonicDeadline(after: intervalNanoseconds)
            while !stopping && lock.wait(untilMonotonic: deadline) {}
            if stopping { break }
            lock.unlock()
            collectAndExport(timeoutNanoseconds: timeoutNanoseconds)
            lock.lock()
        }
        workerExited = true
        lock.broadcast()
        lock.unlock()
    }

    /// Collects and exports once; false when an exporter failed.
    @discardableResult
    func collectAndExport(timeoutNanoseconds: UInt64) -> Bool {
        let (collect, resource) = lock.withLock { (collectMetrics, self.resource) }
        guard let collect, let resource else { return true }
        return exportLock.withLock {
            let metrics = collect()
            if metrics.isEmpty { return true }
            var succeeded = true
            for exporter in exporters where exporter.export(metrics, resource: resource) == .failure {
                // The exporter has said why (each reports its own failures); this is for debugging.
                diagnostics.debug("a metric exporter failed to export")
                succeeded = false
            }
            return succeeded
        }
    }

    /// Stops the thread, exports what was recorded since the last collection
    /// and shuts the exporters down, within `timeoutNanoseconds`.
    func shutdown(timeoutNanoseconds: UInt64) -> Bool {
        let deadline = monotonicDeadline(after: timeoutNanoseconds)
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
        let exported = collectAndExport(timeoutNanoseconds: timeoutNanoseconds)
        lock.lock()
        while !workerExited {
            if !lock.wait(untilMonotonic: deadline) { break }
        }
        lock.unlock()
        let now = monotonicDeadline(after: 0)
        let remaining = deadline > now ? deadline - now : 0
        return exporters.reduce(exported) { $0 && $1.shutdown(timeoutNanoseconds: remaining) }
    }
}
