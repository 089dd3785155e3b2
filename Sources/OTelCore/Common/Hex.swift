/// Lowercase hexadecimal encoding and strict decoding of fixed-width ids.
enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `value` as `width` lowercase hex digits (most significant first).
    static func append(_ value: UInt64, width: Int, to bytes: inout [UInt8]) {
        var shift = (width - 1) * 4
        while shift >= 0 {
            bytes.append(digits[Int((value >> UInt64(shift)) & 0xF)])
            shift -= 4
        }
    }

    /// `value` as 16 lowercase hex digits.
    static func string(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            for index in 0..<16 {
                buffer[index] = digits[Int((value >> UInt64((15 - index) * 4)) & 0xF)]
            }
            return 16
        }
    }

    /// Parses exactly the bytes of `slice` as lowercase hex (W3C trace context
    /// allows lowercase only). Nil for any other character or more than 16 digits.
    static func parseLowercase(_ slice: ArraySlice<UInt8>) -> UInt64? {
        guard slice.count <= 16 else { return nil }
        var result: UInt64 = 0
        for byte in slice {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            result = result << 4 | UInt64(value)
        }
        return result
    }
}
