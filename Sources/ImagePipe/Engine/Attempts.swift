import Foundation

/// How one call ended after all its attempts.
enum CallResult<T> {
    case success(T)
    case failed
    /// The run stopped before the first attempt went out: nothing to record.
    case notStarted
    /// The budget was reached before the first attempt: recorded as cancelled, never sent.
    case cutOff
    /// Waiting in a remote batch without a task: the run's parking lot carries it on.
    case parked
}

extension RunEngine {
    /// Why a unit that was ready did not start once the budget was reached.
    var budgetMessage: String {
        "not started: the budget of $" + String(format: "%.2f", budget.limit ?? 0) + " was reached (budget.max_usd)"
    }

    enum Admission {
        /// Reserved from the budget and counted as started.
        case admitted
        /// The budget had no room yet; a reservation came back since: ask again.
        case again
        case notStarted
        /// Cut off by the budget, said so in `outcome`.
        case cutOff
    }

    /// Whether a unit ready for its first attempt may start: not after a stop, and only with its
    /// price reserved from the budget. Calls `release` (what the caller holds: a slot) on every
    /// answer but `admitted`; waiting for room is done holding nothing.
    func admit(_ runtime: StageRuntime, price: Double, outcome: inout ItemOutcome, release: () -> Void) async -> Admission {
        // Waiting for a slot is not being in flight; a stop while waiting means never started.
        if control.isHalted {
            release()
            return .notStarted
        }
        if control.stopReason == .budget, price > 0 {
            // Cut off by the budget: said so in the manifest, never a failure of the call.
            release()
            outcome.status = .cancelled
            outcome.failureClass = .cancelled
            outcome.message = budgetMessage
            return .cutOff
        }
        switch budget.reserve(price) {
        case .reserved:
            runtime.stats.started()
            return .admitted
        case .waitFor(let generation):
            // Calls in flight may give their reservations back (a call that fails for good is
            // not billed): wait for that without holding a slot, then try again. A woken unit
            // steps out of the lot's window too: the reservations may be parked units' own.
            release()
            ParkingLot.stepAside()
            await budget.settled(after: generation)
            return .again
        case .refused:
            control.stop(.budget)
            release()
            outcome.status = .cancelled
            outcome.failureClass = .cancelled
            outcome.message = budgetMessage
            return .cutOff
        }
    }

    /// Runs `call` until it succeeds, fails for good, or the run stops, under the stage's slots
    /// and the gate's limits, retrying as the stage's policy says; fills in the attempts,
    /// latency and failure of `outcome`. On success, `keep` runs while the slot is still held
    /// (it writes and records the result), so that a stage never has more than `concurrency`
    /// results that a crash could lose. The slot and the budget are settled here, on every path.
    ///
    /// Reserves `price` from the budget just before the first attempt (after waiting for a
    /// slot), so that calls queued behind a slot never hold budget they may not use. A stage slot
    /// is held during an attempt, not during the wait before the next one.
    func attempts<T, R>(_ runtime: StageRuntime, price: Double, outcome: inout ItemOutcome,
                        call: () async throws(CallFailure) -> T,
                        keep: (T, inout ItemOutcome) async throws(CallFailure) -> R) async -> CallResult<R> {
        let gate = runtime.gate
        var attempt = 0
        var reserved = false
        func giveBack() {
            if reserved { budget.settle(price, spent: false) }
            reserved = false
        }
        while true {
            attempt += 1
            let failure: CallFailure
            do {
                try await runtime.slots.acquire()
            } catch {
                giveBack()
                return cancelledBefore(attempt: attempt, outcome: &outcome)
            }
            if attempt == 1 {
                switch await admit(runtime, price: price, outcome: &outcome, release: runtime.slots.release) {
                case .admitted: reserved = true
                case .again:
                    attempt = 0
                    continue
                case .notStarted: return .notStarted
                case .cutOff: return .cutOff
                }
            }
            if let refusal = gate.givenUp {
                runtime.slots.release()
                giveBack()
                return givenUp(refusal, attempt: attempt, outcome: &outcome)
            }
            // The call's own time: from when the gate lets it go (not the wait for a rate-limit turn).
            var started = ContinuousClock.now
            do {
                let value = try await gate.call(control: control) { () async throws -> T in
                    started = ContinuousClock.now
                    return try await call()
                }
                outcome.attempts = attempt
                outcome.latencyMS = Self.milliseconds(since: started)
                gate.record(nil)
                defer { runtime.slots.release() }
                return await kept(value, spending: reserved ? price : 0, outcome: &outcome, keep: keep)
            } catch let error as CallFailure {
                failure = error
            } catch is RunControl.Stopped {
                runtime.slots.release()
                giveBack()
                return stoppedBefore(attempt: attempt, runtime, outcome: &outcome)
            } catch {
                failure = CallFailure(.cancelled, "cancelled")
            }
            runtime.slots.release()
            outcome.attempts = attempt
            outcome.latencyMS = Self.milliseconds(since: started)
            guard await retries(after: failure, attempt: attempt, runtime, outcome: &outcome) else {
                giveBack()
                return .failed
            }
        }
    }

    /// After a failed attempt: records it in `outcome` and the gate, and waits out the backoff
    /// when the stage's policy retries it. False when the unit has failed for good, or was cancelled.
    func retries(after failed: CallFailure, attempt: Int, _ runtime: StageRuntime, outcome: inout ItemOutcome) async -> Bool {
        var failure = failed
        if failure.unreachable {
            // Nothing answered: most often the address in the pipeline is wrong.
            failure.message += runtime.stage.provider != nil ? "; is base_url right?" : "; is the stage's url right?"
        }
        let gate = runtime.gate
        if failure.failureClass != .cancelled { gate.record(failure) }
        if let earlier = outcome.failureClass { outcome.retries.append((earlier, outcome.message ?? "")) }
        outcome.failureClass = failure.failureClass
        outcome.message = secrets.redact(failure.message)
        if failure.failureClass == .cancelled {
            outcome.status = .cancelled
            outcome.message = "cancelled while in flight (the run was interrupted)"
            return false
        }
        guard runtime.retry.shouldRetry(after: failure, attempt: attempt), gate.givenUp == nil else { return false }
        let wait = runtime.retry.seconds(after: failure, attempt: attempt)
        // A woken unit's backoff holds no place in the lot's window: the others carry on meanwhile.
        ParkingLot.stepAside()
        do {
            try await control.sleep(until: control.clock.now + .seconds(wait))
        } catch {
            outcome.message = (outcome.message ?? "") + " (not retried: the run is stopping)"
            return false
        }
        return true
    }

    /// How every attempt loop ends once it holds the product: earlier attempts' failures become the
    /// success's history, the reservation (`spending`) is spent, and `keep` writes and records it.
    /// `failed` hears a failure of `keep` (a full disk, a refused check) before it is recorded.
    func kept<P, R>(_ product: P, spending: Double, outcome: inout ItemOutcome, keep: (P, inout ItemOutcome) async throws(CallFailure) -> R,
                    failed: (CallFailure) async -> Void = { _ in }) async -> CallResult<R> {
        if let failureClass = outcome.failureClass { outcome.retries.append((failureClass, outcome.message ?? "")) }
        outcome.failureClass = nil
        outcome.message = nil
        if spending > 0 { budget.settle(spending, spent: true) }
        do {
            return .success(try await keep(product, &outcome))
        } catch {
            await failed(error)
            outcome.status = .failed
            outcome.failureClass = error.failureClass
            outcome.message = secrets.redact(error.message)
            return .failed
        }
    }

    /// How the remote attempt loops (queued jobs, batch lines) end once the provider hands an image
    /// back: `finish` makes the unit's product of it, `end` forgets the remote job or line. An image
    /// that cannot be used ends it and is a failed attempt (nil: the policy retries it, the caller's
    /// loop goes on); a kept one is spent and recorded, and ends it unless the image was paid for
    /// but not written (a later run collects it instead of paying again).
    func keptRemote<P, R>(_ image: ProviderImage, finish: (ProviderImage) throws(CallFailure) -> P, end: () async -> Void, attempt: Int,
                          price: Double, reserved: inout Bool, _ runtime: StageRuntime, outcome: inout ItemOutcome,
                          keep: (P, inout ItemOutcome) async throws(CallFailure) -> R) async -> CallResult<R>? {
        let product: P
        do throws(CallFailure) {
            product = try finish(image)
        } catch {
            await end()
            guard await retries(after: error, attempt: attempt, runtime, outcome: &outcome) else {
                if reserved { budget.settle(price, spent: false) }
                reserved = false
                return .failed
            }
            return nil
        }
        let spending = reserved ? price : 0
        reserved = false
        return await kept(product, spending: spending, outcome: &outcome, keep: keep) { error in
            if error.failureClass != .paid_not_written { await end() }
        }
    }

    /// A unit that could not take its place for the next attempt (its task was cancelled): never
    /// started on the first, cancelled after that.
    func cancelledBefore<R>(attempt: Int, outcome: inout ItemOutcome) -> CallResult<R> {
        if attempt == 1 { return .notStarted }
        outcome.status = .cancelled
        outcome.failureClass = .cancelled
        outcome.message = "cancelled before attempt \(attempt)"
        return .failed
    }

    /// A unit the run stopped while it waited for a rate-limit turn: withdrawn on its first
    /// attempt (it was counted started), cancelled after that.
    func stoppedBefore<R>(attempt: Int, _ runtime: StageRuntime, outcome: inout ItemOutcome) -> CallResult<R> {
        if attempt == 1 {
            runtime.stats.withdrawn()
            return .notStarted
        }
        outcome.status = .cancelled
        outcome.failureClass = .cancelled
        outcome.message = "the run stopped before attempt \(attempt)"
        outcome.attempts = attempt - 1
        return .failed
    }

    /// A unit whose provider was given up (refused key, nothing listening): not sent, not an attempt.
    func givenUp<R>(_ refusal: CallFailure, attempt: Int, outcome: inout ItemOutcome) -> CallResult<R> {
        if let earlier = outcome.failureClass { outcome.retries.append((earlier, outcome.message ?? "")) }
        outcome.attempts = attempt - 1
        outcome.failureClass = refusal.failureClass
        outcome.message = secrets.redact(refusal.message)
        return .failed
    }
}
