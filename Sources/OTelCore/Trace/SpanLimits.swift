/// Limits on what one span keeps (trace SDK, "Span Limits"; defaults and
/// variables from configuration/sdk-environment-variables.md).
public struct SpanLimits: Sendable, Equatable {
    public var attributeCount: Int = 128
    public var attributeValueLength: Int? = nil
    public var eventCount: Int = 128
    public var linkCount: Int = 128
    public var attributesPerEvent: Int = 128
    public var attributesPerLink: Int = 128

    /// The defaults of the specification.
    public init() {}

    /// Limits from OTEL_SPAN_*_LIMIT, falling back to the general
    /// OTEL_ATTRIBUTE_*_LIMIT, then to the defaults.
    public init(config: ConfigReader) {
        let generalCount = config.int("OTEL_ATTRIBUTE_COUNT_LIMIT", default: 128)
        let generalLength = config.optionalInt("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT")
        attributeCount = config.int("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", default: generalCount)
        attributeValueLength = config.optionalInt("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT") ?? generalLength
        eventCount = config.int("OTEL_SPAN_EVENT_COUNT_LIMIT", default: 128)
        linkCount = config.int("OTEL_SPAN_LINK_COUNT_LIMIT", default: 128)
        attributesPerEvent = config.int("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", default: 128)
        attributesPerLink = config.int("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", default: 128)
    }
}
