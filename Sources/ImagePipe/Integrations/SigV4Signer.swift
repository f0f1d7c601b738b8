import Crypto
import Foundation

/// AWS Signature Version 4 (header-based), checked against AWS's published test suite. S3 signs
/// the path as it is (no dot-segment or slash normalization, each segment encoded once); other
/// services normalize it first.
public struct SigV4Signer: Sendable {
    public struct Credentials: Sendable {
        public var accessKeyID: String
        public var secretAccessKey: String
        public var sessionToken: String?

        public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }
    }

    /// A request to sign. `path` and query parts are as the user means them (not percent-encoded).
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [(name: String, value: String)]
        public var headers: [(name: String, value: String)]
        /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
        public var payloadHash: String

        public init(method: String, path: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)],
                    payloadHash: String) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    public var credentials: Credentials
    public var region: String
    public var service: String

    public init(credentials: Credentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    public static func amzDate(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: date)
    }

    public static func sha256Hex(_ bytes: some DataProtocol) -> String { Hex.string(SHA256.hash(data: bytes)) }

    // MARK: - The steps, each public so the test suite can check it

    /// Task 1: the canonical request, and the signed header names.
    public func canonicalRequest(_ r: Request) -> (text: String, signedHeaders: String) {
        let path = service == "s3" ? r.path : Self.normalize(r.path)
        let uri = S3Address.percentEncode(path.isEmpty ? "/" : path, keepingSlashes: true)
        let encoded: [(name: String, value: String)] = r.query.map { (S3Address.percentEncode($0.name), S3Address.percentEncode($0.value)) }
        let sorted = encoded.sorted { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        let query = sorted.map { $0.name + "=" + $0.value }.joined(separator: "&")
        // Header names in lower case; repeated names joined with commas in order; values trimmed
        // and inner runs of spaces (and folded lines) reduced to one space.
        var merged: [(name: String, value: String)] = []
        for (name, value) in r.headers {
            let key = name.lowercased()
            // A value folded over several lines is its lines, trimmed, joined with commas.
            let clean = value.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
                .map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }
                .filter { !$0.isEmpty }.joined(separator: ",")
            if let i = merged.firstIndex(where: { $0.name == key }) {
                merged[i].value += "," + clean
            } else {
                merged.append((key, clean))
            }
        }
        merged.sort { $0.name < $1.name }
        let signed = merged.map(\.name).joined(separator: ";")
        let headers = merged.map { "\($0.name):\($0.value)\n" }.joined()
        return ([r.method, uri, query, headers, signed, r.payloadHash].joined(separator: "\n"), signed)
    }

    public func scope(_ date: Date) -> String {
        "\(Self.amzDate(date).prefix(8))/\(region)/\(service)/aws4_request"
    }

    /// Task 2: the string to sign.
    public func stringToSign(canonicalRequest: String, date: Date) -> String {
        ["AWS4-HMAC-SHA256", Self.amzDate(date), scope(date), Self.sha256Hex(Array(canonicalRequest.utf8))].joined(separator: "\n")
    }

    /// Task 3: the signature, with the key derived from the secret, date, region and service.
    public func signature(stringToSign: String, date: Date) -> String {
        func hmac(_ key: [UInt8], _ text: String) -> [UInt8] {
            Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key)))
        }
        var key = hmac(Array("AWS4\(credentials.secretAccessKey)".utf8), String(Self.amzDate(date).prefix(8)))
        key = hmac(key, region)
        key = hmac(key, service)
        key = hmac(key, "aws4_request")
        return Hex.string(hmac(key, stringToSign))
    }

    /// Task 4: the Authorization header.
    public func authorization(_ r: Request, date: Date) -> String {
        let (creq, signed) = canonicalRequest(r)
        let signature = signature(stringToSign: stringToSign(canonicalRequest: creq, date: date), date: date)
        return "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(date)), SignedHeaders=\(signed), Signature=\(signature)"
    }

    /// The headers to send: the request's own plus `x-amz-date`, the session token when there is
    /// one, and `Authorization` over all of them.
    public func sign(_ request: Request, date: Date = Date()) -> [(name: String, value: String)] {
        var r = request
        r.headers.append(("x-amz-date", Self.amzDate(date)))
        if let token = credentials.sessionToken { r.headers.append(("x-amz-security-token", token)) }
        return r.headers + [("Authorization", authorization(r, date: date))]
    }

    /// RFC 3986 dot-segment removal and slash collapsing, for services other than S3.
    static func normalize(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." { _ = segments.popLast(); continue }
            segments.append(segment)
        }
        let trailing = path.hasSuffix("/") && !segments.isEmpty
        return "/" + segments.joined(separator: "/") + (trailing ? "/" : "")
    }
}
