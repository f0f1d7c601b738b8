import Foundation

/// The run's answer to a full disk or an unwritable folder, like the gate's to refused
/// credentials: the first fault stops new work (`RunControl.stop(for:)`); images that calls in
/// flight bring back after it are kept in memory and written once more when the run winds down,
/// and what still cannot be written is recorded as `paid_not_written`.
final class LocalFaultBreaker: @unchecked Sendable {
    private let control: RunControl
    private let lock = NSLock()
    private var second: [@Sendable () async -> Bool] = []
    private var writtenCount = 0
    private var lostCount = 0

    init(control: RunControl) {
        self.control = control
    }

    /// Images written by this run, for the closing message ("full after 213 images").
    var written: Int { lock.withLock { writtenCount } }
    /// Images paid for that could not be written even on the second try.
    var lost: Int { lock.withLock { lostCount } }

    func wrote() { lock.withLock { writtenCount += 1 } }

    func trip(_ fault: LocalFault) { control.stop(for: fault) }

    /// Keeps an answer that could not be written; `attempt` writes and records it, and says
    /// whether it was written.
    func keepForSecondWrite(_ attempt: @escaping @Sendable () async -> Bool) {
        lock.withLock { second.append(attempt) }
    }

    /// Once calls in flight have ended: one more try for each kept answer (a partly written file
    /// was removed, a log was truncated, another process freed space).
    func writeKeptAnswers() async {
        let kept = lock.withLock {
            defer { second.removeAll() }
            return second
        }
        for attempt in kept {
            if await attempt() { wrote() } else { lock.withLock { lostCount += 1 } }
        }
    }
}
