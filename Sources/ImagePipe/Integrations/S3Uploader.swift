import Crypto
import Foundation

/// PutObject to S3 or an S3-compatible store, signed with SigV4, with S3's XML errors mapped to
/// failure classes.
struct S3Uploader: Sendable {
    let transport: HTTPTransport
    let signer: SigV4Signer
    let bucket: String
    let endpoint: String?
    let pathStyle: Bool
    let cacheControl: String?
    let checksum: Bool

    struct Uploaded: Sendable {
        var url: String
        var etag: String?
    }

    /// The credentials a stage uses: its own keys, else the standard AWS environment variables.
    static func credentials(_ spec: S3UploadSpec, environment: [String: String]) -> SigV4Signer.Credentials? {
        guard let id = spec.accessKeyID ?? environment["AWS_ACCESS_KEY_ID"],
              let secret = spec.secretAccessKey ?? environment["AWS_SECRET_ACCESS_KEY"], !id.isEmpty, !secret.isEmpty else { return nil }
        let token = spec.sessionToken ?? environment["AWS_SESSION_TOKEN"]
        return SigV4Signer.Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token?.isEmpty == true ? nil : token)
    }

    static func region(_ spec: S3UploadSpec, environment: [String: String]) -> String {
        spec.region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
    }

    func put(key: String, body: [UInt8], contentType: String, timeout: Double) async throws(CallFailure) -> Uploaded {
        let url = S3Address.objectURL(bucket: bucket, key: key, region: signer.region, endpoint: endpoint, pathStyle: pathStyle)
        guard let parts = URLComponents(string: url), let host = parts.host else {
            throw CallFailure(.bad_request, "cannot build an object URL from endpoint '\(endpoint ?? "")'")
        }
        let hostHeader = parts.port.map { "\(host):\($0)" } ?? host
        // The signed path is the decoded one; the signer encodes it exactly as S3 expects.
        let virtualHosted = url.contains("://\(bucket).")
        let path = virtualHosted ? "/\(key)" : "/\(bucket)/\(key)"
        let payloadHash = SigV4Signer.sha256Hex(body)
        var headers: [(name: String, value: String)] = [
            ("host", hostHeader), ("x-amz-content-sha256", payloadHash), ("content-type", contentType),
        ]
        if let cacheControl { headers.append(("cache-control", cacheControl)) }
        if checksum { headers.append(("x-amz-checksum-sha256", Data(SHA256.hash(data: body)).base64EncodedString())) }
        let signed = signer.sign(SigV4Signer.Request(method: "PUT", path: path, headers: headers, payloadHash: payloadHash))
        let reply = try await transport.send(.PUT, url, headers: signed.map { ($0.name, $0.value) }, body: body, timeout: timeout)
        guard (200..<300).contains(reply.status) else { throw Self.failure(reply) }
        return Uploaded(url: url, etag: reply.header("ETag")?.trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
    }

    /// S3's `<Error><Code>…</Code><Message>…</Message></Error>`, mapped to a class.
    static func failure(_ reply: HTTPReply) -> CallFailure {
        let text = String(decoding: reply.body.prefix(4096), as: UTF8.self)
        func element(_ name: String) -> String? {
            guard let open = text.range(of: "<\(name)>"), let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex) else { return nil }
            return String(text[open.upperBound..<close.lowerBound])
        }
        let code = element("Code") ?? "HTTP \(reply.status)"
        var message = "S3 \(code)" + (element("Message").map { ": \($0)" } ?? "")
        var failureClass = FailureClass.of(status: reply.status)
        switch code {
        case "SlowDown", "RequestLimitExceeded", "TooManyRequests":
            failureClass = .rate_limited
        case "ServiceUnavailable", "InternalError":
            failureClass = .server_error
        case "SignatureDoesNotMatch", "AccessDenied", "InvalidAccessKeyId", "ExpiredToken", "InvalidToken":
            failureClass = .auth
            if code == "SignatureDoesNotMatch" { message += " (check the secret access key)" }
        case "RequestTimeTooSkewed":
            failureClass = .bad_request
            message += " (this machine's clock is more than 15 minutes off the store's: set it right, e.g. with NTP)"
        case "NoSuchBucket":
            failureClass = .bad_request
            message += " (create the bucket, or fix 'bucket')"
        default:
            break
        }
        return CallFailure(failureClass, message, retryAfter: RetryAfter.seconds(headers: reply.headers), status: reply.status)
    }
}
