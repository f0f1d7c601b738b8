/// One stage as the engine runs it: its compiled form, its limits, its provider and its counts.
final class StageRuntime: @unchecked Sendable {
    let stage: CompiledStage
    var children: [StageRuntime] = []
    let slots: AsyncSemaphore
    let gate: ProviderGate?
    let provider: ImageProvider?
    /// `s3_upload` stages: the signed client.
    var uploader: S3Uploader?
    let image: ImageStageSpec?
    let isEdit: Bool
    /// USD per image; nil when the model's price is unknown.
    let price: Double?
    let retry: RetryDelay
    /// Every combination of matrix values (one empty combination without a matrix).
    let combinations: [[(field: String, value: String)]]
    /// Outputs that are the same for every item, for templates downstream.
    let constants: [String: String]
    let stats: StageStats

    init(stage: CompiledStage, gate: ProviderGate?, provider: ImageProvider?, price: Double?, expected: Int) {
        self.stage = stage
        self.gate = gate
        self.provider = provider
        self.price = price
        slots = AsyncSemaphore(permits: stage.concurrency)
        retry = RetryDelay(policy: stage.retry)
        switch stage.spec.kind {
        case .generate(let spec): image = spec; isEdit = false
        case .edit(let spec): image = spec; isEdit = true
        default: image = nil; isEdit = false
        }
        combinations = stage.matrix.reduce([[]]) { combos, axis in
            combos.flatMap { combo in axis.values.map { combo + [(axis.field, $0)] } }
        }
        var constants: [String: String] = ["model": stage.model ?? "", "seed": image?.seed.map(String.init) ?? ""]
        if case .s3Upload = stage.spec.kind { constants["bucket"] = stage.bucket ?? "" }
        self.constants = constants
        stats = StageStats(name: stage.name, expected: expected)
    }

    var name: String { stage.name }

    /// Stages below this one, with how many of their items each of this stage's items feeds.
    var descendants: [(stage: StageRuntime, items: Int)] {
        children.flatMap { child in [(child, child.stage.fanOut)] + child.descendants.map { ($0.stage, $0.items * child.stage.fanOut) } }
    }
}
