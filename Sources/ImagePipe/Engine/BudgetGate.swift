import Foundation

/// The spending cap: each paid call reserves its price first; a reservation that would pass
/// the cap is refused, and from then on nothing new starts.
public final class BudgetGate: @unchecked Sendable {
    private let lock = NSLock()
    public let limit: Double?
    private var reserved = 0.0
    private var spentUSD = 0.0
    private var reached = false

    public init(limit: Double?) { self.limit = limit }

    public var spent: Double { lock.withLock { spentUSD } }
    public var isReached: Bool { lock.withLock { reached } }
    /// Held for calls in flight; 0 once every call has settled.
    var reservedUSD: Double { lock.withLock { reserved } }

    /// False when `usd` more would pass the cap.
    func reserve(_ usd: Double) -> Bool {
        guard usd > 0 else { return true }
        return lock.withLock {
            guard let limit else {
                reserved += usd
                return true
            }
            // A little slack for floating-point sums of prices like 0.039.
            if spentUSD + reserved + usd > limit + 1e-9 {
                reached = true
                return false
            }
            reserved += usd
            return true
        }
    }

    /// Turns a reservation into spending (the call was billed) or gives it back.
    func settle(_ usd: Double, spent: Bool) {
        guard usd > 0 else { return }
        lock.withLock {
            reserved -= usd
            if spent { spentUSD += usd }
        }
    }
}
