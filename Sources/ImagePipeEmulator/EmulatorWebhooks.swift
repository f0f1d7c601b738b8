import Crypto
import Foundation
import ImagePipe

/// The emulator's webhook deliveries, as fal and Replicate send them when a job ends: fal's
/// signed with Ed25519 (the test key below, published at `/fal/.well-known/jwks.json`), Replicate's
/// with Standard Webhooks' HMAC (`configuration.webhookSecret`, also at
/// `/v1/webhooks/default/secret`). Some may be lost or sent twice, as configured.
public final class EmulatorWebhooks: @unchecked Sendable {
    /// The emulator's fal signing key: a fixed test key, never a real one.
    public static let falKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: Array(SHA256.hash(data: Array("imagepipe emulator fal webhook key".utf8))))
    public static let falUserID = "emulator-user"

    private let lock = NSLock()
    private var transport: HTTPTransport?
    private var sent = 0
    private var dropped = 0
    private var answers: [Int: Int] = [:]

    public struct Counts: Sendable {
        public var sent: Int
        public var dropped: Int
        /// The receivers' answers by status.
        public var answers: [Int: Int]
    }

    public var counts: Counts { lock.withLock { Counts(sent: sent, dropped: dropped, answers: answers) } }

    /// The JWKS document of `falKey`.
    static var jwks: JSONValue {
        let x = Data(falKey.publicKey.rawRepresentation).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return .object([("keys", .array([.object([("kty", .string("OKP")), ("crv", .string("Ed25519")), ("x", .string(x)),
                                                   ("kid", .string("emulator")), ("use", .string("sig"))])]))])
    }

    /// fal's headers for `body` about `requestID`, signed at `timestamp` with `key`.
    public static func falHeaders(requestID: String, body: [UInt8], timestamp: Int, key: Curve25519.Signing.PrivateKey = falKey) -> [(String, String)] {
        let message = [requestID, falUserID, String(timestamp), hex(Array(SHA256.hash(data: body)))].joined(separator: "\n")
        let signature = (try? key.signature(for: Array(message.utf8))).map { hex(Array($0)) } ?? ""
        return [("Content-Type", "application/json"), ("X-Fal-Webhook-Request-Id", requestID), ("X-Fal-Webhook-User-Id", falUserID),
                ("X-Fal-Webhook-Timestamp", String(timestamp)), ("X-Fal-Webhook-Signature", signature)]
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// Sends `body` to `url` after `delay` seconds, unless it is lost; twice when duplicated.
    func deliver(to url: String, after delay: Double, configuration: EmulatorConfiguration, headers: @escaping @Sendable ([UInt8]) -> [(String, String)],
                 body: @escaping @Sendable () -> [UInt8]) {
        let lost = configuration.webhookLoss > 0 && Double.random(in: 0..<1) < configuration.webhookLoss
        let twice = configuration.webhookDuplicates > 0 && Double.random(in: 0..<1) < configuration.webhookDuplicates
        let client = lock.withLock { () -> HTTPTransport in
            if let existing = self.transport { return existing }
            let made = HTTPTransport(connectionsPerHost: 8)
            self.transport = made
            return made
        }
        Task {
            try? await Task.sleep(for: .seconds(delay))
            if lost {
                self.lock.withLock { self.dropped += 1 }
                return
            }
            let bytes = body()
            let signed = headers(bytes)
            for _ in 0..<(twice ? 2 : 1) {
                self.lock.withLock { self.sent += 1 }
                let status = (try? await client.send(.POST, url, headers: signed, body: bytes, timeout: 10))?.status ?? 0
                self.lock.withLock { self.answers[status, default: 0] += 1 }
            }
        }
    }

    func shutdown() async {
        let transport = lock.withLock { () -> HTTPTransport? in
            defer { self.transport = nil }
            return self.transport
        }
        await transport?.shutdown()
    }
}
