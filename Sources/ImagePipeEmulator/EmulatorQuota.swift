import Foundation

/// A provider's request quota as the big APIs enforce it: a token bucket of `burst` requests
/// refilled at `requestsPerSecond`. Every answer says where the bucket stands, the way OpenAI's
/// `x-ratelimit-*` headers do; a request that finds it empty is refused with the wait until the
/// next token.
final class EmulatorQuota: @unchecked Sendable {
    struct Reading: Equatable {
        var granted: Bool
        /// The bucket's size: OpenAI's `x-ratelimit-limit-requests`.
        var limit: Int
        /// Whole tokens left after this request.
        var remaining: Int
        /// Seconds until the bucket is full again: `x-ratelimit-reset-requests`.
        var resetSeconds: Double
        /// For a refused request: seconds until one token is back.
        var retryAfter: Double
        /// The quota per minute, as Gemini's `QuotaFailure` states it.
        var perMinute: Int
    }

    let requestsPerSecond: Double
    let burst: Int
    private let lock = NSLock()
    private var tokens: Double
    private var updated = ContinuousClock.now

    init(requestsPerSecond: Double, burst: Int) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
        tokens = Double(burst)
    }

    func take() -> Reading {
        lock.withLock {
            let now = ContinuousClock.now
            tokens = min(Double(burst), tokens + (now - updated).inSeconds * requestsPerSecond)
            updated = now
            let granted = tokens >= 1
            if granted { tokens -= 1 }
            return Reading(granted: granted, limit: burst, remaining: Int(tokens.rounded(.down)),
                           resetSeconds: (Double(burst) - tokens) / requestsPerSecond,
                           retryAfter: granted ? 0 : (1 - tokens) / requestsPerSecond,
                           perMinute: Int((requestsPerSecond * 60).rounded()))
        }
    }

    /// OpenAI's spelling of a duration (Go's): `1s`, `6m0s`, `20ms`, `1.5s`.
    static func goDuration(_ seconds: Double) -> String {
        if seconds < 1 {
            let ms = (seconds * 1000).rounded(.up)
            return "\(Int(ms))ms"
        }
        let minutes = Int(seconds / 60)
        let rest = seconds - Double(minutes * 60)
        let secondsText = rest == rest.rounded() ? String(Int(rest)) : String(format: "%.3g", rest)
        return minutes > 0 ? "\(minutes)m\(secondsText)s" : "\(secondsText)s"
    }
}
