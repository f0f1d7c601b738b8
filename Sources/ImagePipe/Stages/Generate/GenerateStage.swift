/// `generate`: records → images, one prompt per item sent to a provider.
struct GenerateStage: StageKind {
    let name = "generate"
    let summary = "Records → images: one prompt per item, sent to a provider."
    var declaration: ObjectSpec { ImageStageSpec.generateDeclaration }
    let accepts: [ItemType] = [.records]
    let yields = ItemType.images
    var outputFields: [String] { ImageStageBody.outputFields }

    func hint(whenFedWith type: ItemType) -> String {
        type == .images ? "use an 'edit' stage to change images" : "generate from a source"
    }

    func read(_ body: ConfigObject) -> any StageConfig { ImageStageSpec(body) }

    func compile(_ stage: StageSpec, scope: TemplateScope, inputType: ItemType, _ compilation: StageCompilation) -> any StageBody {
        ImageStageCompiler.compile(stage, kind: name, isEdit: false, scope: scope, inputType: inputType, compilation)
    }
}
