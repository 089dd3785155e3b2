/// Creates the instruments of one instrumentation scope (metrics API, "Meter").
public final class Meter: Sendable {
    public let scope: InstrumentationScope
    let provider: MeterProvider

    init(scope: InstrumentationScope, provider: MeterProvider) {
        self.scope = scope
        self.provider = provider
    }

    /// A monotonic sum: `add` takes non-negative values (requests, bytes sent).
    public func counter(_ name: String, unit: String = "", description: String = "", isDouble: Bool = false) -> MetricInstrument {
        instrument(name, .counter, unit, description, isDouble, boundaries: nil)
    }

    /// A sum that goes up and down (items in a queue).
    public func upDownCounter(_ name: String, unit: String = "", description: String = "", isDouble: Bool = false) -> MetricInstrument {
        instrument(name, .upDownCounter, unit, description, isDouble, boundaries: nil)
    }

    /// A distribution in explicit buckets; `boundaries` is the advisory bucket
    /// layout (metrics API, "Instrument advisory parameters"), the SDK's
    /// default layout otherwise.
    public func histogram(_ name: String, unit: String = "", description: String = "", isDouble: Bool = true,
                          boundaries: [Double]? = nil) -> MetricInstrument {
        instrument(name, .histogram, unit, description, isDouble, boundaries: boundaries)
    }

    /// The last value set (a temperature).
    public func gauge(_ name: String, unit: String = "", description: String = "", isDouble: Bool = true) -> MetricInstrument {
        instrument(name, .gauge, unit, description, isDouble, boundaries: nil)
    }

    /// Any kind of instrument (the C API's entry).
    public func instrument(_ name: String, _ kind: InstrumentKind, _ unit: String, _ description: String, _ isDouble: Bool,
                           boundaries: [Double]?) -> MetricInstrument {
        provider.instrument(InstrumentDescriptor(name: name, kind: kind, unit: unit, description: description, isDouble: isDouble),
                            scope: scope, boundaries: boundaries)
    }
}
