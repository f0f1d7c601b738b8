extension ComponentRegistry {
    /// The built-in kinds. Adding a kind is one folder under `Stages/` or `Providers/` and one
    /// line here.
    static let builtIn = ComponentRegistry(
        stageKinds: [GenerateStage(), EditStage(), TransformStage(), S3UploadStage(), HTTPStage()],
        providerKinds: [Placeholder(), OpenAI(), Gemini(), Seedream(), Fal(), Replicate(), Command()]
    )
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
