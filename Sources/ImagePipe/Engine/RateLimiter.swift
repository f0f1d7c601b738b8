import Foundation

/// A token bucket in its GCRA form, checked at the moment a request is let through: callers
/// queue first come, first served, sleep until their estimated turn, and the one at the head
/// goes only when `now ≥ TAT − (burst−1)·interval`. Checking on wake-up (rather than handing out
/// start times in advance) means that callers waking late, on a busy machine, never go out
/// together: no window ever sees more than `burst` plus the rate's share.
///
/// Two rates apply: the configured `rate_limit`, a ceiling that never moves, and the pace the
/// provider's adaptive control sets (`adapt`), which may only be slower. `pause(for:)` stops
/// everyone until a time (a quota that is used up).
public final class RateLimiter: @unchecked Sendable {
    private let lock = NSLock()
    /// Seconds between requests at the configured rate; nil means no configured limit.
    private let ceiling: Duration?
    private let burst: Int
    /// The adaptive pace that always applies, and the one that applies once `headroom` is used up.
    private var pace: Duration?
    private var paceWhenNoHeadroom: Duration?
    /// Requests the provider's bucket still takes before `paceWhenNoHeadroom` applies; nil when unknown.
    private var headroom: Int?
    /// Calls let through and not yet finished, and the most of them a learned pace needs (nil: no cap).
    private var inFlight = 0
    private var inFlightCap: Int?
    /// The theoretical arrival time of the next request (GCRA's TAT).
    private var nextSlot: ContinuousClock.Instant
    private var pausedUntil: ContinuousClock.Instant
    private var nextTicket = 0
    private var serving = 0
    /// Tickets whose callers gave up (cancelled, or the run stopped) before their turn, or went
    /// out of turn while nothing paced them.
    private var abandoned = Set<Int>()

    let clock: any RunClock

    public init(limit: RateLimit?, clock: any RunClock = SystemClock()) {
        ceiling = limit.map { .seconds(1 / $0.requestsPerSecond) }
        burst = limit?.burst ?? 1
        self.clock = clock
        nextSlot = clock.now
        pausedUntil = clock.now
    }

    enum Turn: Equatable {
        case go
        case wait(ContinuousClock.Instant)
    }

    /// Waits until this caller may send one request; `sleep` does the waiting (so that a
    /// stopping run can cut it short by throwing).
    public func acquire(sleep: ((ContinuousClock.Instant) async throws -> Void)? = nil) async throws {
        let sleep = sleep ?? { [clock] in try await clock.sleep(until: $0) }
        let ticket = takeTicket()
        do {
            while true {
                switch turn(ticket) {
                case .go: return
                case .wait(let until): try await sleep(until)
                }
            }
        } catch {
            abandon(ticket)
            throw error
        }
    }

    /// A place in the queue.
    func takeTicket() -> Int {
        lock.withLock {
            nextTicket += 1
            return nextTicket - 1
        }
    }

    /// The spacing that applies now and the burst that goes with it; nil when nothing paces.
    private var interval: (Duration, burst: Int)? {
        var slowest = pace
        if let h = paceWhenNoHeadroom, (headroom ?? 0) <= 0 { slowest = max(slowest ?? h, h) }
        guard let ceiling else { return slowest.map { ($0, 1) } }
        guard let slowest, slowest > ceiling else { return (ceiling, burst) }
        return (slowest, 1)
    }

    /// Whether the caller holding `ticket` may send now, or until when to wait: decided on the
    /// clock's time at the moment of asking.
    func turn(_ ticket: Int) -> Turn {
        lock.withLock {
            let now = clock.now
            if pausedUntil > now { return .wait(pausedUntil) }
            if let cap = inFlightCap, inFlight >= cap, interval != nil {
                // The pace needs no more in flight: a provider answering slower gets no more calls.
                return .wait(now + .milliseconds(5))
            }
            guard let (interval, burst) = interval else {
                // Nothing paces: go at once, in any order.
                sent()
                if ticket == serving { advance() } else if ticket > serving { abandoned.insert(ticket) }
                return .go
            }
            let allowed = nextSlot - interval * (burst - 1)
            if ticket == serving, now >= allowed {
                nextSlot = max(nextSlot, now) + interval
                sent()
                advance()
                return .go
            }
            // The head waits exactly until it may go; the others until about their turn, and at
            // least a little, so that a late head does not make them spin.
            if ticket == serving { return .wait(allowed) }
            let estimate = allowed + interval * (ticket - serving)
            return .wait(max(estimate, now + min(interval / 8, .milliseconds(5))))
        }
    }

    private func sent() {
        if let h = headroom { headroom = h - 1 }
        inFlight += 1
    }

    /// A call let through has ended.
    func finished() {
        lock.withLock { inFlight -= 1 }
    }

    /// Calls let through and not yet finished.
    var callsInFlight: Int { lock.withLock { inFlight } }

    /// The most calls in flight while a pace applies (nil: only the provider's `concurrency`).
    func capInFlight(_ calls: Int?) {
        lock.withLock { inFlightCap = calls }
    }

    private func advance() {
        serving += 1
        while abandoned.remove(serving) != nil { serving += 1 }
    }

    func abandon(_ ticket: Int) {
        lock.withLock {
            if ticket == serving { advance() } else if ticket > serving { abandoned.insert(ticket) }
        }
    }

    /// Nothing starts for `seconds` from now (longer pauses win over shorter ones).
    public func pause(for seconds: Double) {
        guard seconds > 0 else { return }
        let until = clock.now.advanced(by: .seconds(seconds))
        lock.withLock {
            if until > pausedUntil { pausedUntil = until }
            if until > nextSlot { nextSlot = until }
        }
    }

    /// The adaptive control's word: a rate that always applies (nil: none) and a rate for when
    /// the provider's bucket is empty.
    func adapt(rate: Double?, whenEmpty: Double?) {
        lock.withLock {
            pace = rate.map { .seconds(1 / $0) }
            paceWhenNoHeadroom = whenEmpty.map { .seconds(1 / $0) }
        }
    }

    /// How many requests the provider's bucket still takes, as its newest answer tells (nil:
    /// unknown, which counts as empty once a rate for that is set); each request sent uses one.
    func setHeadroom(_ requests: Int?) {
        lock.withLock { headroom = requests }
    }

    /// The configured `rate_limit` in requests per second.
    var ceilingRate: Double? { ceiling.map { 1 / $0.inSeconds } }

    /// Requests per second the limiter lets through now; nil when nothing paces.
    var currentRate: Double? {
        lock.withLock { interval.map { 1 / $0.0.inSeconds } }
    }
}
