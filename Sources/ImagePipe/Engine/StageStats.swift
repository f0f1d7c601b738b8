import Foundation

/// Live counts for one stage, updated by the engine and read by progress and the summary.
public final class StageStats: @unchecked Sendable {
    public struct Snapshot: Sendable {
        public var name: String
        /// The units the run's selection takes (every unit without `--limit`, `--key`, `--retry-failed`).
        public var expected: Int
        /// Units outside the selection that are done, and that are not.
        public var doneEarlier = 0
        public var notSelected = 0
        public var succeeded = 0
        public var failed: [FailureClass: Int] = [:]
        public var skipped = 0
        public var cancelled = 0
        public var cached = 0
        /// In a remote batch still running when the run left it (collected by a later run).
        public var submitted = 0
        public var inFlight = 0
        public var costUSD = 0.0
        public var firstStart: ContinuousClock.Instant?
        public var lastEnd: ContinuousClock.Instant?

        public var failedCount: Int { failed.values.reduce(0, +) }
        public var finished: Int { succeeded + failedCount + skipped + cancelled + cached + submitted }
    }

    private let lock = NSLock()
    private var s: Snapshot

    init(name: String, expected: Int, doneEarlier: Int = 0, notSelected: Int = 0) {
        s = Snapshot(name: name, expected: expected)
        s.doneEarlier = doneEarlier
        s.notSelected = notSelected
    }

    public var snapshot: Snapshot { lock.withLock { s } }

    func started() {
        lock.withLock {
            s.inFlight += 1
            if s.firstStart == nil { s.firstStart = .now }
        }
    }

    /// One worker of many: it expected the units it ended, the others' are theirs.
    func expectWhatEnded() {
        lock.withLock { s.expected = s.finished }
    }

    /// A call that was counted in flight but never went out (the run stopped first).
    func withdrawn() {
        lock.withLock { s.inFlight -= 1 }
    }

    func ended(_ outcome: ItemOutcome, wasInFlight: Bool) {
        lock.withLock {
            if wasInFlight { s.inFlight -= 1 }
            switch outcome.status {
            case .succeeded: s.succeeded += 1
            case .failed: s.failed[outcome.failureClass ?? .local_error, default: 0] += 1
            case .skipped: s.skipped += 1
            case .cancelled: s.cancelled += 1
            case .cached: s.cached += 1
            case .submitted: s.submitted += 1
            }
            // A cached row carries what its image cost when made; this run spent nothing on it.
            if outcome.status != .cached { s.costUSD += outcome.costUSD ?? 0 }
            if wasInFlight { s.lastEnd = .now }
        }
    }
}
