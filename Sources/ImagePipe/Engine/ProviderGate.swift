import Foundation

/// Everything a call to one provider waits for, shared by every stage that uses the provider:
/// its concurrency cap, its rate limit (with 429 pauses), and the breaker that stops sending
/// after the key has been refused several times in a row.
public final class ProviderGate: @unchecked Sendable {
    /// Refusals in a row (401/403) after which the provider's remaining items fail at once.
    public static let authFailuresToGiveUp = 3
    /// Connections refused (or hosts not found) in a row after which the same happens: a wrong
    /// base_url or a server that is down would otherwise be tried for every item, with retries.
    public static let unreachableToGiveUp = 3

    public let name: String
    /// The provider's `concurrency`: this process's cap, or the run's across workers.
    let concurrency: Int?
    let slots: AsyncSemaphore?
    let limiter: RateLimiter
    /// The provider's learned pace; nil with `adaptive: false` and for integration stages.
    let adaptive: AdaptiveRate?
    /// Set for a provider that works through a queue (fal, Replicate): where its jobs wait.
    let queue: JobQueue?
    /// The provider's `rate_limit` in requests per second, held across workers through `shared`.
    let sharedRate: Double?
    /// With workers on a shared ledger: where the provider's pace across all of them is kept.
    var shared: SharedLimits?
    private let lock = NSLock()
    private var authFailuresInARow = 0
    private var unreachableInARow = 0
    private var refusal: CallFailure?
    /// Calls ended and throttled ones, for the traffic report when the adaptive control is off.
    private var ended = 0
    private var throttled = 0

    /// `callbackURL`: where a queued provider delivers its jobs (`run --listen`).
    public init(provider: ProviderSpec, clock: any RunClock = SystemClock(), callbackURL: String? = nil) {
        name = provider.name
        concurrency = provider.concurrency
        slots = provider.concurrency.map { AsyncSemaphore(permits: $0) }
        limiter = RateLimiter(limit: provider.rateLimit, clock: clock)
        sharedRate = provider.rateLimit?.requestsPerSecond
        adaptive = provider.adaptive ? AdaptiveRate(limiter: limiter) : nil
        queue = provider.component.isQueued ? JobQueue(settings: QueueSettings(provider), clock: clock, callbackURL: callbackURL) : nil
    }

    /// For an integration stage (a store, a CMS): no limits of its own beyond the stage's, but a
    /// 429 still pauses it and refused credentials still stop it early.
    public init(name: String, clock: any RunClock = SystemClock()) {
        self.name = name
        concurrency = nil
        slots = nil
        limiter = RateLimiter(limit: nil, clock: clock)
        sharedRate = nil
        adaptive = nil
        queue = nil
    }

    /// How the provider's answers went and the pace it was held to.
    public var traffic: ProviderTraffic {
        if let adaptive { return adaptive.traffic(provider: name) }
        let pace = limiter.ceilingRate
        return lock.withLock {
            ProviderTraffic(provider: name, answered: ended, throttled: throttled, pace: pace, learnedFrom: pace == nil ? nil : "rate_limit", adaptive: false)
        }
    }

    /// The transport the provider sends through: watched by the adaptive control, when on.
    func watching(_ transport: HTTPTransport) -> HTTPTransport {
        adaptive.map { transport.observed(by: $0) } ?? transport
    }

    /// Set once the key has been refused `authFailuresToGiveUp` times in a row, or the server
    /// could not be reached `unreachableToGiveUp` times.
    public var givenUp: CallFailure? { lock.withLock { refusal } }

    /// Runs one call once a slot and a rate-limit token are free.
    func call<T>(control: RunControl, _ body: () async throws -> T) async throws -> T {
        if let slots { try await slots.acquire() }
        defer { slots?.release() }
        try await limiter.acquire { try await control.sleep(until: $0) }
        defer { limiter.finished() }
        if let shared, let sharedRate {
            // This worker's pace is the provider's too; the run's workers together take turns.
            let wait = try await shared.nextStart(provider: name, rate: sharedRate)
            if wait > 0 { try await control.sleep(until: control.clock.now + .seconds(wait)) }
        }
        return try await body()
    }

    /// With workers: takes this worker's share of the provider's concurrency across the run (at
    /// most `usable`, what its stages can use) and caps its calls to the slots it holds.
    func rebalanceSlots(usable: Int) throws {
        guard let shared, let slots, let total = concurrency else { return }
        let cap = try shared.rebalance(provider: name, total: total, usable: usable) { fair in slots.shrink(to: fair) }
        slots.resize(to: cap)
    }

    /// Tells the gate how a call ended, so that throttling slows the provider and refusals add up.
    func record(_ failure: CallFailure?) {
        if let failure, failure.failureClass == .rate_limited {
            if let adaptive {
                // A 429 answer was seen by the adaptive control already, with what it said.
                if failure.status != 429 { adaptive.throttledWithoutReply() }
            } else {
                // Without a server hint, a short pause still spreads the retries of many callers.
                limiter.pause(for: failure.retryAfter ?? 1)
            }
        }
        lock.withLock {
            ended += 1
            if failure?.failureClass == .rate_limited { throttled += 1 }
            if let failure, failure.failureClass == .auth {
                authFailuresInARow += 1
                if authFailuresInARow >= Self.authFailuresToGiveUp, refusal == nil {
                    refusal = CallFailure(.auth, "'\(name)' refused the credentials \(authFailuresInARow) times in a row (\(failure.message)); its remaining items were not sent")
                }
            } else if failure == nil || failure?.failureClass != .auth {
                authFailuresInARow = 0
            }
            if let failure, failure.unreachable {
                unreachableInARow += 1
                if unreachableInARow >= Self.unreachableToGiveUp, refusal == nil {
                    refusal = CallFailure(.network, "\(failure.message) (\(unreachableInARow) times in a row); '\(name)' was given up and its remaining items were not sent")
                }
            } else {
                unreachableInARow = 0
            }
        }
    }
}
