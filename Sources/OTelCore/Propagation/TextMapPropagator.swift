/// Writes string pairs into a carrier (context/api-propagators.md, "Setter").
public protocol TextMapSetter {
    mutating func set(_ key: String, _ value: String)
}

/// Reads string pairs from a carrier (context/api-propagators.md, "Getter").
/// Keys are asked for in lowercase; carriers such as HTTP headers should match
/// them case-insensitively.
public protocol TextMapGetter {
    func get(_ key: String) -> String?
}

/// A carrier over a dictionary (useful for tests and environments).
public struct DictionaryCarrier: TextMapSetter, TextMapGetter, Sendable {
    public var values: [String: String]
    public init(_ values: [String: String] = [:]) { self.values = values }
    public mutating func set(_ key: String, _ value: String) { values[key] = value }
    public func get(_ key: String) -> String? {
        values[key] ?? values.first { $0.key.lowercasedASCII() == key }?.value
    }
}

/// Injects a context into and extracts it from a text-map carrier
/// (context/api-propagators.md, "TextMap Propagator").
public protocol TextMapPropagator: Sendable {
    /// The keys this propagator writes.
    var fields: [String] { get }
    func inject<Setter: TextMapSetter>(_ context: Context, into carrier: inout Setter)
    /// `context` updated with what the carrier holds; unchanged when it holds
    /// nothing valid.
    func extract<Getter: TextMapGetter>(from carrier: Getter, into context: Context) -> Context
}

/// Runs several propagators in order (context/api-propagators.md, "Composite Propagator").
public struct CompositePropagator: TextMapPropagator {
    public let propagators: [any TextMapPropagator]

    public init(_ propagators: [any TextMapPropagator]) { self.propagators = propagators }

    public var fields: [String] { propagators.flatMap(\.fields) }

    public func inject<Setter: TextMapSetter>(_ context: Context, into carrier: inout Setter) {
        for propagator in propagators { propagator.inject(context, into: &carrier) }
    }

    public func extract<Getter: TextMapGetter>(from carrier: Getter, into context: Context) -> Context {
        propagators.reduce(context) { $1.extract(from: carrier, into: $0) }
    }

    /// The propagators named by OTEL_PROPAGATORS (default "tracecontext,baggage";
    /// "none" for none), built in or from `registry`. Unknown or not yet
    /// available names are reported and skipped.
    public static func fromEnvironment(config: ConfigReader, registry: ComponentRegistry = .empty) -> CompositePropagator {
        let names = config.list("OTEL_PROPAGATORS") ?? ["tracecontext", "baggage"]
        var seen = Set<String>()
        var chosen: [any TextMapPropagator] = []
        for name in names where seen.insert(name).inserted {
            switch name {
            case "tracecontext": chosen.append(TraceContextPropagator())
            case "baggage": chosen.append(BaggagePropagator())
            case "none": break
            case _ where registry.propagators[name] != nil:
                if let propagator = registry.propagators[name]?() { chosen.append(propagator) }
            case "b3", "b3multi", "jaeger", "xray", "ottrace":
                config.diagnostics.warn("OTEL_PROPAGATORS: \(name) is not built in and no plugin provides it yet; skipping it")
            default:
                config.diagnostics.warn("OTEL_PROPAGATORS: unknown propagator \(name); skipping it")
            }
        }
        if names.contains("none") && names.count > 1 {
            config.diagnostics.warn("OTEL_PROPAGATORS contains none together with other propagators; using the others")
        }
        return CompositePropagator(chosen)
    }
}
