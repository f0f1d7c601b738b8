import Foundation

/// Whether new work may start. Set by an interrupt or the budget; checked before every call.
public final class RunControl: @unchecked Sendable {
    public enum StopReason: Sendable, Equatable {
        case interrupted
        case budget
    }

    private let lock = NSLock()
    private var reason: StopReason?
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

    public func stop(_ why: StopReason) {
        lock.withLock { if reason == nil { reason = why } }
    }
}

extension RunControl {
    public struct Stopped: Error {}

    /// Sleeps until `deadline`, or throws `Stopped` soon after an interrupt, so that a long
    /// backoff or rate-limit wait never holds up the end of a run.
    func sleep(until deadline: ContinuousClock.Instant) async throws {
        while deadline > clock.now {
            if isInterrupted { throw Stopped() }
            try await clock.sleep(until: min(deadline, clock.now + .milliseconds(250)))
        }
        if isInterrupted { throw Stopped() }
    }
}

