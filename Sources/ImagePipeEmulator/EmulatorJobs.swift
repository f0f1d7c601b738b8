import Foundation
import ImagePipe

/// The emulator's remote queue (fal's and Replicate's): each job waits `queueTime` seconds from
/// its submit, then is done. A prompt with `[[job-fail:N]]` has its first N jobs end in failure
/// (a failed job of fal or Replicate, not an HTTP error). Counts what a test needs to prove that
/// nothing was submitted twice and how much waited at once.
public final class EmulatorJobs: @unchecked Sendable {
    struct Job {
        var id: String
        var prompt: String
        var size: ImageSize
        var model: String
        var readyAt: Double
        var fails: Bool
        var cancelled = false
    }

    enum State {
        case queued(position: Int)
        case running
        case done
        case cancelled
    }

    private let lock = NSLock()
    private let start = ContinuousClock.now
    private var held = false
    private var jobs: [String: Job] = [:]
    private var queueTimes: [String: Double] = [:]
    private var next = 0
    private var submitted = 0
    private var peakQueued = 0
    private var polls = 0
    private var results = 0
    private var pollFailures = 0
    private var cancels = 0

    private var now: Double { (ContinuousClock.now - start).inSeconds }

    static let failMarker = "[[job-fail:"

    /// While held, no job ends: one past its queue time stays running (a test stops or kills a
    /// run while its jobs are surely waiting, however late a loaded machine lets it act).
    public func hold(_ on: Bool) { lock.withLock { held = on } }

    /// Takes a job; `attempt` is how many times its prompt has been submitted, this one included.
    func submit(prompt: String, size: ImageSize, model: String, queueTime: Double, attempt: Int) -> Job {
        let failing = EmulatorJobs.failures(in: prompt).map { attempt <= $0 } ?? false
        return lock.withLock {
            next += 1
            submitted += 1
            let t = now
            let job = Job(id: String(format: "%08x-emu-%06d", UInt32.random(in: 0...UInt32.max), next), prompt: prompt, size: size, model: model,
                          readyAt: t + queueTime, fails: failing)
            jobs[job.id] = job
            queueTimes[job.id] = queueTime
            peakQueued = max(peakQueued, jobs.values.lazy.filter { $0.readyAt > t && !$0.cancelled }.count)
            return job
        }
    }

    /// A job and where it stands; nil for an id never given.
    func state(of id: String) -> (job: Job, state: State)? {
        lock.withLock {
            guard let job = jobs[id] else { return nil }
            if job.cancelled { return (job, .cancelled) }
            let t = now
            if job.readyAt <= t, !held { return (job, .done) }
            // The last moments of its wait (a fifth of the queue time, at most a second) it runs.
            if job.readyAt - t <= min(1, queueTimes[id, default: 0] / 5) { return (job, .running) }
            return (job, .queued(position: jobs.values.lazy.filter { !$0.cancelled && $0.readyAt < job.readyAt && $0.readyAt > t }.count))
        }
    }

    /// The ids of every job submitted, for tests that deliver to a run themselves.
    public var ids: [String] { lock.withLock { Array(jobs.keys) } }

    /// Cancels a job not yet done; false when it was done (or unknown).
    func cancel(_ id: String) -> Bool {
        lock.withLock {
            guard let job = jobs[id], job.readyAt > now || held, !job.cancelled else { return false }
            jobs[id]?.cancelled = true
            cancels += 1
            return true
        }
    }

    /// A status request (or, with `result`, a request for a finished job's output) answered or failed.
    func polled(failed: Bool, result: Bool = false) {
        lock.withLock {
            if result { results += 1 } else { polls += 1 }
            if failed { pollFailures += 1 }
        }
    }

    public struct Counts: Sendable {
        public var submitted: Int
        public var peakQueued: Int
        /// Status requests.
        public var polls: Int
        /// Requests for a finished job's output (fal's `response_url`).
        public var results: Int
        /// Status and result requests answered 500 or never answered.
        public var pollFailures: Int
        public var cancels: Int
    }

    var counts: Counts {
        lock.withLock { Counts(submitted: submitted, peakQueued: peakQueued, polls: polls, results: results, pollFailures: pollFailures, cancels: cancels) }
    }

    private static func failures(in prompt: String) -> Int? {
        guard let range = prompt.range(of: failMarker) else { return nil }
        let rest = prompt[range.upperBound...]
        guard let end = rest.firstIndex(of: "]") else { return nil }
        return Int(rest[..<end])
    }
}
