import ImagePipeCore
/// The kinds of stage and provider a pipeline may name, and the language declaration made from
/// them: validation, the JSON Schema and the reference docs all read it. The library's
/// `ComponentRegistry` makes one from its components.
public final class LanguageRegistry: Sendable {
    public let stageKinds: [any StageKindDeclaration]
    public let providerKinds: [any ProviderKindDeclaration]
    /// `stages.NAME`: exactly one kind key, each kind's own declaration under it.
    public let stageDeclaration: ObjectSpec
    public let pipelineDeclaration: ObjectSpec

    public init(stageKinds: [any StageKindDeclaration], providerKinds: [any ProviderKindDeclaration]) {
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

    public func providerKind(named name: String) -> (any ProviderKindDeclaration)? {
        providerKinds.first { $0.name == name }
    }
}
