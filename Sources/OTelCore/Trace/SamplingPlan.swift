import COTelCoreShims

/// A built-in sampler's logic as plain data, so that the decision for each
/// new span is a switch on values: no dynamic dispatch, no reference
/// counting. Samplers from elsewhere are asked through the `Sampler` protocol.
enum SamplingPlan: Sendable {
    /// A sampler that decides alone.
    enum Leaf: Sendable {
        case alwaysOn
        case alwaysOff
        case ratio(threshold: UInt64)
        case other

        init(_ sampler: any Sampler) {
            switch sampler {
            case is AlwaysOnSampler: self = .alwaysOn
            case is AlwaysOffSampler: self = .alwaysOff
            case let ratio as TraceIdRatioBasedSampler: self = .ratio(threshold: ratio.threshold)
            default: self = .other
            }
        }

        /// The leaf as C's span fast path reads it.
        var cLeaf: otel_shim_sampling_leaf {
            switch self {
            case .alwaysOn: return otel_shim_sampling_leaf(kind: UInt8(OTEL_SHIM_LEAF_ALWAYS_ON), threshold: 0)
            case .alwaysOff: return otel_shim_sampling_leaf(kind: UInt8(OTEL_SHIM_LEAF_ALWAYS_OFF), threshold: 0)
            case .ratio(let threshold): return otel_shim_sampling_leaf(kind: UInt8(OTEL_SHIM_LEAF_RATIO), threshold: threshold)
            case .other: return otel_shim_sampling_leaf(kind: UInt8(OTEL_SHIM_LEAF_OTHER), threshold: 0)
            }
        }

        @inline(__always)
        func decision(traceId: TraceId) -> SamplingDecision? {
            switch self {
            case .alwaysOn: return .recordAndSample
            case .alwaysOff: return .drop
            case .ratio(let threshold): return TraceIdRatioBasedSampler.decision(traceId: traceId, threshold: threshold)
            case .other: return nil
            }
        }
    }

    case leaf(Leaf)
    case parentBased(root: Leaf, remoteSampled: Leaf, remoteNotSampled: Leaf, localSampled: Leaf, localNotSampled: Leaf)

    init(_ sampler: any Sampler) {
        if let parentBased = sampler as? ParentBasedSampler {
            self = .parentBased(root: Leaf(parentBased.root), remoteSampled: Leaf(parentBased.remoteParentSampled),
                                remoteNotSampled: Leaf(parentBased.remoteParentNotSampled),
                                localSampled: Leaf(parentBased.localParentSampled),
                                localNotSampled: Leaf(parentBased.localParentNotSampled))
        } else {
            self = .leaf(Leaf(sampler))
        }
    }

    /// The decision, or nil when the sampler itself must be asked.
    @inline(__always)
    func decision(parentSampled: Bool?, parentRemote: Bool, traceId: TraceId) -> SamplingDecision? {
        switch self {
        case .leaf(let leaf):
            return leaf.decision(traceId: traceId)
        case .parentBased(let root, let remoteSampled, let remoteNotSampled, let localSampled, let localNotSampled):
            guard let parentSampled else { return root.decision(traceId: traceId) }
            let delegate = parentRemote ? (parentSampled ? remoteSampled : remoteNotSampled)
                : (parentSampled ? localSampled : localNotSampled)
            return delegate.decision(traceId: traceId)
        }
    }

    /// The plan as C's span fast path reads it; `builtInIds` false sends
    /// every span to the SDK.
    func cPlan(builtInIds: Bool) -> otel_shim_span_plan {
        switch self {
        case .leaf(let leaf):
            return otel_shim_span_plan(built_in_ids: builtInIds, parent_based: false, root: leaf.cLeaf,
                                       remote_sampled: Leaf.other.cLeaf, remote_not_sampled: Leaf.other.cLeaf,
                                       local_sampled: Leaf.other.cLeaf, local_not_sampled: Leaf.other.cLeaf, record_sink: nil)
        case .parentBased(let root, let remoteSampled, let remoteNotSampled, let localSampled, let localNotSampled):
            return otel_shim_span_plan(built_in_ids: builtInIds, parent_based: true, root: root.cLeaf,
                                       remote_sampled: remoteSampled.cLeaf, remote_not_sampled: remoteNotSampled.cLeaf,
                                       local_sampled: localSampled.cLeaf, local_not_sampled: localNotSampled.cLeaf, record_sink: nil)
        }
    }
}
