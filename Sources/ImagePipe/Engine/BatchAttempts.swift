import Foundation

extension RunEngine {
    /// `attempts` for a stage in batch mode. The unit's price (the batch price) is reserved, its
    /// line handed to the stage's `BatchCollector`, and its result awaited without any slot. A line
    /// that failed goes into a new batch with a new custom id, under the retry policy. A line an
    /// earlier run sent is waited for, not sent again.
    ///
    /// With `park`, the unit does not wait in its task: it is parked (`.parked`) with what `park`
    /// makes of where it stands, and the run calls this again with `resuming` once its batch ended.
    func batchAttempts<P, R>(_ runtime: StageRuntime, price: Double, outcome: inout ItemOutcome, batch: BatchCall<P>, collector: BatchCollector,
                             place: JobPlace, resuming: WokenUnit? = nil, park: ((_ attempt: Int, _ reserved: Bool, _ outcome: ItemOutcome) -> ParkedUnit)? = nil,
                             detach: Bool = false,
                             keep: (P, inout ItemOutcome) async throws(CallFailure) -> R) async -> CallResult<R> {
        var attempt = 0
        var reserved = false
        var left = leftBatchItem(place).flatMap { collector.claimLeftOver($0.customID) ? $0 : nil }
        var woken = resuming
        var expiredOnce = false
        if let resuming {
            expiredOnce = resuming.parked.expiredOnce
            attempt = resuming.parked.attempt - 1
            reserved = resuming.parked.reserved
            outcome.retries = resuming.parked.retries
            outcome.failureClass = resuming.parked.failure?.failureClass
            outcome.message = resuming.parked.failure?.message
            left = nil
        }
        func giveBack() {
            if reserved { budget.settle(price, spent: false) }
            reserved = false
        }
        while true {
            attempt += 1
            if attempt == 1, woken == nil {
                switch await admit(runtime, price: price, outcome: &outcome, release: {}) {
                case .admitted: reserved = true
                case .again:
                    attempt = 0
                    continue
                case .notStarted: return .notStarted
                case .cutOff: return .cutOff
                }
            }
            var started = ContinuousClock.now
            let parking = park?(attempt, reserved, outcome)
            parking?.since = started
            parking?.expiredOnce = expiredOnce
            let answer: BatchCollector.Outcome?
            // A unit about to wait in its task for a batch leaves the lot's window: the batch it waits
            // for is sent only once no woken unit runs there.
            if woken == nil, parking == nil { ParkingLot.stepAside() }
            if let resumed = woken {
                woken = nil
                started = resumed.parked.since
                if let expected = resumed.parked.expectedCustomID, let identity = Self.identity(ofCustomID: expected),
                   identity != Self.identity(ofCustomID: customID(place, attempt: attempt)) {
                    // Its row changed while the batch ran: the answer is the old request's, not this unit's.
                    let paid: Bool
                    if case .image = await resumed.collect() { paid = true } else { paid = false }
                    if reserved { budget.settle(price, spent: paid) }
                    reserved = false
                    outcome.attempts = attempt - 1
                    outcome.status = .cancelled
                    outcome.failureClass = .cancelled
                    outcome.message = "its row changed in the source while its batch ran, so the image made for the old row was not kept; "
                        + "the next run sends the new request"
                    return .failed
                }
                answer = await resumed.collect()
            } else if attempt == 1, let earlier = left {
                left = nil
                // A unit that can be made again from its source row keeps nothing of itself while it waits.
                let detached = detach && parking != nil
                    ? DetachedMember(customID: earlier.customID, attempt: attempt, reserved: reserved, failure: nil, retries: outcome.retries,
                                     expiredOnce: expiredOnce, since: started)
                    : nil
                answer = await collector.attach(earlier, parking: detached == nil ? parking : nil, detached: detached.map { ($0, place) })
            } else {
                let line: [UInt8]
                do throws(CallFailure) {
                    line = try batch.line(customID(place, attempt: attempt))
                } catch {
                    giveBack()
                    outcome.attempts = attempt - 1
                    outcome.failureClass = error.failureClass
                    outcome.message = secrets.redact(error.message)
                    return .failed
                }
                let id = customID(place, attempt: attempt)
                // A unit that can be made again from its source row keeps nothing of itself while it waits.
                let detached = detach && parking != nil
                    ? DetachedMember(customID: id, attempt: attempt, reserved: reserved, failure: outcome.failureClass.map { ($0, outcome.message) },
                                     retries: outcome.retries, expiredOnce: expiredOnce, since: started)
                    : nil
                answer = await collector.submit(customID: id, line: line, place: place, parking: detached == nil ? parking : nil, detached: detached)
            }
            guard let result = answer else { return .parked }
            outcome.attempts = attempt
            outcome.latencyMS = Self.milliseconds(since: started)
            switch result {
            case .pending(let what):
                giveBack()
                outcome.status = .submitted
                outcome.failureClass = nil
                outcome.message = "waiting in \(what) at the provider; run again to collect it (imagepipe status lists pending batches)"
                return .failed
            case .stopped(let id):
                giveBack()
                if options.cancelRemote {
                    outcome.status = .cancelled
                    outcome.failureClass = .cancelled
                    outcome.message = "the run stopped while batch \(id) ran; it was cancelled there (--cancel-remote)"
                } else {
                    // Still running at the provider, paid either way: pending remotely, like a run that does not wait.
                    outcome.status = .submitted
                    outcome.failureClass = nil
                    outcome.message = "the run stopped while batch \(id) ran; the next run collects it without sending it again"
                }
                return .failed
            case .failed(let failure):
                // This machine's fault (a full disk, a result that cannot be read back): every later line
                // would fail the same way. A line sent keeps its ledger row, for the next run to collect.
                if let fault = failure.localFault {
                    breaker.trip(fault)
                } else {
                    await writer?.batch(.batchItemEnded(stage: place.stage, item: place.item, fingerprint: place.fingerprint))
                }
                if failure.expired {
                    // The window ran out, not the request: sent again once, whatever the retry policy says.
                    if let earlier = outcome.failureClass { outcome.retries.append((earlier, outcome.message ?? "")) }
                    outcome.failureClass = failure.failureClass
                    outcome.message = secrets.redact(failure.message)
                    if !expiredOnce, !control.isHalted {
                        expiredOnce = true
                        continue
                    }
                    outcome.message = (outcome.message ?? "") + (expiredOnce ? "; a batch of it had expired before, so it was not sent a third time"
                                                                              : " (not sent again: the run is stopping)")
                    giveBack()
                    return .failed
                }
                guard await retries(after: failure, attempt: attempt, runtime, outcome: &outcome) else {
                    giveBack()
                    return .failed
                }
            case .image(let image):
                func endLine() async { await writer?.batch(.batchItemEnded(stage: place.stage, item: place.item, fingerprint: place.fingerprint)) }
                if let ended = await keptRemote(image, finish: batch.finish, end: endLine, attempt: attempt, price: price, reserved: &reserved,
                                                runtime, outcome: &outcome, keep: keep) {
                    return ended
                }
            }
        }
    }

    /// A custom id's `ip-IDENTITY` part, the same for every attempt and run of one request; nil
    /// for an id of another form (an older imagepipe's), which cannot be checked.
    static func identity(ofCustomID id: String) -> Substring? {
        let parts = id.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "ip", parts[1].count == 24, parts[1].allSatisfy(\.isHexDigit) else { return nil }
        return id[..<parts[1].endIndex]
    }

    /// A line's custom id: the item's identity (stage, item, fingerprint) hashed, this run, and the
    /// attempt. Two items with the same prompt never share one; a retry, or a later run, gets a new one.
    func customID(_ place: JobPlace, attempt: Int) -> String {
        let identity = RequestIdentity(stage: place.stage, item: place.item, fingerprint: place.fingerprint).prefix
        return "ip-\(identity)-\(runName)-\(attempt)"
    }
}
