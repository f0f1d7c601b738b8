import Foundation

/// What happens during a run, as the manifest, the ledger, progress and notifications hear it.
public enum RunEvent: Sendable {
    /// The run begins: limits set, the ledger locked.
    case started(RunInfo)
    /// A unit's result is to be kept; the engine waits for consumers of this (the ledger)
    /// before the unit's slot is free, so that no more results than `concurrency` can be lost.
    case recorded(LedgerEntry)
    /// A unit ended: succeeded, cached, failed, skipped or cancelled. `manifestLine` is its line
    /// when the ledger's record already made it (secrets masked), so it is made once.
    case finished(ItemOutcome, manifestLine: String?)
    /// Units of a stage below one that failed, skipped without running (one line for all the
    /// units the failed item would have fed there).
    case propagated(ItemOutcome)
    /// Something a person should know that is no item's outcome (the ledger cannot be written).
    case warning(String)
    /// The run ended.
    case ended(RunInfo, RunEngine.Result, RunOutcome)
}

/// Who the run tells: each consumer takes the events it cares about.
public protocol RunEventConsumer: Sendable {
    func handle(_ event: RunEvent) async
}

/// What a consumer needs to name a run.
public struct RunInfo: Sendable {
    public var pipeline: String
    public var runID: String
    /// The manifest as the user would type its path.
    public var manifest: String
    /// The stages' counts so far.
    public var stages: @Sendable () -> [StageStats.Snapshot]
}

/// The consumers of one run, in the order they subscribed; safe to add to from any thread
/// (the lock guards the list).
final class RunEventConsumers: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [any RunEventConsumer] = []

    func add(_ consumer: any RunEventConsumer) { lock.withLock { list.append(consumer) } }

    func emit(_ event: RunEvent) async {
        for consumer in lock.withLock({ list }) { await consumer.handle(event) }
    }
}
