import Crypto
import Foundation

/// fal's deliveries: an Ed25519 signature (hex, `X-Fal-Webhook-Signature`) over
/// `REQUEST_ID\nUSER_ID\nTIMESTAMP\nhex(sha256(body))`, checked against every key of fal's JWKS
/// (fetched once and kept for a day). The request id header names the job.
final class FalWebhookVerifier: WebhookVerifier, @unchecked Sendable {
    static let defaultJWKSURL = "https://rest.fal.ai/.well-known/jwks.json"
    static let keysKeptFor: Double = 24 * 3600

    let jwksURL: String
    private let transport: HTTPTransport
    private let lock = NSLock()
    private var keys: [Curve25519.Signing.PublicKey] = []
    private var fetchedAt: Date?
    /// When fetching the keys last failed: not tried again for a minute, whatever deliveries come.
    private var failedAt: Date?
    static let retryFetchAfter: Double = 60

    init(jwksURL: String, transport: HTTPTransport) {
        self.jwksURL = jwksURL
        self.transport = transport
    }

    func verify(headers: [(String, String)], body: [UInt8], now: Date) async throws(WebhookRefusal) -> WebhookDelivery {
        guard let requestID = HeaderList.value("X-Fal-Webhook-Request-Id", in: headers),
              let userID = HeaderList.value("X-Fal-Webhook-User-Id", in: headers),
              let signatureHex = HeaderList.value("X-Fal-Webhook-Signature", in: headers)
        else { throw WebhookRefusal("unsigned: the X-Fal-Webhook-* headers are missing") }
        let timestamp = String(try WebhookClock.check(timestamp: HeaderList.value("X-Fal-Webhook-Timestamp", in: headers), now: now))
        guard let signature = Hex.bytes(signatureHex) else { throw WebhookRefusal("the signature is not hex") }
        let message = Array([requestID, userID, timestamp, Hex.string(SHA256.hash(data: body))].joined(separator: "\n").utf8)
        let known = try await publicKeys(now: now)
        guard known.contains(where: { $0.isValidSignature(signature, for: message) }) else {
            throw WebhookRefusal("the signature does not match any key of \(jwksURL)")
        }
        if let json = try? JSONParser.parse(body), case .string(let inBody)? = json["request_id"], inBody != requestID {
            throw WebhookRefusal("the body's request_id is not the signed one")
        }
        return WebhookDelivery(jobID: requestID, deliveryID: requestID + "/" + timestamp, body: body)
    }

    /// The JWKS's Ed25519 keys, fetched when none are kept or they are a day old.
    private func publicKeys(now: Date) async throws(WebhookRefusal) -> [Curve25519.Signing.PublicKey] {
        let kept: [Curve25519.Signing.PublicKey]? = lock.withLock {
            guard let fetchedAt, now.timeIntervalSince(fetchedAt) < Self.keysKeptFor, !keys.isEmpty else { return nil }
            return keys
        }
        if let kept { return kept }
        let recentlyFailed = lock.withLock { failedAt.map { now.timeIntervalSince($0) < Self.retryFetchAfter } ?? false }
        // The sender is not trusted yet: it learns only that the keys are missing, not why.
        guard !recentlyFailed else { throw WebhookRefusal("the signing keys could not be fetched") }
        let reply = try? await transport.send(.GET, jwksURL, timeout: 10)
        guard let reply, reply.status == 200, case .array(let entries)? = reply.json?["keys"] else {
            lock.withLock { failedAt = now }
            throw WebhookRefusal("the signing keys could not be fetched")
        }
        let fetched = entries.compactMap { entry -> Curve25519.Signing.PublicKey? in
            guard case .string("OKP")? = entry["kty"], case .string("Ed25519")? = entry["crv"], case .string(let x)? = entry["x"],
                  let raw = Self.base64URL(x) else { return nil }
            return try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        }
        guard !fetched.isEmpty else {
            lock.withLock { failedAt = now }
            throw WebhookRefusal("the signing keys could not be fetched")
        }
        lock.withLock {
            keys = fetched
            fetchedAt = now
        }
        return fetched
    }

    static func base64URL(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
