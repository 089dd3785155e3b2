/// The role of a span in a trace (trace API, "SpanKind").
public enum SpanKind: Int, Sendable, CaseIterable {
    case `internal` = 0, server, client, producer, consumer

    /// The name OpenTelemetry Python prints: `SpanKind.INTERNAL` and so on.
    public var pythonName: String {
        switch self {
        case .internal: "SpanKind.INTERNAL"
        case .server: "SpanKind.SERVER"
        case .client: "SpanKind.CLIENT"
        case .producer: "SpanKind.PRODUCER"
        case .consumer: "SpanKind.CONSUMER"
        }
    }
}

/// The outcome of a span (trace API, "Set Status").
public struct SpanStatus: Sendable, Equatable {
    /// Status codes in their priority order: OK overrides everything, ERROR overrides UNSET.
    public enum Code: Int, Sendable {
        case unset = 0, ok, error

        /// UNSET, OK or ERROR, as printed by OpenTelemetry Python.
        public var name: String {
            switch self {
            case .unset: "UNSET"
            case .ok: "OK"
            case .error: "ERROR"
            }
        }
    }

    public var code: Code
    /// Only kept for ERROR: "Description MUST be IGNORED for StatusCode Ok & Unset values."
    public var description: String?

    public init(code: Code, description: String? = nil) {
        self.code = code
        self.description = code == .error ? description : nil
    }

    public static let unset = SpanStatus(code: .unset)
}

/// A timestamped event on a span.
public struct SpanEvent: Sendable, Equatable {
    public let name: String
    /// Nanoseconds since the Unix epoch.
    public let timestamp: UInt64
    public let attributes: Attributes

    public init(name: String, timestamp: UInt64, attributes: Attributes) {
        self.name = name
        self.timestamp = timestamp
        self.attributes = attributes
    }
}

/// A link from a span to another span context.
public struct SpanLink: Sendable, Equatable {
    public let context: SpanContext
    public let attributes: Attributes

    public init(context: SpanContext, attributes: Attributes) {
        self.context = context
        self.attributes = attributes
    }
}

/// The name, version and schema of the library that produces telemetry
/// (common/instrumentation-scope.md).
public struct InstrumentationScope: Hashable, Sendable {
    public let name: String
    public let version: String?
    public let schemaURL: String?

    public init(name: String, version: String? = nil, schemaURL: String? = nil) {
        self.name = name
        self.version = version
        self.schemaURL = schemaURL
    }
}
