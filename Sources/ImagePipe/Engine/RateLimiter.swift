import Foundation

/// A token bucket in its GCRA form: each request reserves the earliest start time the bucket
/// allows, so that waits are absolute deadlines (oversleeping one never delays the next) and no
/// window ever sees more than `burst` plus the rate's share of requests.
///
/// `pause(for:)` is how a 429 slows a provider down for every caller: nothing starts before the
/// pause ends, and callers that already hold an earlier slot wait it out too.
public final class RateLimiter: @unchecked Sendable {
    private let lock = NSLock()
    /// Seconds between requests at the configured rate; nil means no rate limit, only pauses.
    private let interval: Double?
    private let burst: Int
    /// The theoretical arrival time of the next request (GCRA's TAT).
    private var nextSlot: ContinuousClock.Instant
    private var pausedUntil: ContinuousClock.Instant

    public init(limit: RateLimit?) {
        interval = limit.map { 1 / $0.requestsPerSecond }
        burst = limit?.burst ?? 1
        nextSlot = .now
        pausedUntil = .now
    }

    /// Waits until this caller may send one request; `sleep` does the waiting (so that a
    /// stopping run can cut it short).
    public func acquire(sleep: (ContinuousClock.Instant) async throws -> Void = { try await Task.sleep(until: $0, clock: .continuous) }) async throws {
        var slot = reserve()
        while true {
            if slot > .now { try await sleep(slot) }
            let resume = lock.withLock { pausedUntil }
            guard resume > .now else { return }
            // A 429 arrived while we waited: the slot we held is void, take a new one after it.
            try await sleep(resume)
            slot = reserve()
        }
    }

    /// Nothing starts for `seconds` from now (longer pauses win over shorter ones).
    public func pause(for seconds: Double) {
        guard seconds > 0 else { return }
        let until = ContinuousClock.now.advanced(by: .seconds(seconds))
        lock.withLock {
            if until > pausedUntil { pausedUntil = until }
            if interval != nil, until > nextSlot { nextSlot = until }
        }
    }

    private func reserve() -> ContinuousClock.Instant {
        lock.withLock {
            let now = ContinuousClock.now
            let earliest = max(now, pausedUntil)
            guard let interval else { return earliest }
            let step = Duration.seconds(interval)
            // GCRA: a request may go at `nextSlot - (burst-1)·interval`, and not before now.
            let allowed = nextSlot - step * (burst - 1)
            let start = max(earliest, allowed)
            nextSlot = max(nextSlot, start) + step
            return start
        }
    }
}
