import COTelCoreShims
import Synchronization

/// The entry point of the metrics SDK: owns the resource, the instruments of
/// every meter, and the reader that collects and exports them (metrics SDK,
/// "MeterProvider").
public final class MeterProvider: Sendable {
    /// The resource of every point (process.pid renewed in a forked child).
    public var resource: Resource { storedResource }
    /// Written only in a forked child's fork handler, while it has one thread.
    nonisolated(unsafe) private var storedResource: Resource
    let diagnostics: Diagnostics
    /// Nil without exporters: instruments then record nothing.
    private let reader: PeriodicMetricReader?
    let temporality: TemporalityPreference
    let cardinalityLimit: Int
    private let meters = ScopedInstances<Meter>(kind: "meter")
    /// Instruments in creation order (the order they are exported in).
    private let instruments = ForkSafeMutex<[MetricInstrument]>([])
    private let shutdownFlag = Atomic<Bool>(false)
    /// Delta points start where the previous collection ended.
    private let lastCollection: Atomic<UInt64>

    /// The explicit bucket boundaries a histogram gets without advice
    /// (metrics SDK, "Explicit Bucket Histogram Aggregation").
    public static let defaultBoundaries: [Double] = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]

    /// A provider exporting to `exporters` every `intervalNanoseconds`
    /// (each export bounded by `timeoutNanoseconds`), and once more at shutdown.
    public init(resource: Resource, exporters: [any MetricExporter], intervalNanoseconds: UInt64 = 60_000_000_000,
                timeoutNanoseconds: UInt64 = 30_000_000_000, temporality: TemporalityPreference = .cumulative,
                cardinalityLimit: Int = 2000, diagnostics: Diagnostics) {
        storedResource = resource
        self.diagnostics = diagnostics
        self.temporality = temporality
        self.cardinalityLimit = cardinalityLimit
        lastCollection = Atomic(otel_shim_realtime_ns())
        reader = exporters.isEmpty ? nil : PeriodicMetricReader(exporters: exporters, intervalNanoseconds: intervalNanoseconds,
                                                                timeoutNanoseconds: timeoutNanoseconds, diagnostics: diagnostics)
    }

    /// The reader's thread starts with the first record: a process whose
    /// instruments never record (an instrumented library it never calls) pays for no thread.
    private let readerStarted = Atomic<Bool>(false)

    private func startReader() {
        guard let reader, !readerStarted.exchange(true, ordering: .acquiringAndReleasing) else { return }
        reader.start(resource: resource, collecting: { [weak self] in self?.collect() ?? [] })
    }

    /// In a forked child: the child's pid in the resource, and the reader's
    /// thread (gone with the fork) starting again with the child's first
    /// record; the points the parent recorded were dropped with the C storage's.
    /// Before fork: its tables taken, so that the child gets them whole.
    func lockForFork() {
        meters.lockForFork()
        instruments.lockForFork()
    }

    /// After fork, in both processes.
    func unlockAfterFork() {
        instruments.unlockAfterFork()
        meters.unlockAfterFork()
    }

    func afterForkInChild() {
        storedResource = storedResource.withCurrentProcessId()
        reader?.resetAfterFork()
        readerStarted.store(false, ordering: .releasing)
        lastCollection.store(otel_shim_realtime_ns(), ordering: .releasing)
    }

    /// The meter of a scope; the same scope always yields the same meter.
    public func meter(name: String, version: String? = nil, schemaURL: String? = nil) -> Meter {
        meters.get(name: name, version: version, schemaURL: schemaURL, diagnostics: diagnostics) { Meter(scope: $0, provider: self) }
    }

    /// The instrument `descriptor` names in `scope`: the existing one when
    /// identical (metrics SDK, "Duplicate instrument registration").
    func instrument(_ descriptor: InstrumentDescriptor, scope: InstrumentationScope, boundaries: [Double]?) -> MetricInstrument {
        if !Self.isValidName(descriptor.name) {
            diagnostics.warn("instrument name \"\(descriptor.name)\" is not valid (a letter, then up to 254 letters, digits, _ . / -); recording it anyway")
        }
        var layout: [Double] = []
        if descriptor.kind == .histogram {
            layout = Self.defaultBoundaries
            if let boundaries {
                if zip(boundaries, boundaries.dropFirst()).allSatisfy({ $0 < $1 }) && boundaries.allSatisfy(\.isFinite) {
                    layout = boundaries
                } else {
                    diagnostics.warn("\(descriptor.name): advisory bucket boundaries must be finite and increasing; using the default ones")
                }
            }
        }
        return instruments.withLock { instruments in
            let lowercased = descriptor.name.lowercasedASCII()
            if let existing = instruments.first(where: { $0.scope == scope && $0.descriptor.name.lowercasedASCII() == lowercased }) {
                let same = existing.descriptor.kind == descriptor.kind && existing.descriptor.unit == descriptor.unit
                    && existing.descriptor.description == descriptor.description && existing.descriptor.isDouble == descriptor.isDouble
                    && existing.boundaries == layout
                if same { return existing } // the first-seen name is kept
                diagnostics.warn("instrument \(descriptor.name) of \(scope.name) was registered again with another kind, unit, description or buckets; both are exported")
            }
            let instrument = MetricInstrument(descriptor: descriptor, scope: scope, boundaries: layout,
                                              cardinalityLimit: reader == nil || isShutdown ? 0 : cardinalityLimit,
                                              records: reader != nil && !isShutdown, diagnostics: diagnostics,
                                              startReader: { [weak self] in self?.startReader() })
            instruments.append(instrument)
            return instrument
        }
    }

    /// Metrics API, "Instrument name syntax".
    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 255, (first | 0x20) >= 0x61 && (first | 0x20) <= 0x7a else { return false }
        return bytes.allSatisfy { byte in
            let letter = (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a
            return letter || (byte >= 0x30 && byte <= 0x39) || byte == 0x5f || byte == 0x2e || byte == 0x2f || byte == 0x2d
        }
    }

    /// True after shutdown: instruments created later record nothing.
    public var isShutdown: Bool { shutdownFlag.load(ordering: .relaxed) }

    /// Every instrument's points now (what the reader exports).
    public func collect() -> [MetricData] {
        let now = otel_shim_realtime_ns()
        let start = lastCollection.exchange(now, ordering: .acquiringAndReleasing)
        let current = instruments.withLock { $0 }
        return current.compactMap { instrument in
            let kind = instrument.descriptor.kind
            return instrument.collect(temporality: kind == .gauge ? nil : temporality.temporality(for: kind), now: now,
                                      intervalStart: start)
        }
    }

    /// Collects and exports now, within `timeoutNanoseconds`.
    @discardableResult
    public func forceFlush(timeoutNanoseconds: UInt64) -> Bool {
        reader?.collectAndExport(timeoutNanoseconds: timeoutNanoseconds) ?? true
    }

    /// Exports a last time and stops the reader, once; later calls return false.
    @discardableResult
    public func shutdown(timeoutNanoseconds: UInt64) -> Bool {
        if shutdownFlag.exchange(true, ordering: .acquiringAndReleasing) { return false }
        return reader?.shutdown(timeoutNanoseconds: timeoutNanoseconds) ?? true
    }
}
