/// A unit whose request waits in a remote batch without a task of its own: what it takes to
/// carry on from where it stopped once the batch has ended. A batch holds up to 50,000 requests,
/// and a suspended task per request would cost the run memory in proportion to its items; a
/// class, so that the collector's table and the wake-up queue hold a reference, not a copy.
/// (Unchecked: set up before it is handed over, then only read; `ItemContext` crosses tasks as
/// everywhere in the engine, and its join collector locks.)
final class ParkedUnit: @unchecked Sendable {
    let runtime: StageRuntime
    let unit: ItemContext
    /// The attempt whose line waits, and whether the unit holds its price reserved from the budget.
    let attempt: Int
    let reserved: Bool
    /// The earlier attempts' failures, for the manifest's history: the last one, and those before.
    let failure: (failureClass: FailureClass, message: String?)?
    let retries: [(failureClass: FailureClass, message: String)]
    /// Where `on_check_failure: regenerate` stood; nil before any image was refused.
    let regeneration: Regeneration?
    /// Whether a batch of its expired before: an expired item is sent again once.
    var expiredOnce = false
    /// When its line was handed in: the attempt's latency counts from here.
    var since = ContinuousClock.now
    /// A detached unit's line, made again from its row: the row must make the same request (the
    /// custom id carries its fingerprint), or the answer is not this unit's.
    var expectedCustomID: String?

    init(runtime: StageRuntime, unit: ItemContext, attempt: Int, reserved: Bool, failure: (failureClass: FailureClass, message: String?)?,
         retries: [(failureClass: FailureClass, message: String)], regeneration: Regeneration?) {
        self.runtime = runtime
        self.unit = unit
        self.attempt = attempt
        self.reserved = reserved
        self.failure = failure
        self.retries = retries
        self.regeneration = regeneration
    }
}

/// Images a unit made and its checks refused, paid either way (`on_check_failure: regenerate`).
final class Regeneration: Sendable {
    let count: Int
    let attempts: Int
    let cost: Double
    /// The last refused image's outcome: what is recorded if the next one is never made.
    let refused: ItemOutcome?

    init(count: Int, attempts: Int, cost: Double, refused: ItemOutcome?) {
        self.count = count
        self.attempts = attempts
        self.cost = cost
        self.refused = refused
    }
}

/// A parked unit woken with its line's outcome, read only when the unit runs again (an image is
/// decoded then, under the run's admission, never for the whole batch at once).
struct WokenUnit: Sendable {
    let parked: ParkedUnit
    let collect: @Sendable () async -> BatchCollector.Outcome
    /// Whether it holds a place in the lot's queue (`ParkingLot.wakeWhenRoom`), given back when it is taken in.
    var holdsRoom = false
}
