/// Writes each collection as OpenTelemetry Python's ConsoleMetricExporter
/// does: the pretty-printed JSON of `MetricsData.to_json()` followed by a
/// newline, keys in the same order, values in the same format.
public final class ConsoleMetricExporter: MetricExporter {
    let output: ConsoleOutput

    public init(destination: ConsoleDestination = .standardOutput, diagnostics: Diagnostics) {
        output = ConsoleOutput(destination: destination, diagnostics: diagnostics)
    }

    public func export(_ metrics: [MetricData], resource: Resource) -> ExportResult {
        output.write(Self.render(metrics, resource: resource) + "\n") ? .success : .failure
    }

    public func forceFlush(timeoutNanoseconds: UInt64) -> Bool { true }

    public func shutdown(timeoutNanoseconds: UInt64) -> Bool {
        output.close()
        return true
    }

    /// One collection as `MetricsData.to_json(indent=4)` of OpenTelemetry Python renders it:
    /// one resource, its scopes in the order their first instrument was made.
    public static func render(_ metrics: [MetricData], resource: Resource) -> String {
        var scopes: [InstrumentationScope] = []
        for metric in metrics where !scopes.contains(metric.scope) { scopes.append(metric.scope) }
        let scopeMetrics: [PythonJSON] = scopes.map { scope in
            .object([
                ("scope", .object([
                    ("name", .string(scope.name)),
                    ("version", scope.version.map(PythonJSON.string) ?? .null),
                    ("schema_url", .string(scope.schemaURL ?? "")),
                    ("attributes", .null),
                ])),
                ("metrics", .array(metrics.filter { $0.scope == scope }.map(metricJSON))),
                ("schema_url", .string(scope.schemaURL ?? "")),
            ])
        }
        return PythonJSON.object([
            ("resource_metrics", .array([
                .object([
                    ("resource", .object([
                        ("attributes", ConsoleSpanExporter.attributesJSON(resource.attributes)),
                        ("schema_url", .string(resource.schemaURL)),
                    ])),
                    ("scope_metrics", .array(scopeMetrics)),
                    ("schema_url", .string(resource.schemaURL)),
                ]),
            ])),
        ]).rendered()
    }

    static func metricJSON(_ metric: MetricData) -> PythonJSON {
        var data: [(String, PythonJSON)] = [("data_points", .array(metric.points.map { pointJSON($0, metric) }))]
        if let temporality = metric.temporality { data.append(("aggregation_temporality", .int(Int64(temporality.rawValue)))) }
        if metric.kind == .counter || metric.kind == .upDownCounter { data.append(("is_monotonic", .bool(metric.isMonotonic))) }
        return .object([
            ("name", .string(metric.name)),
            ("description", .string(metric.description)),
            ("unit", .string(metric.unit)),
            ("data", .object(data)),
        ])
    }

    static func pointJSON(_ point: MetricPoint, _ metric: MetricData) -> PythonJSON {
        var members: [(String, PythonJSON)] = [
            ("attributes", .object(point.attributes.map { ($0.key, ConsoleSpanExporter.valueJSON($0.value)) })),
            ("start_time_unix_nano", point.startTime.map { .int(Int64(bitPattern: $0)) } ?? .null),
            ("time_unix_nano", .int(Int64(bitPattern: point.time))),
        ]
        switch point.value {
        case .int(let value):
            members.append(("value", .int(value)))
        case .double(let value):
            members.append(("value", .double(value)))
        case .histogram(let histogram):
            // An integer histogram's sum, min and max print as integers, as in Python.
            let isDouble = metric.valueIsDouble
            func number(_ value: Double) -> PythonJSON { isDouble ? .double(value) : .int(Int64(value)) }
            members += [
                ("count", .int(Int64(histogram.count))),
                ("sum", number(histogram.sum)),
                ("bucket_counts", .array(histogram.bucketCounts.map { .int(Int64($0)) })),
                ("explicit_bounds", .array(histogram.boundaries.map { .double($0) })),
                ("min", number(histogram.min)),
                ("max", number(histogram.max)),
            ]
        }
        members.append(("exemplars", .array([])))
        return .object(members)
    }
}
