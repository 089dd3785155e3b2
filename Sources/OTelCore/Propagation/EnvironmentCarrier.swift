/// Reads a propagated context from environment variables (context/env-carriers.md):
/// a propagator's key `traceparent` is the variable TRACEPARENT; keys are
/// upper-cased and any character but ASCII letters, digits and `_` becomes `_`.
public struct EnvironmentCarrier: TextMapGetter {
    let environment: Environment

    /// A carrier over `environment` (the process's by default).
    public init(_ environment: Environment = .process) {
        self.environment = environment
    }

    public func get(_ key: String) -> String? {
        environment.rawValue(Self.variable(for: key))
    }

    /// The environment variable that carries `key`.
    public static func variable(for key: String) -> String {
        String(decoding: key.utf8.map { byte -> UInt8 in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - 32
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"): byte
            default: UInt8(ascii: "_")
            }
        }, as: UTF8.self)
    }
}
