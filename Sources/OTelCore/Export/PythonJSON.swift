#if canImport(Glibc)
import Glibc
#endif

/// A JSON value rendered exactly as Python's `json.dumps(value, indent=4)`
/// renders it: ", " and ": " separators, four-space indentation, `{}`/`[]`
/// when empty, non-ASCII escaped as lowercase `\uXXXX`, floats as `repr`.
/// The console exporter uses it to match OpenTelemetry Python byte for byte.
indirect enum PythonJSON {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([PythonJSON])
    case object([(String, PythonJSON)])

    /// The rendered text.
    func rendered(indent: Int = 4) -> String {
        var output = ""
        write(to: &output, level: 0, indent: indent)
        return output
    }

    private func write(to output: inout String, level: Int, indent: Int) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .double(let value): output += pythonFloat(value, json: true)
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let items):
            if items.isEmpty { output += "[]"; return }
            output += "["
            for (index, item) in items.enumerated() {
                output += index == 0 ? "\n" : ",\n"
                output += String(repeating: " ", count: (level + 1) * indent)
                item.write(to: &output, level: level + 1, indent: indent)
            }
            output += "\n" + String(repeating: " ", count: level * indent) + "]"
        case .object(let members):
            if members.isEmpty { output += "{}"; return }
            output += "{"
            for (index, member) in members.enumerated() {
                output += index == 0 ? "\n" : ",\n"
                output += String(repeating: " ", count: (level + 1) * indent)
                Self.writeString(member.0, to: &output)
                output += ": "
                member.1.write(to: &output, level: level + 1, indent: indent)
            }
            output += "\n" + String(repeating: " ", count: level * indent) + "}"
        }
    }

    /// Python's ensure_ascii string encoding.
    static func writeString(_ text: String, to output: inout String) {
        output += "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: output += "\\\""
            case 0x5C: output += "\\\\"
            case 0x0A: output += "\\n"
            case 0x0D: output += "\\r"
            case 0x09: output += "\\t"
            case 0x08: output += "\\b"
            case 0x0C: output += "\\f"
            case 0x20...0x7E: output.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        output += "\""
    }
}

/// A double as Python's `repr` writes it (shortest round-trip digits,
/// scientific notation below 1e-4 and from 1e16). With `json`, infinities
/// and NaN are written as Python's json module writes them.
func pythonFloat(_ value: Double, json: Bool = false) -> String {
    if value.isNaN { return json ? "NaN" : "nan" }
    if value.isInfinite { return value < 0 ? (json ? "-Infinity" : "-inf") : (json ? "Infinity" : "inf") }
    if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
    // Swift's description gives the shortest round-trip digits; re-layout them.
    let description = value.magnitude.description
    var digits = ""
    var exponent = 0
    let parts = description.split(separator: "e")
    let mantissa = parts[0]
    let pointIndex = mantissa.firstIndex(of: ".")
    let integerPart = pointIndex.map { mantissa[..<$0] } ?? mantissa[...]
    let fractionPart = pointIndex.map { mantissa[mantissa.index(after: $0)...] } ?? ""
    digits = String(integerPart) + String(fractionPart)
    exponent = integerPart.count - 1 + (parts.count > 1 ? Int(parts[1])! : 0)
    // Normalise: strip leading zeros (adjusting the exponent) and trailing zeros.
    while digits.count > 1, digits.first == "0" {
        digits.removeFirst()
        exponent -= 1
    }
    while digits.count > 1, digits.last == "0" { digits.removeLast() }
    let sign = value < 0 ? "-" : ""
    if exponent < -4 || exponent >= 16 {
        var text = String(digits.first!)
        if digits.count > 1 { text += "." + digits.dropFirst() }
        let exponentText = String(abs(exponent))
        return sign + text + "e" + (exponent < 0 ? "-" : "+") + (exponentText.count < 2 ? "0" : "") + exponentText
    }
    if exponent < 0 {
        return sign + "0." + String(repeating: "0", count: -exponent - 1) + digits
    }
    if digits.count <= exponent + 1 {
        return sign + digits + String(repeating: "0", count: exponent + 1 - digits.count) + ".0"
    }
    let split = digits.index(digits.startIndex, offsetBy: exponent + 1)
    return sign + digits[..<split] + "." + digits[split...]
}

/// The UTC calendar date and time of `seconds` since the epoch (proleptic
/// Gregorian; H. Hinnant's "civil_from_days"). Computed, not asked of
/// `gmtime_r`: glibc's takes its tzset lock, which a thread of a parent may
/// hold at the instant it forks, and the child's export thread would then
/// wait for it forever (its exit flush until OTEL_NATIVE_SHUTDOWN_TIMEOUT).
func utcCalendar(seconds: Int64) -> (year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64) {
    var days = seconds / 86_400
    var time = seconds % 86_400
    if time < 0 {
        time += 86_400
        days -= 1
    }
    let shifted = days + 719_468 // days since 0000-03-01
    let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
    let dayOfEra = shifted - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100) // from March 1st
    let marchMonth = (5 * dayOfYear + 2) / 153
    let month = marchMonth < 10 ? marchMonth + 3 : marchMonth - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, dayOfYear - (153 * marchMonth + 2) / 5 + 1,
            time / 3_600, time % 3_600 / 60, time % 60)
}

/// `nanoseconds` since the epoch as Python's `ns_to_iso_str` writes it:
/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, microseconds rounded as Python rounds a
/// float timestamp (half to even).
func isoTimestamp(nanoseconds: UInt64) -> String {
    let seconds = Double(nanoseconds) / 1e9
    var whole = seconds.rounded(.down)
    var micros = ((seconds - whole) * 1e6).rounded(.toNearestOrEven)
    if micros >= 1_000_000 {
        whole += 1
        micros -= 1_000_000
    }
    let parts = utcCalendar(seconds: Int64(whole))
    func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    return pad(parts.year, 4) + "-" + pad(parts.month, 2) + "-" + pad(parts.day, 2)
        + "T" + pad(parts.hour, 2) + ":" + pad(parts.minute, 2) + ":" + pad(parts.second, 2)
        + "." + pad(Int64(micros), 6) + "Z"
}
