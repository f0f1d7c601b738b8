import Foundation
import ImagePipeCore

/// Checks that a webhook delivery came from the provider, unchanged and recently, and says
/// which job it is about. One per queued provider kind (fal signs with Ed25519, Replicate with
/// Standard Webhooks' HMAC).
package protocol WebhookVerifier: Sendable {
    func verify(headers: [(String, String)], body: [UInt8], now: Date) async throws(WebhookRefusal) -> WebhookDelivery
}

/// A delivery that passed its checks: the job it is about, and the delivery's own id (a retry of
/// the same delivery carries the same one).
package struct WebhookDelivery: Sendable, Equatable {
    package var jobID: String
    package var deliveryID: String
    /// The body as signed: the job's result, which the provider reads with `state(fromDelivery:)`.
    package var body: [UInt8]

    package init(jobID: String, deliveryID: String, body: [UInt8] = []) {
        self.jobID = jobID
        self.deliveryID = deliveryID
        self.body = body
    }
}

/// Why a delivery was refused (401): said to the sender, and counted for the summary.
package struct WebhookRefusal: Error, Sendable, Equatable {
    package var reason: String
    package init(_ reason: String) { self.reason = reason }
}

package enum WebhookClock {
    /// Deliveries older (or further in the future) than this are refused as replays.
    package static let tolerance: Double = 300

    /// The delivery's timestamp (Unix seconds) when it is recent enough.
    package static func check(timestamp text: String?, now: Date) throws(WebhookRefusal) -> Int {
        guard let text, let seconds = Int(text) else { throw WebhookRefusal("no timestamp") }
        guard abs(now.timeIntervalSince1970 - Double(seconds)) <= tolerance else {
            throw WebhookRefusal("the timestamp is more than \(Int(tolerance)) s away from now (a replay, or a clock far off)")
        }
        return seconds
    }
}
