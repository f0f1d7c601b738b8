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
    /// Where the provider delivers finished jobs (`run --listen`); nil when jobs are only polled.
    let callbackURL: String?
    /// Jobs this run waits on (or waited on), by id: a delivery for another is refused.
    private var owned = Set<String>()
    /// Jobs whose delivery came and whose waiter has not looked yet, with the delivery's body.
    private var delivered: [String: [UInt8]] = [:]
    private var seenDeliveries = Set<String>()
    /// Jobs of earlier runs this run has re-attached to.
    private var claimedLeftOvers = Set<String>()
    private var deliveries = 0
    private var refused = 0
    private let lock = NSLock()
    private var queuedNow = 0
    private var queuedPeak = 0
    private var pollsSent = 0
    private var pollsFailed = 0
    private var reattached = 0

    init(settings: QueueSettings, clock: any RunClock, callbackURL: String? = nil) {
        self.settings = settings
        self.callbackURL = callbackURL
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
        /// Webhook deliveries that ended a wait.
        public var deliveries = 0
        /// Deliveries refused: forged, replayed, unsigned, or for a job not of this run.
        public var refusedDeliveries = 0

        /// The summary's line: `fal: 300 jobs waited remotely (peak 300 at once), …`.
        public var summary: String {
            var text = "\(provider): \(jobs) job\(jobs == 1 ? "" : "s") waited remotely (peak \(peakQueued) at once)"
            if reattached > 0 { text += ", \(reattached) re-attached from an earlier run without a new submit" }
            text += ", \(polls) status request\(polls == 1 ? "" : "s")"
            if pollsFailed > 0 { text += " (\(pollsFailed) failed and were asked again)" }
            if deliveries > 0 { text += ", \(deliveries) webhook deliver\(deliveries == 1 ? "y" : "ies")" }
            if refusedDeliveries > 0 { text += ", \(refusedDeliveries) refused" }
            return text
        }
    }

    private var jobs = 0

    func counts(provider: String) -> Counts {
        lock.withLock { Counts(provider: provider, jobs: jobs, peakQueued: queuedPeak, polls: pollsSent, pollsFailed: pollsFailed, reattached: reattached,
                          deliveries: deliveries, refusedDeliveries: refused) }
    }

    /// Seconds between status requests for one job: a fallback only when deliveries come.
    var pollInterval: Double { callbackURL == nil ? settings.pollInterval : settings.fallbackPollInterval }

    func jobStarted(_ id: String, reattached isReattached: Bool) {
        lock.withLock {
            owned.insert(id)
            queuedNow += 1
            jobs += 1
            queuedPeak = max(queuedPeak, queuedNow)
            if isReattached { reattached += 1 }
        }
    }

    func jobEnded() { lock.withLock { queuedNow -= 1 } }

    enum Receipt: Equatable {
        /// The job's waiter asks after it at once.
        case accepted
        /// The same delivery again (the provider retries until it gets a 2xx): nothing more to do.
        case duplicate
        /// No job of this run has that id.
        case unknownJob
    }

    /// A verified delivery: wakes the job's waiter with the delivery's body (the job's result, as
    /// the provider signed it).
    func deliver(_ delivery: WebhookDelivery) -> Receipt {
        lock.withLock {
            guard owned.contains(delivery.jobID) else { return .unknownJob }
            guard seenDeliveries.insert(delivery.deliveryID).inserted else { return .duplicate }
            delivered[delivery.jobID] = delivery.body
            deliveries += 1
            return .accepted
        }
    }

    /// True the first time this run asks for a job an earlier run left: later units of the same
    /// item (a regeneration) submit anew instead of collecting the same image again.
    func claimLeftOver(_ id: String) -> Bool { lock.withLock { claimedLeftOvers.insert(id).inserted } }

    /// A delivery refused (a bad signature, an old timestamp, a job not of this run).
    func refusedDelivery() { lock.withLock { refused += 1 } }

    /// A delivery came while its job waited for a status request's turn.
    struct DeliveryArrived: Error {
        var body: [UInt8]
    }

    /// Waits until `deadline`, or less when a delivery for `job` comes; returns the delivery's body
    /// (or, `throwingOnDelivery`, throws it as `DeliveryArrived`).
    @discardableResult
    func nap(until deadline: ContinuousClock.Instant, job: String, control: RunControl, throwingOnDelivery: Bool = false) async throws -> [UInt8]? {
        let clock = control.clock
        while clock.now < deadline {
            if let body = lock.withLock({ delivered.removeValue(forKey: job) }) {
                if throwingOnDelivery { throw DeliveryArrived(body: body) }
                return body
            }
            // RunControl.sleep wakes every 250 ms anyway (to see a stop): deliveries are looked for at the same pace.
            try await control.sleep(until: callbackURL == nil ? deadline : min(deadline, clock.now + .milliseconds(250)))
        }
        let body = lock.withLock { delivered.removeValue(forKey: job) }
        if throwingOnDelivery, let body { throw DeliveryArrived(body: body) }
        return body
    }

    func polled(failed: Bool) {
        lock.withLock {
            pollsSent += 1
            if failed { pollsFailed += 1 }
        }
    }
}
