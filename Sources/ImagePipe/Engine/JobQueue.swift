import Foundation

/// A queued provider's waiting room, shared by every stage that uses the provider: how many jobs
/// may wait remotely at once (`max_queued`), the pace of status requests (`poll_rate_limit`),
/// and counts for the run's summary.
public final class JobQueue: @unchecked Sendable {
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

    /// What waited remotely during a run, for the summary.
    public struct Counts: Sendable, Equatable {
        public var provider = ""
        /// Jobs submitted (or re-attached to) that waited at the provider.
        public var jobs = 0
        public var peakQueued: Int
        public var polls: Int
        public var pollsFailed: Int
        public var reattached: Int

        /// The summary's line: `fal: 300 jobs waited remotely (peak 300 at once), …`.
        public var summary: String {
            var text = "\(provider): \(jobs) job\(jobs == 1 ? "" : "s") waited remotely (peak \(peakQueued) at once)"
            if reattached > 0 { text += ", \(reattached) re-attached from an earlier run without a new submit" }
            text += ", \(polls) status request\(polls == 1 ? "" : "s")"
            if pollsFailed > 0 { text += " (\(pollsFailed) failed and were asked again)" }
            return text
        }
    }

    private var jobs = 0

    func counts(provider: String) -> Counts {
        lock.withLock { Counts(provider: provider, jobs: jobs, peakQueued: queuedPeak, polls: pollsSent, pollsFailed: pollsFailed, reattached: reattached) }
    }

    func jobStarted(reattached isReattached: Bool) {
        lock.withLock {
            queuedNow += 1
            jobs += 1
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
