/// What a sampler decided (trace SDK, "Sampler", "ShouldSample").
public enum SamplingDecision: Sendable {
    /// Not recorded, not sampled.
    case drop
    /// Recorded but not exported (sampled flag off).
    case recordOnly
    /// Recorded and sampled.
    case recordAndSample
}

/// A sampling decision with the attributes and trace state it adds.
public struct SamplingResult: Sendable {
    public var decision: SamplingDecision
    public var attributes: [Attribute]
    /// The trace state of the new span (usually the parent's).
    public var traceState: TraceState

    public init(decision: SamplingDecision, attributes: [Attribute] = [], traceState: TraceState = TraceState()) {
        self.decision = decision
        self.attributes = attributes
        self.traceState = traceState
    }
}

/// Decides whether a new span is recorded and sampled. A class, so the
/// provider holds it as one reference (no existential copies per span).
public protocol Sampler: AnyObject, Sendable {
    /// The decision for a span about to start; `parent` is the parent's
    /// context when there is a valid one.
    func shouldSample(parent: SpanContext?, traceId: TraceId, name: String, kind: SpanKind,
                      attributes: [Attribute], links: [SpanLink]) -> SamplingResult
    /// The decision when it depends only on the parent and the trace id, or
    /// nil when `shouldSample` must see the span's name, kind, attributes or
    /// links. Lets callers skip building those for spans that are dropped.
    func decisionFromIds(parent: SpanContext?, traceId: TraceId) -> SamplingDecision?
    /// The name and parameters, e.g. `TraceIdRatioBased{0.25}` (trace SDK, "GetDescription").
    var description: String { get }
}

extension Sampler {
    public func decisionFromIds(parent: SpanContext?, traceId: TraceId) -> SamplingDecision? { nil }
}

/// Samples every span (trace SDK, "AlwaysOn").
public final class AlwaysOnSampler: Sampler {
    public init() {}
    public func shouldSample(parent: SpanContext?, traceId: TraceId, name: String, kind: SpanKind,
                             attributes: [Attribute], links: [SpanLink]) -> SamplingResult {
        SamplingResult(decision: .recordAndSample, traceState: parent?.traceState ?? TraceState())
    }
    public func decisionFromIds(parent: SpanContext?, traceId: TraceId) -> SamplingDecision? { .recordAndSample }
    public var description: String { "AlwaysOnSampler" }
}

/// Samples nothing (trace SDK, "AlwaysOff").
public final class AlwaysOffSampler: Sampler {
    public init() {}
    public func shouldSample(parent: SpanContext?, traceId: TraceId, name: String, kind: SpanKind,
                             attributes: [Attribute], links: [SpanLink]) -> SamplingResult {
        SamplingResult(decision: .drop, traceState: parent?.traceState ?? TraceState())
    }
    public func decisionFromIds(parent: SpanContext?, traceId: TraceId) -> SamplingDecision? { .drop }
    public var description: String { "AlwaysOffSampler" }
}

/// Samples a fraction of traces, deterministically from the trace id
/// (trace SDK, "TraceIdRatioBased"): the rightmost 56 bits of the trace id
/// are the randomness value R, and a span is sampled when R ≥ T, the
/// rejection threshold (1 - ratio) · 2^56. A trace sampled at one ratio is
/// therefore sampled at every higher ratio.
public final class TraceIdRatioBasedSampler: Sampler {
    public let ratio: Double
    let threshold: UInt64

    /// A sampler keeping `ratio` (clamped to 0...1) of traces.
    public init(ratio: Double) {
        let clamped = ratio.isNaN ? 0 : min(max(ratio, 0), 1)
        self.ratio = clamped
        let maximum: UInt64 = 1 << 56
        threshold = clamped >= 1 ? 0 : (clamped <= 0 ? maximum : UInt64(((1 - clamped) * Double(maximum)).rounded()))
    }

    public func shouldSample(parent: SpanContext?, traceId: TraceId, name: String, kind: SpanKind,
                             attributes: [Attribute], links: [SpanLink]) -> SamplingResult {
        SamplingResult(decision: decisionFromIds(parent: parent, traceId: traceId)!, traceState: parent?.traceState ?? TraceState())
    }

    public func decisionFromIds(parent: SpanContext?, traceId: TraceId) -> SamplingDecision? {
        Self.decision(traceId: traceId, threshold: threshold)
    }

    @inline(__always)
    static func decision(traceId: TraceId, threshold: UInt64) -> SamplingDecision {
        traceId.low & 0x00FF_FFFF_FFFF_FFFF >= threshold ? .recordAndSample : .drop
    }

    public var description: String { "TraceIdRatioBased{\(pythonFloat(ratio))}" }
}

/// Follows the parent's sampled flag and uses `root` for new traces
/// (trace SDK, "ParentBased").
public final class ParentBasedSampler: Sampler {
    public let root: any Sampler
    public let remoteParentSampled: any Sampler
    public let remoteParentNotSampled: any Sampler
    public let localParentSampled: any Sampler
    public let localParentNotSampled: any Sampler

    public init(root: any Sampler,
                remoteParentSampled: any Sampler = AlwaysOnSampler(),
                remoteParentNotSampled: any Sampler = AlwaysOffSampler(),
                localParentSampled: any Sampler = AlwaysOnSampler(),
                localParentNotSampled: any Sampler = AlwaysOffSampler()) {
        self.root = root
        self.remoteParentSampled = remoteParentSampled
        self.remoteParentNotSampled = remoteParentNotSampled
        self.localParentSampled = localParentSampled
        self.localParentNotSampled = localParentNotSampled
    }

    public func shouldSample(parent: SpanContext?, traceId: TraceId, name: String, kind: SpanKind,
                             attributes: [Attribute], links: [SpanLink]) -> SamplingResult {
        delegate(for: parent).shouldSample(parent: parent, traceId: traceId, name: name, kind: kind,
                                           attributes: attributes, links: links)
    }

    public func decisionFromIds(parent: SpanContext?, traceId: TraceId) -> SamplingDecision? {
        // Calls each delegate directly (no existential copy): this is the hot path.
        guard let parent else { return root.decisionFromIds(parent: nil, traceId: traceId) }
        if parent.isRemote {
            return parent.isSampled ? remoteParentSampled.decisionFromIds(parent: parent, traceId: traceId)
                : remoteParentNotSampled.decisionFromIds(parent: parent, traceId: traceId)
        }
        return parent.isSampled ? localParentSampled.decisionFromIds(parent: parent, traceId: traceId)
            : localParentNotSampled.decisionFromIds(parent: parent, traceId: traceId)
    }

    @inline(__always)
    private func delegate(for parent: SpanContext?) -> any Sampler {
        guard let parent else { return root }
        if parent.isRemote {
            return parent.isSampled ? remoteParentSampled : remoteParentNotSampled
        }
        return parent.isSampled ? localParentSampled : localParentNotSampled
    }

    public var description: String {
        "ParentBased{root:\(root.description),remoteParentSampled:\(remoteParentSampled.description),"
            + "remoteParentNotSampled:\(remoteParentNotSampled.description),"
            + "localParentSampled:\(localParentSampled.description),"
            + "localParentNotSampled:\(localParentNotSampled.description)}"
    }
}

/// The sampler names OTEL_TRACES_SAMPLER accepts without a plugin.
public enum SamplerName: String, CaseIterable, Sendable {
    case alwaysOn = "always_on"
    case alwaysOff = "always_off"
    case traceIdRatio = "traceidratio"
    case parentBasedAlwaysOn = "parentbased_always_on"
    case parentBasedAlwaysOff = "parentbased_always_off"
    case parentBasedTraceIdRatio = "parentbased_traceidratio"

    /// The sampler from OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG
    /// (configuration/sdk-environment-variables.md, "General SDK Configuration":
    /// the default is parentbased_always_on, the ratio's default 1.0).
    /// A name that is not built in is looked up in `registry` (sampler plugins).
    public static func sampler(config: ConfigReader, registry: ComponentRegistry = .empty) -> any Sampler {
        if let raw = config.string("OTEL_TRACES_SAMPLER")?.lowercasedASCII(), SamplerName(rawValue: raw) == nil,
           let factory = registry.samplers[raw] {
            if let sampler = factory() { return sampler }
            config.diagnostics.warn("OTEL_TRACES_SAMPLER=\(raw): its plugin did not load; using the default parentbased_always_on")
            return ParentBasedSampler(root: AlwaysOnSampler())
        }
        let name = config.enumeration("OTEL_TRACES_SAMPLER", default: SamplerName.parentBasedAlwaysOn)
        func ratio() -> Double { config.double("OTEL_TRACES_SAMPLER_ARG", default: 1.0, range: 0...1) }
        switch name {
        case .alwaysOn: return AlwaysOnSampler()
        case .alwaysOff: return AlwaysOffSampler()
        case .traceIdRatio: return TraceIdRatioBasedSampler(ratio: ratio())
        case .parentBasedAlwaysOn: return ParentBasedSampler(root: AlwaysOnSampler())
        case .parentBasedAlwaysOff: return ParentBasedSampler(root: AlwaysOffSampler())
        case .parentBasedTraceIdRatio: return ParentBasedSampler(root: TraceIdRatioBasedSampler(ratio: ratio()))
        }
    }
}
