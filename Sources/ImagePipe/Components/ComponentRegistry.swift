/// The stage kinds and provider kinds a pipeline may use. The language's declaration is made
/// from them (`language`), and the compiler, the planner and the engine find each stage's and
/// provider's component through them. Adding a kind is one folder under `Stages/` or
/// `Providers/` and one line here; a test registers kinds of its own by making a registry.
final class ComponentRegistry: Sendable {
    static let builtIn = ComponentRegistry(
        stageKinds: [GenerateStage(), EditStage(), S3UploadStage(), HTTPStage()],
        providerKinds: [Placeholder(), OpenAI(), Gemini(), Command()]
    )

    let stageKinds: [any StageKind]
    let providerKinds: [any ProviderKind]
    let language: LanguageRegistry

    init(stageKinds: [any StageKind], providerKinds: [any ProviderKind]) {
        self.stageKinds = stageKinds
        self.providerKinds = providerKinds
        language = LanguageRegistry(stageKinds: stageKinds, providerKinds: providerKinds)
    }

    var pipelineDeclaration: ObjectSpec { language.pipelineDeclaration }
}

extension StageSpec {
    /// The stage's kind as a component that compiles. The specs the library reads come from its
    /// registry, whose kinds are all `StageKind`s.
    var component: any StageKind { kind as! any StageKind }
}

extension ProviderSpec {
    /// The provider's kind as a component that prices and makes providers.
    var component: any ProviderKind { kind as! any ProviderKind }
}

extension PipelineSpec {
    /// The language with the built-in stage and provider kinds.
    public static var declaration: ObjectSpec { ComponentRegistry.builtIn.pipelineDeclaration }
}

extension JSONSchemaGenerator {
    /// The JSON Schema of the language with the built-in kinds.
    public static func schema() -> JSONValue { schema(registry: ComponentRegistry.builtIn.language) }
}

extension ReferenceDocGenerator {
    /// The reference of the language with the built-in kinds.
    public static func markdown() -> String { markdown(registry: ComponentRegistry.builtIn.language) }
}
