/// The stage kinds and provider kinds a pipeline may use, and the language declaration made from
/// them: validation, the JSON Schema and the reference docs all read these lists. Adding a kind
/// is one folder under `Stages/` or `Providers/` and one line here; a test registers kinds of
/// its own by making a registry.
final class ComponentRegistry: Sendable {
    static let builtIn = ComponentRegistry(
        stageKinds: [GenerateStage(), EditStage(), S3UploadStage(), HTTPStage()],
        providerKinds: [Placeholder(), OpenAI(), Gemini(), Command()]
    )

    let stageKinds: [any StageKind]
    let providerKinds: [any ProviderKind]
    /// `stages.NAME`: exactly one kind key, each kind's own declaration under it.
    let stageDeclaration: ObjectSpec
    let pipelineDeclaration: ObjectSpec

    init(stageKinds: [any StageKind], providerKinds: [any ProviderKind]) {
        self.stageKinds = stageKinds
        self.providerKinds = providerKinds
        let names = stageKinds.map(\.name)
        let listed = names.map { "`\($0)`" }
        let joined = listed.count > 1 ? listed.dropLast().joined(separator: ", ") + " or " + listed.last! : listed.joined()
        stageDeclaration = ObjectSpec("Stage", doc: "A stage holds exactly one kind: \(joined).",
                                      fields: stageKinds.map { FieldSpec($0.name, .object($0.declaration), doc: $0.summary) },
                                      exactlyOne: [names])
        pipelineDeclaration = PipelineSpec.declaration(stages: stageDeclaration, providers: ProviderSpec.declaration(kinds: providerKinds))
    }

    func stageKind(named name: String) -> (any StageKind)? {
        stageKinds.first { $0.name == name }
    }

    func providerKind(named name: String) -> (any ProviderKind)? {
        providerKinds.first { $0.name == name }
    }
}
