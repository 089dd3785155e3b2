/// A log record as processors and exporters see it (logs data model,
/// "Log and Event Record Definition"). Immutable once emitted.
public final class LogRecordData: Sendable {
    /// When the event happened (ns since the epoch), if the source said.
    public let timestamp: UInt64?
    /// When the SDK saw it (ns since the epoch).
    public let observedTimestamp: UInt64
    /// 1–24 (TRACE 1 … FATAL 21), 0 when unspecified.
    public let severityNumber: Int
    public let severityText: String?
    public let body: AttributeValue?
    public let attributes: Attributes
    /// The span the record was emitted in (trace correlation), if any.
    public let spanContext: SpanContext?
    public let eventName: String?
    public let scope: InstrumentationScope
    public let resource: Resource

    public init(timestamp: UInt64?, observedTimestamp: UInt64, severityNumber: Int, severityText: String?, body: AttributeValue?,
                attributes: Attributes, spanContext: SpanContext?, eventName: String?, scope: InstrumentationScope, resource: Resource) {
        self.timestamp = timestamp
        self.observedTimestamp = observedTimestamp
        self.severityNumber = severityNumber
        self.severityText = severityText
        self.body = body
        self.attributes = attributes
        self.spanContext = spanContext
        self.eventName = eventName
        self.scope = scope
        self.resource = resource
    }
}

/// The limits of a log record's attributes (OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT
/// and _VALUE_LENGTH_LIMIT, falling back to OTEL_ATTRIBUTE_*_LIMIT).
public struct LogRecordLimits: Sendable, Equatable {
    public var attributeCount: Int = 128
    public var attributeValueLength: Int? = nil

    public init() {}

    public init(config: ConfigReader) {
        attributeCount = config.int("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", default: config.int("OTEL_ATTRIBUTE_COUNT_LIMIT", default: 128))
        attributeValueLength = config.optionalInt("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT")
            ?? config.optionalInt("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT")
    }
}

/// Receives every emitted record (logs SDK, "LogRecordProcessor").
public protocol LogRecordProcessor: AnyObject, Sendable {
    func onEmit(_ record: LogRecordData)
    func forceFlush(timeoutNanoseconds: UInt64) -> Bool
    func shutdown(timeoutNanoseconds: UInt64) -> Bool
    /// In a forked child: forget what the parent had pending (SpanProcessor's twin).
    func afterForkInChild()
}

extension LogRecordProcessor {
    /// Nothing to repair by default.
    public func afterForkInChild() {}
}

/// Exports batches of records (logs SDK, "LogRecordExporter"). Called by one thread at a time.
public protocol LogRecordExporter: AnyObject, Sendable {
    func export(_ records: [LogRecordData]) -> ExportResult
    func forceFlush(timeoutNanoseconds: UInt64) -> Bool
    func shutdown(timeoutNanoseconds: UInt64) -> Bool
    /// As SpanExporter's.
    var confinesDescriptors: Bool { get }
}

extension LogRecordExporter {
    public var confinesDescriptors: Bool { false }
}

/// Batches records and exports them from one background thread (logs SDK,
/// "Batching processor"; OTEL_BLRP_*, schedule delay 1000 ms by default).
public final class BatchLogRecordProcessor: LogRecordProcessor, @unchecked Sendable {
    let exporter: any LogRecordExporter
    private let queue: BatchExportQueue<LogRecordData>

    public func afterForkInChild() { queue.resetAfterFork() }

    public init(exporter: any LogRecordExporter, configuration: BatchConfiguration, diagnostics: Diagnostics) {
        self.exporter = exporter
        queue = BatchExportQueue(configuration: configuration, itemName: "log record", variablePrefix: "OTEL_BLRP",
                                 threadName: "otel-blrp", ownDescriptors: exporter.confinesDescriptors, diagnostics: diagnostics) { batch in
            if exporter.export(batch) == .failure {
                // The exporter has said why (each reports its own failures); this is for debugging.
                diagnostics.debug("the log record exporter failed to export a batch")
            }
        }
    }

    /// Records dropped so far because the queue was full.
    public var droppedRecords: Int { queue.droppedCount }

    public func onEmit(_ record: LogRecordData) { queue.push(record) }

    public func forceFlush(timeoutNanoseconds: UInt64) -> Bool {
        queue.forceFlush(timeoutNanoseconds: timeoutNanoseconds) && exporter.forceFlush(timeoutNanoseconds: timeoutNanoseconds)
    }

    public func shutdown(timeoutNanoseconds: UInt64) -> Bool {
        let deadline = monotonicDeadline(after: timeoutNanoseconds)
        guard let drained = queue.shutdown(deadline: deadline) else { return true }
        let now = monotonicDeadline(after: 0)
        return exporter.shutdown(timeoutNanoseconds: deadline > now ? deadline - now : 0) && drained
    }
}
