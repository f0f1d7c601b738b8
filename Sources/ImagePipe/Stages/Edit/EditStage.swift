/// `edit`: images → images (image-to-image with a prompt), or records naming image files → images.
struct EditStage: StageKind {
    let name = "edit"
    let summary = "Images → images: image-to-image with a prompt."
    var declaration: ObjectSpec { ImageStageSpec.editDeclaration }
    let accepts: [ItemType] = [.records, .images]
    let yields = ItemType.images
    var outputFields: [String] { ImageStageBody.outputFields }

    func read(_ body: ConfigObject) -> any StageConfig { ImageStageSpec(body) }

    func compile(_ stage: StageSpec, scope: TemplateScope, inputType: ItemType, _ compilation: StageCompilation) -> any StageBody {
        ImageStageCompiler.compile(stage, kind: name, isEdit: true, scope: scope, inputType: inputType, compilation)
    }
}
