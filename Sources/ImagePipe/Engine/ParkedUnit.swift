/// A unit whose request waits in a remote batch without a task of its own: what it takes to
/// carry on from where it stopped once the batch has ended. A batch holds up to 50,000 requests,
/// and a suspended task per request would cost the run memory in proportion to its items.
/// (Unchecked: `ItemContext` crosses tasks as everywhere in the engine; its join collector locks.)
struct ParkedUnit: @unchecked Sendable {
    let runtime: StageRuntime
    let unit: ItemContext
    /// The attempt whose line waits, and whether the unit holds its price reserved from the budget.
    var attempt: Int
    var reserved: Bool
    /// The earlier attempts' failures, for the manifest's history: the last one, and those before.
    var failure: (failureClass: FailureClass, message: String?)?
    var retries: [(failureClass: FailureClass, message: String)]
    /// Where `on_check_failure: regenerate` stood: images made and refused before this one.
    var regeneration: Regeneration
    /// When its line was handed in: the attempt's latency counts from here.
    var since = ContinuousClock.now
}

/// Images a unit made and its checks refused, paid either way (`on_check_failure: regenerate`).
struct Regeneration: Sendable {
    var count = 0
    var attempts = 0
    var cost = 0.0
    /// The last refused image's outcome: what is recorded if the next one is never made.
    var refused: ItemOutcome?
}

/// A parked unit woken with its line's outcome, read only when the unit runs again (an image is
/// decoded then, under the run's admission, never for the whole batch at once).
struct WokenUnit: Sendable {
    var parked: ParkedUnit
    let collect: @Sendable () async -> BatchCollector.Outcome
}
