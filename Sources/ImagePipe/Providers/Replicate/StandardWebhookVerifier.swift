import Crypto
import Foundation

/// Replicate's deliveries, signed the Standard Webhooks way: `webhook-id`, `webhook-timestamp`
/// and `webhook-signature` (space-separated `v1,BASE64` entries, any of which may match) over
/// `ID.TIMESTAMP.BODY` with the `whsec_` secret. The body is the prediction; its `id` is the job.
struct StandardWebhookVerifier: WebhookVerifier {
    let signer: StandardWebhookSigner

    init(secret: String) { signer = StandardWebhookSigner(secret: secret) }

    func verify(headers: [(String, String)], body: [UInt8], now: Date) async throws(WebhookRefusal) -> WebhookDelivery {
        guard let id = HeaderList.value("webhook-id", in: headers), let signatures = HeaderList.value("webhook-signature", in: headers) else {
            throw WebhookRefusal("unsigned: no webhook-id or webhook-signature header")
        }
        let timestamp = try WebhookClock.check(timestamp: HeaderList.value("webhook-timestamp", in: headers), now: now)
        let expected = Array(signer.signature(id: id, timestamp: timestamp, body: body).utf8)
        guard signatures.split(separator: " ").contains(where: { Self.equal(Array($0.utf8), expected) }) else {
            throw WebhookRefusal("the signature does not match")
        }
        guard let json = try? JSONParser.parse(body), case .string(let job)? = json["id"] else {
            throw WebhookRefusal("the body has no prediction id")
        }
        return WebhookDelivery(jobID: job, deliveryID: id, body: body)
    }

    /// Compares in time independent of where the first difference is.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
