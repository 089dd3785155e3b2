import COTelCoreShims

extension MetricInstrument {
    /// The instrument's points now: the cells of every thread shard merged by
    /// attribute set, in key order. With delta temporality the cells are
    /// emptied and the interval starts at `intervalStart` (the previous
    /// collection); cumulative points start at their first record.
    func collect(temporality: AggregationTemporality?, now: UInt64, intervalStart: UInt64) -> MetricData? {
        var merger = PointMerger(kind: descriptor.kind, isDouble: descriptor.isDouble)
        withUnsafeMutablePointer(to: &merger) { pointer in
            otel_shim_metric_collect(storage, temporality == .delta, pointer) { context, cell in
                guard let context, let cell else { return }
                context.assumingMemoryBound(to: PointMerger.self).pointee.add(cell.pointee)
            }
        }
        if merger.cells.isEmpty { return nil }
        let points = merger.cells.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { key -> MetricPoint in
            let cell = merger.cells[key]!
            let attributes = key.withUnsafeBytes { AttributeSetKey.attributes($0) }
            let start: UInt64? = descriptor.kind == .gauge ? nil : temporality == .delta ? intervalStart : cell.start
            return MetricPoint(attributes: attributes, startTime: start, time: now, value: cell.value(boundaries: boundaries))
        }
        return MetricData(name: descriptor.name, description: descriptor.description, unit: descriptor.unit,
                          kind: descriptor.kind, valueIsDouble: descriptor.isDouble, scope: scope, temporality: descriptor.kind == .gauge ? nil : temporality,
                          points: points)
    }
}

/// Adds up the cells of one attribute set found in several thread shards.
struct PointMerger {
    struct Merged {
        var start: UInt64
        var time: UInt64
        var int: Int64
        var double: Double
        var count: UInt64
        var min: Double
        var max: Double
        var buckets: [UInt64]
        let kind: InstrumentKind
        let isDouble: Bool

        func value(boundaries: [Double]) -> MetricPointValue {
            switch kind {
            case .histogram:
                .histogram(HistogramPointValue(count: count, sum: double, min: min, max: max, boundaries: boundaries, bucketCounts: buckets))
            default:
                isDouble ? .double(double) : .int(int)
            }
        }
    }

    let kind: InstrumentKind
    let isDouble: Bool
    var cells: [[UInt8]: Merged] = [:]

    mutating func add(_ cell: otel_shim_metric_cell) {
        let key = Array(UnsafeRawBufferPointer(start: cell.key, count: cell.key_length))
        let buckets = Array(UnsafeBufferPointer(start: cell.buckets, count: cell.bucket_count))
        guard var merged = cells[key] else {
            cells[key] = Merged(start: cell.start_ns, time: cell.time_ns, int: cell.int_value, double: cell.double_value,
                                count: cell.count, min: cell.min, max: cell.max, buckets: buckets, kind: kind, isDouble: isDouble)
            return
        }
        merged.start = Swift.min(merged.start, cell.start_ns)
        switch kind {
        case .gauge:
            if cell.time_ns >= merged.time {
                merged.time = cell.time_ns
                merged.int = cell.int_value
                merged.double = cell.double_value
            }
        case .histogram:
            if cell.count > 0 {
                merged.min = merged.count == 0 ? cell.min : Swift.min(merged.min, cell.min)
                merged.max = merged.count == 0 ? cell.max : Swift.max(merged.max, cell.max)
            }
            merged.count += cell.count
            merged.double += cell.double_value
            for index in merged.buckets.indices where index < buckets.count { merged.buckets[index] += buckets[index] }
        default:
            merged.int &+= cell.int_value
            merged.double += cell.double_value
        }
        cells[key] = merged
    }
}
