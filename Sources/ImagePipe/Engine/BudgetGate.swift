import Foundation

/// The spending cap: each paid call reserves its price first; a reservation that would pass
/// the cap is refused, and from then on nothing new starts.
public final class BudgetGate: @unchecked Sendable {
    private let lock = NSLock()
    public let limit: Double?
    private var reserved = 0.0
    private var spentUSD = 0.0
    private var reached = false
    /// Counts settlements, so that a caller told to wait knows whether one came in between.
    private var generation = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// With workers on a shared ledger: the run's budget across all of them.
    var shared: SharedLimits?
    /// Why the shared budget could not be read, when that stopped new work.
    private(set) var sharedFailure: String?
    /// Reads of the shared budget that failed in a row: a moment's trouble is waited out.
    private var sharedFailuresInARow = 0

    public init(limit: Double?) { self.limit = limit }

    /// Another worker found the budget reached.
    func markReached() { lock.withLock { reached = true } }

    public var spent: Double { lock.withLock { spentUSD } }
    public var isReached: Bool { lock.withLock { reached } }
    /// Held for calls in flight; 0 once every call has settled.
    var reservedUSD: Double { lock.withLock { reserved } }

    enum Reservation: Equatable {
        case reserved
        /// It does not fit now, but calls in flight hold reservations that may come back: ask
        /// again after the next settlement (`settled(after:)`), waiting with no slot held.
        case waitFor(generation: Int)
        /// It does not fit and nothing is outstanding: the budget is reached.
        case refused
    }

    /// Reserves `usd` when it fits under the cap with everything spent and reserved so far.
    func reserve(_ usd: Double) -> Reservation {
        guard usd > 0 else { return .reserved }
        if let shared, let limit { return reserveShared(usd, limit: limit, in: shared) }
        return lock.withLock {
            guard let limit else {
                reserved += usd
                return .reserved
            }
            // A little slack for floating-point sums of prices like 0.039.
            if spentUSD + reserved + usd > limit + 1e-9 {
                if reserved > 1e-12 { return .waitFor(generation: generation) }
                reached = true
                return .refused
            }
            reserved += usd
            return .reserved
        }
    }

    /// Turns a reservation into spending (the call was billed) or gives it back, and wakes
    /// whoever waits for room.
    func settle(_ usd: Double, spent: Bool) {
        guard usd > 0 else { return }
        if let shared, limit != nil {
            // Unrecorded, the reservation stays held: the budget errs on the side of spending less.
            try? shared.settle(usd, spent: spent)
        }
        let woken: [CheckedContinuation<Void, Never>] = lock.withLock {
            reserved -= usd
            // Sums of prices like 0.05 leave residues like 1e-17: nothing is outstanding then.
            if reserved < 1e-9 { reserved = 0 }
            if spent { spentUSD += usd }
            generation += 1
            defer { waiters.removeAll() }
            return waiters
        }
        for waiter in woken { waiter.resume() }
    }

    /// The run's budget across workers: this worker's share is counted here too, for its summary.
    private func reserveShared(_ usd: Double, limit: Double, in shared: SharedLimits) -> Reservation {
        let answer: SharedLimits.Reservation
        do {
            answer = try shared.reserve(usd, limit: limit)
        } catch {
            // Not knowing what the others spent, nothing starts meanwhile: the budget is never
            // passed. A database that stays away for 10 s (50 tries) stops new work for good.
            return lock.withLock {
                sharedFailuresInARow += 1
                guard sharedFailuresInARow >= 50 else { return .waitFor(generation: generation) }
                reached = true
                sharedFailure = "\(error)"
                return .refused
            }
        }
        return lock.withLock {
            sharedFailuresInARow = 0
            switch answer {
            case .reserved:
                reserved += usd
                return .reserved
            case .wait:
                return .waitFor(generation: generation)
            case .refused:
                reached = true
                return .refused
            }
        }
    }

    /// Returns once a settlement after `generation` has happened (at once if one has); with
    /// workers, after a moment too, since other workers' settlements are not seen here.
    func settled(after generation: Int) async {
        if shared != nil {
            try? await Task.sleep(for: .milliseconds(200))
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now: Bool = lock.withLock {
                if self.generation != generation { return true }
                waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}
