/// W3C Baggage (the `baggage` header).
///
/// Limits (W3C Baggage §3.3.1 "Limits"): at most 64 list-members and 8192
/// bytes are propagated; a longer received header is ignored. Malformed
/// members are skipped. Values are percent-encoded on the wire.
public struct BaggagePropagator: TextMapPropagator {
    public init() {}

    public var fields: [String] { ["baggage"] }

    static let maximumMembers = 64
    static let maximumBytes = 8192

    public func inject<Setter: TextMapSetter>(_ context: Context, into carrier: inout Setter) {
        var header = ""
        var members = 0
        for entry in context.baggage.entries where Self.isToken(entry.name) {
            var member = entry.name + "=" + Self.percentEncode(entry.value)
            if let metadata = entry.metadata, !metadata.isEmpty { member += ";" + metadata }
            let added = (header.isEmpty ? 0 : 1) + member.utf8.count
            // Never propagate a partial member; skip those that do not fit.
            if members == Self.maximumMembers || header.utf8.count + added > Self.maximumBytes { continue }
            header += header.isEmpty ? member : "," + member
            members += 1
        }
        if !header.isEmpty { carrier.set("baggage", header) }
    }

    public func extract<Getter: TextMapGetter>(from carrier: Getter, into context: Context) -> Context {
        guard let header = carrier.get("baggage"), !header.isEmpty, header.utf8.count <= Self.maximumBytes else {
            return context
        }
        var baggage = context.baggage
        var members = 0
        for member in header.split(separator: ",") {
            if members == Self.maximumMembers { break }
            let parts = member.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
            let pair = String(parts[0])
            guard let equals = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<equals]).trimmingOWS()
            guard Self.isToken(name), let value = percentDecode(String(pair[pair.index(after: equals)...]).trimmingOWS()) else {
                continue
            }
            let metadata = parts.count > 1 ? String(parts[1]).trimmingOWS() : nil
            baggage = baggage.setting(name, to: value, metadata: metadata)
            members += 1
        }
        return context.with(baggage: baggage)
    }

    /// RFC 7230 token characters (W3C Baggage: key = token).
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }

    /// Percent-encodes every byte that is not a baggage-octet, and `%`.
    static func percentEncode(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            let isOctet = byte == 0x21 || (0x23...0x2B).contains(byte) || (0x2D...0x3A).contains(byte)
                || (0x3C...0x5B).contains(byte) || (0x5D...0x7E).contains(byte)
            if isOctet && byte != UInt8(ascii: "%") {
                bytes.append(byte)
            } else {
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
