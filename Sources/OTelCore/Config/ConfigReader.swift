/// Reads OTEL_* variables with the rules of the specification
/// (configuration/sdk-environment-variables.md, "Parsing empty value",
/// "Boolean", "Numeric", "Enum" and "String" sections):
///
/// - an empty value is treated exactly as if the variable were not set;
/// - a boolean is true only for a case-insensitive "true", false for
///   "false"; anything else is false with a warning;
/// - an invalid number or enum value gives one warning and the default.
public struct ConfigReader: Sendable {
    /// The environment read.
    public let environment: Environment
    /// Where warnings go.
    public let diagnostics: Diagnostics

    /// A reader over `environment` warning through `diagnostics`.
    public init(environment: Environment, diagnostics: Diagnostics) {
        self.environment = environment
        self.diagnostics = diagnostics
    }

    /// The value of `name` with surrounding whitespace removed; nil when unset or empty.
    public func string(_ name: String) -> String? {
        guard let raw = environment.rawValue(name) else { return nil }
        let trimmed = raw.trimmingASCIIWhitespace()
        return trimmed.isEmpty ? nil : trimmed
    }

    /// A boolean variable (true only for "true", case-insensitively).
    public func bool(_ name: String, default defaultValue: Bool = false) -> Bool {
        guard let value = string(name) else { return defaultValue }
        switch value.lowercasedASCII() {
        case "true": return true
        case "false": return false
        default:
            diagnostics.warn("\(name)=\(value) is not a boolean (true or false); using false")
            return false
        }
    }

    /// A non-negative integer variable.
    public func int(_ name: String, default defaultValue: Int, minimum: Int = 0) -> Int {
        guard let value = string(name) else { return defaultValue }
        guard let parsed = Int(value), parsed >= minimum else {
            diagnostics.warn("\(name)=\(value) is not an integer ≥ \(minimum); using the default \(defaultValue)")
            return defaultValue
        }
        return parsed
    }

    /// An optional non-negative integer variable (nil when unset or invalid).
    public func optionalInt(_ name: String, minimum: Int = 0) -> Int? {
        guard let value = string(name) else { return nil }
        guard let parsed = Int(value), parsed >= minimum else {
            diagnostics.warn("\(name)=\(value) is not an integer ≥ \(minimum); ignoring it")
            return nil
        }
        return parsed
    }

    /// A floating-point variable within `range`.
    public func double(_ name: String, default defaultValue: Double, range: ClosedRange<Double>) -> Double {
        guard let value = string(name) else { return defaultValue }
        guard let parsed = Double(value), range.contains(parsed) else {
            diagnostics.warn("\(name)=\(value) is not a number in \(range.lowerBound)...\(range.upperBound); using the default \(defaultValue)")
            return defaultValue
        }
        return parsed
    }

    /// An enum variable, matched case-insensitively against `E`'s raw values.
    public func enumeration<E: RawRepresentable & CaseIterable>(_ name: String, default defaultValue: E) -> E
    where E.RawValue == String {
        guard let value = string(name) else { return defaultValue }
        let lowered = value.lowercasedASCII()
        if let match = E.allCases.first(where: { $0.rawValue == lowered }) { return match }
        let accepted = E.allCases.map(\.rawValue).joined(separator: ", ")
        diagnostics.warn("\(name)=\(value) is not one of \(accepted); using the default \(defaultValue.rawValue)")
        return defaultValue
    }

    /// A comma-separated list, items trimmed, empty items dropped, lowercased.
    public func list(_ name: String) -> [String]? {
        guard let value = string(name) else { return nil }
        return value.split(separator: ",").map { String($0).trimmingASCIIWhitespace().lowercasedASCII() }
            .filter { !$0.isEmpty }
    }
}
