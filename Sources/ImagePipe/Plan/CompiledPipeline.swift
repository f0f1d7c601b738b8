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
    public func children(of name: String) -> [CompiledStage] { stages.filter { $0.inputName == name } }
}

public struct CompiledSource: Sendable {
    public var spec: SourceSpec
    public var key: Template?
    public var name: String { spec.name }
}

public struct CompiledStage: Sendable {
    public var spec: StageSpec
    public var name: String { spec.name }
    public var inputName: String
    public var rootSource: String
    /// Upstream stages, nearest first.
    public var ancestors: [String]
    public var provider: ProviderSpec?
    public var retry: RetryPolicy
    public var timeout: Double
    public var concurrency: Int

    public var model: String?
    public var prompt: Template?
    public var negativePrompt: Template?
    public var output: Template?
    public var image: Template?
    public var variants = 1
    public var matrix: [(field: String, values: [String])] = []

    public var bucket: String?
    public var objectKey: Template?
    public var publicURL: Template?

    public var url: Template?
    public var headers: [(name: String, value: Template)] = []
    public var json: JSONTemplate?

    /// How many items this stage makes from each item it receives.
    public var fanOut: Int { variants * matrix.reduce(1) { $0 * $1.values.count } }
}
