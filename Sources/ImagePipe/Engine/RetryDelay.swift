import Foundation

/// The wait before the next attempt: the server's word when it gave one, else the policy's
/// backoff with jitter, never longer than `max`.
public struct RetryDelay: Sendable {
    /// A server's Retry-After is honoured up to this; past it the answer is treated as a refusal.
    public static let longestServerDelay = 3600.0

    public var policy: RetryPolicy

    public init(policy: RetryPolicy) { self.policy = policy }

    /// Whether attempt number `attempt` (1 for the first) failing with `failure` earns another.
    public func shouldRetry(after failure: CallFailure, attempt: Int) -> Bool {
        guard attempt < policy.attempts, let condition = failure.failureClass.retryCondition else { return false }
        guard policy.on.contains(condition) else { return false }
        if let wait = failure.retryAfter, wait > Self.longestServerDelay { return false }
        return true
    }

    /// Seconds to wait after attempt number `attempt` failed.
    public func seconds(after failure: CallFailure, attempt: Int, random: (Double) -> Double = { Double.random(in: 0...$0) }) -> Double {
        if let wait = failure.retryAfter { return max(0, wait) }
        return backoff(attempt: attempt, random: random)
    }

    /// The policy's wait after attempt number `attempt`, jitter applied.
    public func backoff(attempt: Int, random: (Double) -> Double = { Double.random(in: 0...$0) }) -> Double {
        let base: Double
        switch policy.backoff {
        case .constant: base = policy.initial
        case .exponential: base = policy.initial * pow(policy.multiplier, Double(max(0, attempt - 1)))
        }
        let capped = min(base.isFinite ? base : policy.max, policy.max)
        switch policy.jitter {
        case .none: return capped
        case .full: return random(capped)
        case .equal: return capped / 2 + random(capped / 2)
        }
    }
}
