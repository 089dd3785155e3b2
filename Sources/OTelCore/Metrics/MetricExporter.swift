/// Receives the metrics of each collection (metrics SDK, "MetricExporter").
/// Called by one thread at a time.
public protocol MetricExporter: AnyObject, Sendable {
    /// Exports the metrics of one collection of `resource`.
    func export(_ metrics: [MetricData], resource: Resource) -> ExportResult
    func forceFlush(timeoutNanoseconds: UInt64) -> Bool
    func shutdown(timeoutNanoseconds: UInt64) -> Bool
    /// As SpanExporter's.
    var confinesDescriptors: Bool { get }
}

extension MetricExporter {
    public var confinesDescriptors: Bool { false }
}
