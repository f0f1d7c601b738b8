import Foundation

/// How a value from the data enters a URL, after RFC 6570's expansions: a plain `{{ value }}` is
/// "simple string expansion" (everything but unreserved characters is percent-encoded, so `/`,
/// `?`, `#`, `%` and spaces stay inside one segment), `{{ value | raw }}` is "reserved expansion"
/// (`{+value}`: the value may carry structure, and only what a URL cannot hold is encoded).
public enum URLValueEncoding {
    /// Simple string expansion: only ALPHA, DIGIT, `-`, `.`, `_`, `~` pass as they are.
    public static func component(_ value: String) -> String {
        guard !value.utf8.allSatisfy(isUnreserved) else { return value }
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count * 3)
        for byte in value.utf8 {
            if isUnreserved(byte) { out.append(byte) } else { appendEscaped(byte, to: &out) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Reserved expansion: unreserved and reserved characters and existing `%XX` triplets pass;
    /// spaces, non-ASCII, control characters and a `%` that starts no triplet are encoded.
    public static func reserved(_ value: String) -> String {
        let bytes = Array(value.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "%"), i + 2 < bytes.count, isHex(bytes[i + 1]), isHex(bytes[i + 2]) {
                out.append(contentsOf: bytes[i...(i + 2)])
                i += 3
                continue
            }
            if isUnreserved(byte) || isReserved(byte) { out.append(byte) } else { appendEscaped(byte, to: &out) }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A path segment a server would resolve (`.`, `..`, or their encodings), which would move the
    /// request to another endpoint.
    public static func isDotSegment(_ segment: Substring) -> Bool {
        let decoded = segment.replacingOccurrences(of: "%2e", with: ".", options: .caseInsensitive)
        return decoded == "." || decoded == ".."
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): return true
        default: return false
        }
    }

    private static let reservedCharacters = Set(":/?#[]@!$&'()*+,;=".utf8)

    static func isReserved(_ byte: UInt8) -> Bool { reservedCharacters.contains(byte) }

    private static func isHex(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): return true
        default: return false
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "%"))
        out.append(hexDigits[Int(byte >> 4)])
        out.append(hexDigits[Int(byte & 0x0F)])
    }
}
