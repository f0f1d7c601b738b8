/// One stage as the engine runs it: its compiled form, what it calls through, its limits and its
/// counts. Every property is set once, so it is shared between tasks without a lock.
final class StageRuntime: Sendable {
    let stage: CompiledStage
    let environment: UnitEnvironment
    let children: [StageRuntime]
    let slots: AsyncSemaphore
    /// The provider's limits (shared by its stages), or the stage's own for integrations.
    let gate: ProviderGate
    let retry: RetryDelay
    /// Outputs that are the same for every item, for templates downstream.
    let constants: [String: String]
    let stats: StageStats
    /// `when:`, and whether a join waits for this stage: read per unit, so kept apart from `stage`.
    let condition: Condition?
    let feedsJoin: Bool

    init(stage: CompiledStage, environment: UnitEnvironment, gate: ProviderGate, planned: PlanReport.StageSummary?, children: [StageRuntime],
         feedsJoin: Bool) {
        self.stage = stage
        self.feedsJoin = feedsJoin
        condition = stage.condition
        self.environment = environment
        self.gate = gate
        self.children = children
        slots = AsyncSemaphore(permits: stage.concurrency)
        retry = RetryDelay(policy: stage.retry)
        constants = stage.body.constants(stage: stage.name)
        stats = StageStats(name: stage.name, expected: planned?.selected ?? 0, doneEarlier: planned?.doneEarlier ?? 0,
                           notSelected: planned?.notSelected ?? 0)
    }

    var name: String { stage.name }

    /// Whether an item enters the stage (its `when:`).
    func takes(_ item: ItemContext) -> Bool { condition?.holds(for: item) ?? true }

    /// Stages below this one, with how many of their items each of this stage's items feeds.
    var descendants: [(stage: StageRuntime, items: Int)] {
        children.flatMap { child in [(child, child.stage.fanOut)] + child.descendants.map { ($0.stage, $0.items * child.stage.fanOut) } }
    }
}
