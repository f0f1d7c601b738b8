import Foundation

/// A token bucket in its GCRA form, checked at the moment a request is let through: callers
/// queue first come, first served, sleep until their estimated turn, and the one at the head
/// goes only when `now ≥ TAT − (burst−1)·interval`. Checking on wake-up (rather than handing out
/// start times in advance) means that callers waking late, on a busy machine, never go out
/// together: no window ever sees more than `burst` plus the rate's share.
///
/// `pause(for:)` is how a 429 slows a provider down for every caller: nothing starts before the
/// pause ends.
public final class RateLimiter: @unchecked Sendable {
    private let lock = NSLock()
    /// Seconds between requests at the configured rate; nil means no rate limit, only pauses.
    private let interval: Duration?
    private let burst: Int
    /// The theoretical arrival time of the next request (GCRA's TAT).
    private var nextSlot: ContinuousClock.Instant
    private var pausedUntil: ContinuousClock.Instant
    private var nextTicket = 0
    private var serving = 0
    /// Tickets whose callers gave up (cancelled, or the run stopped) before their turn.
    private var abandoned = Set<Int>()

    let clock: any RunClock

    public init(limit: RateLimit?, clock: any RunClock = SystemClock()) {
        interval = limit.map { .seconds(1 / $0.requestsPerSecond) }
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
            if let ticket { abandon(ticket) }
            throw error
        }
    }

    /// A place in the queue (nil without a rate: only pauses apply).
    func takeTicket() -> Int? {
        interval == nil ? nil : lock.withLock {
            nextTicket += 1
            return nextTicket - 1
        }
    }

    /// Whether the caller holding `ticket` may send now, or until when to wait: decided on the
    /// clock's time at the moment of asking.
    func turn(_ ticket: Int?) -> Turn {
        lock.withLock {
            let now = clock.now
            if pausedUntil > now { return .wait(pausedUntil) }
            guard let interval, let ticket else { return .go }
            let allowed = nextSlot - interval * (burst - 1)
            if ticket == serving, now >= allowed {
                nextSlot = max(nextSlot, now) + interval
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
            if interval != nil, until > nextSlot { nextSlot = until }
        }
    }
}
