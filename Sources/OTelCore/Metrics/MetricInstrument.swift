import COTelCore
import COTelCoreShims
import Synchronization

/// The kinds of synchronous instrument (metrics API, "Instrument").
public enum InstrumentKind: Int, Sendable {
    case counter = 0, upDownCounter, histogram, gauge

    /// Whether a sum of this kind only grows (OTLP `is_monotonic`).
    var isMonotonic: Bool { self == .counter }
}

/// What identifies an instrument in its meter: its name (compared without
/// case), kind, unit, description and value type (metrics SDK, "Duplicate
/// instrument registration").
struct InstrumentDescriptor: Hashable, Sendable {
    let name: String
    let kind: InstrumentKind
    let unit: String
    let description: String
    let isDouble: Bool
}

/// One instrument's aggregation: the C cells (metric_storage.c) that every
/// thread records into without waiting for the others, and what a collection
/// needs to turn them into points.
public final class MetricInstrument: Sendable {
    let descriptor: InstrumentDescriptor
    let scope: InstrumentationScope
    /// Histograms: the explicit bucket boundaries (ascending).
    let boundaries: [Double]
    /// Nil when nothing reads the instrument (no exporter, or after shutdown,
    /// or no memory): recording then does nothing.
    nonisolated(unsafe) let storage: OpaquePointer?
    private let diagnostics: Diagnostics
    /// Reported once: a negative value given to a counter or a histogram.
    private let negativeReported = Atomic<Bool>(false)
    /// Starts the provider's reader thread; called with the first record, so
    /// a process whose instruments never record starts no thread.
    fileprivate let startReader: @Sendable () -> Void
    /// What the C API's `otel_instrument *` points to (instrument_fast_path.c
    /// records from it alone); it also keeps whether the instrument has recorded.
    nonisolated(unsafe) let cHandle: UnsafeMutablePointer<otel_shim_instrument_handle>

    init(descriptor: InstrumentDescriptor, scope: InstrumentationScope, boundaries: [Double], cardinalityLimit: Int,
         records: Bool, diagnostics: Diagnostics, startReader: @escaping @Sendable () -> Void = {}) {
        self.descriptor = descriptor
        self.scope = scope
        self.boundaries = boundaries
        self.diagnostics = diagnostics
        self.startReader = startReader
        storage = !records ? nil : boundaries.withUnsafeBufferPointer {
            otel_shim_metric_storage_create(UInt8(descriptor.kind.rawValue), descriptor.isDouble, $0.baseAddress, $0.count,
                                            cardinalityLimit)
        }
        cHandle = .allocate(capacity: 1)
        cHandle.initialize(to: otel_shim_instrument_handle(storage: storage, kind: UInt8(descriptor.kind.rawValue),
                                                           is_double: descriptor.isDouble, recorded: 0, swift_instrument: nil))
        cHandle.pointee.swift_instrument = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        otel_shim_metric_storage_destroy(storage)
        cHandle.deallocate()
    }

    /// The instrument as the C API's `otel_instrument *`.
    public var cInstrument: OpaquePointer { OpaquePointer(cHandle) }

    /// The instrument behind a C API handle (borrowed: instruments live as long as the process).
    static func from(cInstrument: OpaquePointer) -> Unmanaged<MetricInstrument>? {
        UnsafePointer<otel_shim_instrument_handle>(cInstrument).pointee.swift_instrument.map { Unmanaged.fromOpaque($0) }
    }

    /// Whether `value` may be recorded: counters and histograms take no
    /// negative values (the rule is otel_shim_instrument_takes_negatives's, which C records by too).
    @inline(__always)
    func accepts(negative: Bool) -> Bool {
        guard negative, !otel_shim_instrument_takes_negatives(cHandle) else { return true }
        if !negativeReported.exchange(true, ordering: .relaxed) {
            diagnostics.warn("\(descriptor.name): a \(descriptor.kind == .counter ? "counter" : "histogram") takes no negative values; dropping them")
        }
        return false
    }

    /// `value` as this instrument stores it (an integer or a floating-point
    /// value, the other 0), or nil when it records nothing: no reader, or a
    /// negative value for a counter or histogram.
    @inline(__always)
    func stored(_ value: Int64) -> (int: Int64, double: Double)? {
        guard storage != nil, accepts(negative: value < 0) else { return nil }
        return descriptor.isDouble ? (0, Double(value)) : (value, 0)
    }

    /// The same for a floating-point value (NaN records nothing).
    @inline(__always)
    func stored(_ value: Double) -> (int: Int64, double: Double)? {
        guard storage != nil, !value.isNaN, accepts(negative: value < 0) else { return nil }
        return descriptor.isDouble ? (0, value) : (otel_shim_int64_toward_zero(value), 0)
    }

    /// Records an integer value for `attributes`.
    public func record(_ value: Int64, attributes: [Attribute] = []) {
        guard let value = stored(value) else { return }
        record(int: value.int, double: value.double, attributes: attributes)
    }

    /// Records a floating-point value for `attributes`.
    public func record(_ value: Double, attributes: [Attribute] = []) {
        guard let value = stored(value) else { return }
        record(int: value.int, double: value.double, attributes: attributes)
    }

    /// Starts the reader with the instrument's first record (one relaxed load afterwards).
    @inline(__always)
    private func noteRecord() {
        if otel_shim_instrument_first_record(cHandle) { startReader() }
    }

    private func record(int: Int64, double: Double, attributes: [Attribute]) {
        noteRecord()
        ThreadState.withMetricKeyCache { cache in
            cache.withKey(attributes) { key, hash in
                otel_shim_metric_record(storage, key.baseAddress?.assumingMemoryBound(to: UInt8.self), key.count, hash, int, double)
            }
        }
    }

    /// Records from C attributes (the C API).
    func record(int: Int64, double: Double, attributes: UnsafePointer<otel_attribute>?, count: Int) {
        noteRecord()
        otel_shim_metric_record_attributes(storage, attributes, count, int, double)
    }

}

// What instrument_fast_path.c asks of OTelCore.

@_cdecl("otel_core_instrument_start_reader")
func cInstrumentStartReader(_ instrument: UnsafeMutableRawPointer?) {
    guard let instrument else { return }
    Unmanaged<MetricInstrument>.fromOpaque(instrument)._withUnsafeGuaranteedRef { $0.startReader() }
}

@_cdecl("otel_core_instrument_rejected_negative")
func cInstrumentRejectedNegative(_ instrument: UnsafeMutableRawPointer?) {
    guard let instrument else { return }
    Unmanaged<MetricInstrument>.fromOpaque(instrument)._withUnsafeGuaranteedRef { _ = $0.accepts(negative: true) }
}
