import ImagePipeCore
import ImagePipeLanguage
/// A validated pipeline: references resolved, the DAG type-checked and ordered, templates
/// compiled against the fields each stage receives. The plan and the engine work from this.
public struct CompiledPipeline: Sendable {
    public var spec: PipelineSpec
    public var files: PipelineFiles
    public var sources: [CompiledSource]
    /// Stages in dependency order: every stage after the one it reads from.
    public var stages: [CompiledStage]
    public var outputDirectory: String
    public var displayOutputDirectory: String

    public func stages(rootedAt source: String) -> [CompiledStage] { stages.filter { $0.rootSource == source } }
    /// The stages that take each of `name`'s units as it ends (joins wait for the whole item instead).
    public func children(of name: String) -> [CompiledStage] { stages.filter { $0.inputName == name && !$0.isJoin } }
    /// Every stage whose results reach `name`: its chain, and through joins every input's chain.
    public func stagesAbove(_ name: String) -> Set<String> {
        var out = Set<String>()
        var pending = [name]
        while let next = pending.popLast() {
            guard let stage = stages.first(where: { $0.name == next }) else { continue }
            for above in stage.ancestors where out.insert(above).inserted { pending.append(above) }
        }
        return out
    }

    /// Joins, in dependency order: run once an item's other stages are done with it.
    public var joins: [CompiledStage] { stages.filter(\.isJoin) }
    /// The stages whose results some join waits for.
    public var stagesFeedingJoins: Set<String> { Set(joins.flatMap(\.ancestors)) }
}

public struct CompiledSource: Sendable {
    public var spec: SourceSpec
    public var key: Template?
    public var name: String { spec.name }
}

public struct CompiledStage: Sendable {
    public var spec: StageSpec
    public var name: String { spec.name }
    public var kindName: String { spec.kindName }
    public var inputName: String
    /// Every input; more than one makes the stage a join.
    public var inputs: [String] { spec.inputs.map(\.value) }
    /// Its input is a stage unless it is the root source itself.
    public var isJoin: Bool { spec.isJoin(fromIsStage: inputName != rootSource) }
    public var rootSource: String
    /// Upstream stages, nearest first.
    public var ancestors: [String]
    /// A join's first input and the stages above it (its own chain); the ancestors otherwise.
    public var firstInputChain: [String] = []
    public var retry: RetryPolicy
    public var timeout: Double
    public var concurrency: Int
    /// What the stage's kind compiled: how it plans and runs a unit.
    package var body: any StageBody
    /// How each incoming item becomes this stage's units.
    package let expansion: UnitExpansion
    /// `when:`: the items the stage takes; nil takes every one.
    package var condition: Condition?

    /// Whether an item enters the stage (and so its children).
    package func takes(_ item: ItemContext) -> Bool { condition?.holds(for: item) ?? true }

    package init(spec: StageSpec, inputName: String, rootSource: String, ancestors: [String], retry: RetryPolicy, timeout: Double,
         concurrency: Int, body: any StageBody) {
        self.spec = spec
        self.inputName = inputName
        self.rootSource = rootSource
        self.ancestors = ancestors
        self.retry = retry
        self.timeout = timeout
        self.concurrency = concurrency
        self.body = body
        expansion = UnitExpansion(variants: body.variants, matrix: body.matrix, outputNames: body.outputNames)
    }

    public var provider: ProviderSpec? { body.provider }
    public var model: String? { body.model }
    public var variants: Int { body.variants }
    public var isPaid: Bool { body.isPaid }
    /// How many items this stage makes from each item it receives.
    public var fanOut: Int { expansion.fanOut }
}
