import Foundation

/// Where a unit's remote job is kept in the ledger.
struct JobPlace: Sendable {
    var stage: String
    var item: String
    var fingerprint: String
    var key: String
    var provider: String
}

extension RunEngine {
    /// How waiting on a job ended.
    enum JobEnd {
        case image(ProviderImage)
        /// The job failed, expired or timed out; a new submit may help.
        case failed(CallFailure)
        /// The run stopped while the job waited.
        case stopped
        /// Asking after the job failed in a way the policy does not retry (a refused key): the item
        /// fails, the job stays recorded for a later run to collect.
        case abandoned(CallFailure)
    }

    /// `attempts` for a provider that works through a queue. Each attempt takes a place among
    /// `max_queued`, then a stage slot for the submit only (under the provider's concurrency and
    /// rate limit); the job is in the ledger before the wait begins, and the wait holds no slot.
    /// A failed status request is asked again, never submitted again; a job that failed or timed
    /// out is submitted again under the retry policy. A job an earlier run left waiting is
    /// re-attached to instead of submitted. The budget is reserved before the submit (or the
    /// re-attach) and spent when the image comes.
    func remoteAttempts<P, R>(_ runtime: StageRuntime, price: Double, outcome: inout ItemOutcome, remote: RemoteCall<P>, queue: JobQueue,
                              place: JobPlace, keep: (P, inout ItemOutcome) async throws(CallFailure) -> R) async -> CallResult<R> {
        let gate = runtime.gate
        var attempt = 0
        var reserved = false
        // A job left by an earlier run, re-attached to once per run (not again for a regeneration).
        var left = leftJob(place).flatMap { queue.claimLeftOver($0.id) ? $0 : nil }
        func giveBack() {
            if reserved { budget.settle(price, spent: false) }
            reserved = false
        }
        while true {
            attempt += 1
            do {
                try await queue.waiting.acquire()
            } catch {
                giveBack()
                return cancelledBefore(attempt: attempt, outcome: &outcome)
            }
            var queued = true
            func leaveQueue() {
                if queued { queue.waiting.release() }
                queued = false
            }
            let step: RemoteSubmission
            var started = ContinuousClock.now
            var reattached = false
            if attempt == 1, let job = left {
                // Submitted by an earlier run that stopped: wait for that job, pay nothing new.
                switch await admit(runtime, price: price, outcome: &outcome, release: leaveQueue) {
                case .admitted: reserved = true
                case .again:
                    attempt = 0
                    continue
                case .notStarted: return .notStarted
                case .cutOff: return .cutOff
                }
                left = nil
                reattached = true
                step = .queued(job)
            } else {
                do {
                    try await runtime.slots.acquire()
                } catch {
                    leaveQueue()
                    giveBack()
                    return cancelledBefore(attempt: attempt, outcome: &outcome)
                }
                func releaseBoth() {
                    runtime.slots.release()
                    leaveQueue()
                }
                if attempt == 1 {
                    switch await admit(runtime, price: price, outcome: &outcome, release: releaseBoth) {
                    case .admitted: reserved = true
                    case .again:
                        attempt = 0
                        continue
                    case .notStarted: return .notStarted
                    case .cutOff: return .cutOff
                    }
                }
                if let refusal = gate.givenUp {
                    releaseBoth()
                    giveBack()
                    return givenUp(refusal, attempt: attempt, outcome: &outcome)
                }
                do {
                    step = try await gate.call(control: control) { () async throws -> RemoteSubmission in
                        started = ContinuousClock.now
                        return try await remote.submit(queue.callbackURL)
                    }
                    gate.record(nil)
                    runtime.slots.release()
                } catch {
                    releaseBoth()
                    if error is RunControl.Stopped {
                        giveBack()
                        return stoppedBefore(attempt: attempt, runtime, outcome: &outcome)
                    }
                    outcome.attempts = attempt
                    outcome.latencyMS = Self.milliseconds(since: started)
                    let failure = error as? CallFailure ?? CallFailure(.cancelled, "cancelled")
                    guard await retries(after: failure, attempt: attempt, runtime, outcome: &outcome) else {
                        giveBack()
                        return .failed
                    }
                    continue
                }
            }
            let image: ProviderImage
            switch step {
            case .finished(let answered):
                leaveQueue()
                image = answered
            case .queued(let job):
                // Owned before its row is written, so that a delivery arriving at once is not refused.
                queue.jobStarted(job.id, reattached: reattached)
                if !reattached {
                    await writer?.submitted(LedgerWrite.Job(stage: place.stage, item: place.item, fingerprint: place.fingerprint, key: place.key,
                                                            provider: place.provider, job: job))
                }
                let end = await waitFor(job, remote.provider, queue: queue, retry: runtime.retry, timeout: runtime.environment.timeout)
                queue.jobEnded()
                leaveQueue()
                switch end {
                case .image(let answered):
                    image = answered
                case .stopped:
                    giveBack()
                    outcome.attempts = attempt
                    outcome.status = .cancelled
                    outcome.failureClass = .cancelled
                    if options.cancelRemote, await remote.provider.cancel(job, timeout: min(runtime.environment.timeout, 10)) {
                        await writer?.jobEnded(stage: place.stage, item: place.item, fingerprint: place.fingerprint)
                        outcome.message = "the run stopped while job \(job.id) waited at the provider; it was cancelled there (--cancel-remote)"
                    } else if options.cancelRemote {
                        outcome.message = "the run stopped while job \(job.id) waited at the provider; cancelling it there failed, so the next run collects it"
                    } else {
                        outcome.message = "the run stopped while job \(job.id) waited at the provider; the next run collects it without submitting again"
                    }
                    return .failed
                case .abandoned(let failure):
                    giveBack()
                    outcome.attempts = attempt
                    outcome.latencyMS = Self.milliseconds(since: started)
                    outcome.status = .failed
                    outcome.failureClass = failure.failureClass
                    outcome.message = secrets.redact(failure.message) + "; job \(job.id) stays recorded, and the next run collects it without submitting again"
                    return .failed
                case .failed(let failure):
                    await writer?.jobEnded(stage: place.stage, item: place.item, fingerprint: place.fingerprint)
                    outcome.attempts = attempt
                    outcome.latencyMS = Self.milliseconds(since: started)
                    guard await retries(after: failure, attempt: attempt, runtime, outcome: &outcome) else {
                        giveBack()
                        return .failed
                    }
                    continue
                }
            }
            outcome.attempts = attempt
            outcome.latencyMS = Self.milliseconds(since: started)
            // A success's ledger entry ends the job in the same transaction as the item; `keptRemote`
            // ends it on every other path but a paid image not written.
            func endJob() async {
                if case .queued = step { await writer?.jobEnded(stage: place.stage, item: place.item, fingerprint: place.fingerprint) }
            }
            if let ended = await keptRemote(image, finish: remote.finish, end: endJob, attempt: attempt, price: price, reserved: &reserved,
                                            runtime, outcome: &outcome, keep: keep) {
                return ended
            }
        }
    }

    /// Asks after `job` every `poll_interval` (at the provider's poll pace) until it ends, the
    /// run stops, or `job_timeout` passes (then it is cancelled). A status request that fails is
    /// asked again at the next interval: the job is paid for and still there.
    func waitFor(_ job: RemoteJob, _ provider: any QueuedImageProvider, queue: JobQueue, retry: RetryDelay, timeout: Double) async -> JobEnd {
        // Below a woken batch unit, a job's wait holds no place in the parking lot's window.
        ParkingLot.stepAside()
        let clock = control.clock
        let settings = queue.settings
        let deadline = clock.now + .seconds(settings.jobTimeout)
        let interval = queue.pollInterval
        var next = clock.now + .seconds(interval)
        var lastProblem: CallFailure?
        /// The signed result a delivery carries, when it says the job ended.
        func ended(by body: [UInt8]) async -> JobEnd? {
            switch await provider.state(fromDelivery: body, job: job, timeout: timeout) {
            case .finished(let image)?: return .image(image)
            case .failed(let failure)?: return .failed(failure)
            default: return nil
            }
        }
        while true {
            do {
                if let body = try await queue.nap(until: min(next, deadline), job: job.id, control: control), let end = await ended(by: body) {
                    return end
                }
                if clock.now >= deadline {
                    // One last look: a job that finished since the last status request is kept, not cancelled.
                    if case .finished(let image)? = try? await provider.poll(job, timeout: min(timeout, 30)) { return .image(image) }
                    _ = await provider.cancel(job, timeout: min(timeout, 10))
                    var why = "job \(job.id) did not finish within job_timeout (\(DurationText.format(settings.jobTimeout))) and was cancelled"
                    if let lastProblem { why += "; the last status request failed: \(lastProblem.message)" }
                    return .failed(CallFailure(.timeout, why))
                }
                // Waiting for a turn among many jobs' status requests, a delivery still ends the wait.
                try await queue.polls.acquire { try await queue.nap(until: $0, job: job.id, control: self.control, throwingOnDelivery: true) }
            } catch let arrived as JobQueue.DeliveryArrived {
                if let end = await ended(by: arrived.body) { return end }
                continue
            } catch {
                return .stopped
            }
            let state: RemoteJobState
            do throws(CallFailure) {
                state = try await provider.poll(job, timeout: timeout)
                queue.polls.finished()
                queue.polled(failed: false)
            } catch {
                queue.polls.finished()
                queue.polled(failed: true)
                if error.status == 404 || error.status == 410 {
                    // Expired, or removed at the provider: only a new submit can make the image.
                    return .failed(CallFailure(.server_error, "the provider no longer knows job \(job.id) (HTTP \(error.status!)): it expired or was removed"))
                }
                if error.failureClass == .cancelled { return .stopped }
                // What the stage's policy would not retry (a refused key) ends the wait, the job kept; the rest is asked again.
                guard let condition = error.failureClass.retryCondition, retry.policy.on.contains(condition) else { return .abandoned(error) }
                if error.failureClass == .rate_limited { queue.polls.pause(for: error.retryAfter ?? interval) }
                lastProblem = error
                next = clock.now + .seconds(interval)
                continue
            }
            switch state {
            case .queued, .running: next = clock.now + .seconds(interval)
            case .finished(let image): return .image(image)
            case .failed(let failure): return .failed(failure)
            }
        }
    }
}
