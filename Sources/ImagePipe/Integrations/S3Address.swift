/// Where an S3 object lives: virtual-hosted (`https://BUCKET.s3.REGION.amazonaws.com/KEY`) or
/// path-style addressing, or a custom endpoint.
public enum S3Address {
    public static func objectURL(bucket: String, key: String, region: String?, endpoint: String?, pathStyle: Bool) -> String {
        let encodedKey = percentEncode(key, keepingSlashes: true)
        if let endpoint {
            let base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
            if pathStyle { return "\(base)/\(bucket)/\(encodedKey)" }
            if let schemeEnd = base.range(of: "://") {
                return base[..<schemeEnd.upperBound] + bucket + "." + base[schemeEnd.upperBound...] + "/" + encodedKey
            }
            return "\(base)/\(bucket)/\(encodedKey)"
        }
        let region = region ?? "us-east-1"
        if pathStyle { return "https://s3.\(region).amazonaws.com/\(bucket)/\(encodedKey)" }
        return "https://\(bucket).s3.\(region).amazonaws.com/\(encodedKey)"
    }

    /// SigV4's URI encoding: everything but unreserved characters (A-Z a-z 0-9 - . _ ~).
    public static func percentEncode(_ text: String, keepingSlashes: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 8)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "/") where keepingSlashes:
                out.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
