import Crypto
import Foundation

/// Signs a webhook body the Standard Webhooks way (standardwebhooks.com): headers
/// `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,BASE64(HMAC-SHA256(key,
/// "ID.TIMESTAMP.BODY"))`, where the key is the base64 part of a `whsec_…` secret (any other
/// secret is used as it is).
public struct StandardWebhookSigner: Sendable {
    public var secret: String

    public init(secret: String) { self.secret = secret }

    var key: [UInt8] {
        if secret.hasPrefix("whsec_"), let decoded = Data(base64Encoded: String(secret.dropFirst(6))) { return Array(decoded) }
        return Array(secret.utf8)
    }

    public func signature(id: String, timestamp: Int, body: [UInt8]) -> String {
        let content = Array("\(id).\(timestamp).".utf8) + body
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }

    public func headers(id: String, timestamp: Int, body: [UInt8]) -> [(String, String)] {
        [("webhook-id", id), ("webhook-timestamp", String(timestamp)), ("webhook-signature", signature(id: id, timestamp: timestamp, body: body))]
    }
}
