/// Encodes a collection as an OTLP `ExportMetricsServiceRequest` in protobuf
/// (opentelemetry/proto/collector/metrics/v1/metrics_service.proto and
/// metrics/v1/metrics.proto, field numbers as there).
public enum OTLPMetricsEncoder {
    /// The request for `metrics` of `resource`, grouped by instrumentation scope.
    public static func encode(_ metrics: [MetricData], resource: Resource) -> [UInt8] {
        var scopes: [InstrumentationScope] = []
        for metric in metrics where !scopes.contains(metric.scope) { scopes.append(metric.scope) }
        var writer = ProtobufWriter(expectedBytes: 1024)
        writer.messageField(1) { resourceMetrics in
            resourceMetrics.messageField(1) { OTLPCommon.resource(&$0, resource) }
            for scope in scopes {
                resourceMetrics.messageField(2) { scopeMetrics in
                    scopeMetrics.messageField(1) { OTLPCommon.scope(&$0, scope) }
                    for metric in metrics where metric.scope == scope { scopeMetrics.messageField(2) { encodeMetric(&$0, metric) } }
                    scopeMetrics.stringField(3, scope.schemaURL ?? "")
                }
            }
            resourceMetrics.stringField(3, resource.schemaURL)
        }
        return writer.bytes
    }

    static func encodeMetric(_ writer: inout ProtobufWriter, _ metric: MetricData) {
        writer.stringField(1, metric.name)
        writer.stringField(2, metric.description)
        writer.stringField(3, metric.unit)
        let temporality = UInt64(metric.temporality?.rawValue ?? 0)
        switch metric.kind {
        case .gauge:
            writer.messageField(5) { gauge in
                for point in metric.points { gauge.messageField(1) { numberPoint(&$0, point) } }
            }
        case .histogram:
            writer.messageField(9) { histogram in
                for point in metric.points { histogram.messageField(1) { histogramPoint(&$0, point) } }
                histogram.varintField(2, temporality)
            }
        case .counter, .upDownCounter:
            writer.messageField(7) { sum in
                for point in metric.points { sum.messageField(1) { numberPoint(&$0, point) } }
                sum.varintField(2, temporality)
                sum.boolField(3, metric.isMonotonic)
            }
        }
    }

    /// NumberDataPoint: the value is a oneof (as_double 4, as_int 6), written even when zero.
    static func numberPoint(_ writer: inout ProtobufWriter, _ point: MetricPoint) {
        writer.fixed64Field(2, point.startTime ?? 0)
        writer.fixed64Field(3, point.time)
        switch point.value {
        case .double(let value): writer.doubleField(4, value, always: true)
        case .int(let value): writer.fixed64Field(6, UInt64(bitPattern: value), always: true)
        case .histogram: break
        }
        OTLPCommon.keyValues(&writer, field: 7, point.attributes)
    }

    /// HistogramDataPoint: sum, min and max are `optional`, so written even when zero.
    static func histogramPoint(_ writer: inout ProtobufWriter, _ point: MetricPoint) {
        guard case .histogram(let value) = point.value else { return }
        writer.fixed64Field(2, point.startTime ?? 0)
        writer.fixed64Field(3, point.time)
        writer.fixed64Field(4, value.count)
        writer.doubleField(5, value.sum, always: true)
        writer.packedFixed64Field(6, value.bucketCounts)
        writer.packedDoubleField(7, value.boundaries)
        OTLPCommon.keyValues(&writer, field: 9, point.attributes)
        if value.count > 0 {
            writer.doubleField(11, value.min, always: true)
            writer.doubleField(12, value.max, always: true)
        }
    }
}
