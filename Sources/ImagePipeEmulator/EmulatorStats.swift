import Foundation
import ImagePipe

/// What the emulator saw: requests per prompt (so tests can prove nothing was generated
/// twice), arrival times (so they can check a rate limit), and the peak of requests in flight.
public final class EmulatorStats: @unchecked Sendable {
    private let lock = NSLock()
    private let start = ContinuousClock.now
    private var requests = 0
    private var inFlight = 0
    private var peakInFlight = 0
    private var byPrompt: [String: Int] = [:]
    private var arrivals: [Double] = []
    private var statuses: [Int: Int] = [:]
    private var captures: [CapturedRequest] = []
    private var capturesByPath: [String: Int] = [:]
    /// The remote queue (fal, Replicate): its jobs and their counts.
    public let jobs = EmulatorJobs()
    /// Webhook deliveries of the queues.
    public let webhooks = EmulatorWebhooks()
    /// OpenAI's Batch API: uploads, batches and their lines.
    public let batches = EmulatorBatches()

    public init() {}

    /// A request to a `/capture/…` route (a stand-in CMS or Slack), kept whole for tests.
    public struct CapturedRequest: Sendable {
        public var method: String
        /// The path as sent, still percent-encoded, without the query.
        public var path: String
        /// What followed `?`, as sent; nil without one.
        public var query: String?
        public var headers: [(String, String)]
        public var body: String
    }

    /// Keeps a captured request; returns how many times its path has been asked for.
    func capture(_ request: CapturedRequest) -> Int {
        lock.withLock {
            captures.append(request)
            capturesByPath[request.path, default: 0] += 1
            return capturesByPath[request.path]!
        }
    }

    public var captured: [CapturedRequest] { lock.withLock { captures } }

    /// Counts a generation request; returns how many times this prompt has been asked for,
    /// this one included.
    func arrived(prompt: String) -> Int {
        lock.withLock {
            requests += 1
            inFlight += 1
            peakInFlight = max(peakInFlight, inFlight)
            arrivals.append((ContinuousClock.now - start).inSeconds)
            byPrompt[prompt, default: 0] += 1
            return byPrompt[prompt]!
        }
    }

    func answered(status: Int) {
        lock.withLock {
            inFlight -= 1
            statuses[status, default: 0] += 1
        }
    }

    /// A hanging request whose client gave up.
    func abandoned() {
        lock.withLock { inFlight -= 1 }
    }

    /// Arrivals in the last `window` seconds, for the emulator's own rate limit.
    func recentArrivals(within window: Double) -> (count: Int, oldest: Double?) {
        lock.withLock {
            let now = (ContinuousClock.now - start).inSeconds
            var n = 0
            var oldest: Double?
            for t in arrivals.reversed() {
                if now - t > window { break }
                n += 1
                oldest = t
            }
            return (n, oldest.map { window - (now - $0) })
        }
    }

    public func reset() {
        lock.withLock {
            requests = 0
            peakInFlight = inFlight
            byPrompt = [:]
            arrivals = []
            captures = []
            capturesByPath = [:]
            statuses = [:]
        }
    }

    public struct Snapshot: Sendable {
        public var requests: Int
        public var inFlight: Int
        public var peakInFlight: Int
        public var byPrompt: [String: Int]
        /// Seconds since the emulator started, in arrival order.
        public var arrivals: [Double]
        public var statuses: [Int: Int]
        /// Submits, the most jobs waiting at once, status requests and cancels of the queue APIs.
        public var queue: EmulatorJobs.Counts
        /// OpenAI Batch API uploads, batch creations and lines.
        public var batches: EmulatorBatches.Counts
    }

    public var snapshot: Snapshot {
        lock.withLock {
            Snapshot(requests: requests, inFlight: inFlight, peakInFlight: peakInFlight, byPrompt: byPrompt, arrivals: arrivals, statuses: statuses,
                     queue: jobs.counts, batches: batches.counts)
        }
    }

    var json: JSONValue {
        let s = snapshot
        return .object([
            ("requests", .int(s.requests)), ("in_flight", .int(s.inFlight)), ("peak_in_flight", .int(s.peakInFlight)),
            ("by_prompt", .object(s.byPrompt.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("statuses", .object(s.statuses.sorted { $0.key < $1.key }.map { (String($0.key), .int($0.value)) })),
            ("arrivals", .array(s.arrivals.map { .double($0) })),
            ("queue", .object([("submitted", .int(s.queue.submitted)), ("peak_queued", .int(s.queue.peakQueued)), ("polls", .int(s.queue.polls)), ("results", .int(s.queue.results)),
                               ("poll_failures", .int(s.queue.pollFailures)), ("cancels", .int(s.queue.cancels))])),
            ("batches", .object([("uploads", .int(s.batches.uploads)), ("creations", .int(s.batches.creations)), ("lines", .int(s.batches.lines))])),
            ("captured", .array(captured.map { c in
                .object([("method", .string(c.method)), ("path", .string(c.path)),
                         ("headers", .object(c.headers.map { ($0.0, .string($0.1)) })), ("body", .string(c.body))])
            })),
        ])
    }
}
