import Foundation

/// Whether new work may start. Set by an interrupt, the budget or a local fault; checked before
/// every call.
public final class RunControl: @unchecked Sendable {
    public enum StopReason: Sendable, Equatable {
        case interrupted
        case budget
        /// A full disk or an unwritable folder: calls in flight finish, nothing new starts.
        case localFault
    }

    private let lock = NSLock()
    private var reason: StopReason?
    private var firstFault: LocalFault?
    /// The time every wait of the run (rate limits, retries, the grace period) goes by.
    public let clock: any RunClock

    public init(clock: any RunClock = SystemClock()) {
        self.clock = clock
    }

    public var stopReason: StopReason? { lock.withLock { reason } }
    public var isStopping: Bool { stopReason != nil }
    /// An interrupt stops everything; a reached budget only stops new paid calls (retries already
    /// paid for, uploads and requests of finished images go on).
    public var isInterrupted: Bool { stopReason == .interrupted }
    /// Nothing new starts and waits end: an interrupt, or a fault that every later write would hit
    /// (calls already in flight still finish, their answers kept in memory).
    public var isHalted: Bool {
        let reason = stopReason
        return reason == .interrupted || reason == .localFault
    }

    /// The first local fault of the run, which stopped it.
    public var fault: LocalFault? { lock.withLock { firstFault } }

    public func stop(_ why: StopReason) {
        lock.withLock { if reason == nil { reason = why } }
    }

    /// Stops new work at the first full disk or unwritable folder (over a reached budget, whose
    /// retries and free stages would only hit the same wall); true for the first fault.
    @discardableResult
    public func stop(for fault: LocalFault) -> Bool {
        lock.withLock {
            guard firstFault == nil else { return false }
            firstFault = fault
            if reason == nil || reason == .budget { reason = .localFault }
            return true
        }
    }
}

extension RunControl {
    public struct Stopped: Error {}

    /// Sleeps until `deadline`, or throws `Stopped` soon after an interrupt or a fault, so that a long
    /// backoff or rate-limit wait never holds up the end of a run.
    func sleep(until deadline: ContinuousClock.Instant) async throws {
        while deadline > clock.now {
            if isHalted { throw Stopped() }
            try await clock.sleep(until: min(deadline, clock.now + .milliseconds(250)))
        }
        if isHalted { throw Stopped() }
    }
}

