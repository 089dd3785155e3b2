/// How a sum or histogram point relates to earlier ones (metrics data model,
/// "Temporality"): since the previous collection, or since the start.
public enum AggregationTemporality: Int, Sendable {
    /// OTLP's numbering: 1 delta, 2 cumulative.
    case delta = 1, cumulative = 2
}

/// The temporality an exporter wants per instrument kind, from
/// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE (OTLP exporter spec).
public enum TemporalityPreference: String, Sendable {
    case cumulative, delta, lowmemory

    /// The temporality of `kind`'s points: counters and histograms follow the
    /// preference, up-down counters stay cumulative.
    func temporality(for kind: InstrumentKind) -> AggregationTemporality {
        switch (self, kind) {
        case (.delta, .counter), (.delta, .histogram), (.lowmemory, .counter), (.lowmemory, .histogram): .delta
        default: .cumulative
        }
    }
}

/// The value of one point.
public enum MetricPointValue: Sendable, Equatable {
    case int(Int64)
    case double(Double)
    case histogram(HistogramPointValue)
}

/// An explicit-bucket histogram point: `bucketCounts` has one more entry than
/// `boundaries` (the last counts values above every boundary).
public struct HistogramPointValue: Sendable, Equatable {
    public var count: UInt64
    public var sum: Double
    public var min: Double
    public var max: Double
    public var boundaries: [Double]
    public var bucketCounts: [UInt64]
}

/// One attribute set's value at a collection.
public struct MetricPoint: Sendable {
    public var attributes: [Attribute]
    /// Nil for gauges (a last value has no interval).
    public var startTime: UInt64?
    public var time: UInt64
    public var value: MetricPointValue
}

/// One instrument's points at a collection (what exporters receive).
public struct MetricData: Sendable {
    public var name: String
    public var description: String
    public var unit: String
    public var kind: InstrumentKind
    /// Whether the instrument records floating-point values (else integers).
    public var valueIsDouble: Bool
    public var scope: InstrumentationScope
    /// Nil for gauges.
    public var temporality: AggregationTemporality?
    public var points: [MetricPoint]

    /// Whether the points are a sum that only grows.
    public var isMonotonic: Bool { kind.isMonotonic }
}
