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
        // At most two dots, each written `.` or `%2E`: six bytes; no allocation on the way.
        let bytes = segment.utf8
        guard !bytes.isEmpty, bytes.count <= 6 else { return false }
        var dots = 0
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == UInt8(ascii: ".") {
                i = bytes.index(after: i)
            } else if bytes[i] == UInt8(ascii: "%"), bytes.distance(from: i, to: bytes.endIndex) >= 3,
                      bytes[bytes.index(i, offsetBy: 1)] == UInt8(ascii: "2"), bytes[bytes.index(i, offsetBy: 2)] | 0x20 == UInt8(ascii: "e") {
                i = bytes.index(i, offsetBy: 3)
            } else {
                return false
            }
            dots += 1
        }
        return dots <= 2
    }

    /// Whether a `/`-separated path has a `.` or `..` segment (written plainly or as `%2E`); the
    /// common path without either is one pass over its bytes.
    public static func hasDotSegment(_ path: Substring) -> Bool {
        // Segments are looked at in place (no array of pieces): a plan checks a million keys.
        let bytes = path.utf8
        var start = bytes.startIndex
        var length = 0
        var i = bytes.startIndex
        while true {
            if i == bytes.endIndex || bytes[i] == UInt8(ascii: "/") {
                if length > 0, length <= 6, isDotSegment(path[start..<i]) { return true }
                guard i < bytes.endIndex else { return false }
                i = bytes.index(after: i)
                start = i
                length = 0
            } else {
                length += 1
                i = bytes.index(after: i)
            }
        }
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
