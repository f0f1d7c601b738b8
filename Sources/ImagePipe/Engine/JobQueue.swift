import Foundation

/// A queued provider's waiting room, shared by every stage that uses the provider: how many jobs
/// may wait remotely at once (`max_queued`), the pace of status requests (`poll_rate_limit`),
/// and counts for the run's summary.
final class JobQueue: @unchecked Sendable {
    let settings: QueueSettings
    /// One permit per job submitted and not finished; taken before the submit, so that a job
    /// submitted always has room to be waited on.
    let waiting: AsyncSemaphore
    let polls: RateLimiter
    private let lock = NSLock()
    private var queuedNow = 0
    private var queuedPeak = 0
    private var pollsSent = 0
    private var pollsFailed = 0
    private var reattached = 0

    init(settings: QueueSettings, clock: any RunClock) {
        self.settings = settings
        waiting = AsyncSemaphore(permits: settings.maxQueued)
        polls = RateLimiter(limit: settings.pollRateLimit, clock: clock)
    }

    struct Counts: Sendable, Equatable {
        var peakQueued: Int
        var polls: Int
        var pollsFailed: Int
        var reattached: Int
    }

    var counts: Counts { lock.withLock { Counts(peakQueued: queuedPeak, polls: pollsSent, pollsFailed: pollsFailed, reattached: reattached) } }

    func jobStarted(reattached isReattached: Bool) {
        lock.withLock {
            queuedNow += 1
            queuedPeak = max(queuedPeak, queuedNow)
            if isReattached { reattached += 1 }
        }
    }

    func jobEnded() { lock.withLock { queuedNow -= 1 } }

    func polled(failed: Bool) {
        lock.withLock {
            pollsSent += 1
            if failed { pollsFailed += 1 }
        }
    }
}
