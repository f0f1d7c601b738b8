import Foundation
import ImagePipe

/// How the emulator behaves: its latency, its failures and its limits.
public struct EmulatorConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 0
    /// Seconds before each answer, plus up to `latencyJitter` more (uniformly).
    public var latency = 0.0
    public var latencyJitter = 0.0
    /// Share of requests answered 500 (0…1).
    public var errorRate = 0.0
    /// Share of requests never answered (0…1).
    public var hangRate = 0.0
    /// Share of requests answered 429 at random (0…1), as a provider shedding load does: no
    /// quota is exhausted, the request may be sent again after its Retry-After.
    public var throttleRate = 0.0
    /// A true quota: a token bucket of `burst` requests refilled at `requestsPerSecond`, stated
    /// on every answer (OpenAI's `x-ratelimit-*` headers; Gemini's `QuotaFailure` on a 429).
    public var quota: Quota?
    public struct Quota: Sendable {
        public var requestsPerSecond: Double
        public var burst: Int
        public init(requestsPerSecond: Double, burst: Int? = nil) {
            self.requestsPerSecond = requestsPerSecond
            self.burst = burst ?? max(1, Int(requestsPerSecond.rounded(.up)))
        }
    }
    /// Requests per minute past which the emulator answers 429 with Retry-After.
    public var rateLimitRPM: Double?
    /// A prompt containing this is refused as unsafe, in each API's own way.
    public var blockMarker = "[[block]]"
    /// The size of every image sent back; nil answers at the requested size.
    public var imageSize: ImageSize? = ImageSize(width: 64, height: 64)
    /// Draw the prompt's start and the model on each image, so that wiring shows by eye.
    public var labels = true
    /// When set, requests without this key get the API's authentication error.
    public var apiKey: String?

    /// Seconds a job of the queue APIs (fal, Replicate) waits from its submit until it is done.
    public var queueTime = 0.5
    /// Shares of status requests of the queue APIs answered 500, or never answered (0…1).
    public var pollErrorRate = 0.0
    public var pollHangRate = 0.0

    /// Shares of webhook deliveries never sent, or sent twice (0…1).
    public var webhookLoss = 0.0
    public var webhookDuplicates = 0.0
    /// The secret Replicate-style deliveries are signed with (Standard Webhooks).
    public var webhookSecret = "whsec_" + Data("imagepipe-emulator-webhook-secret".utf8).base64EncodedString()

    /// Seconds an OpenAI batch takes from its creation to `completed`.
    public var batchTime = 1.0

    public init() {}
}
