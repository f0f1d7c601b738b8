/// `transform`: images → images on libvips (resize, crop, convert), one output or several.
struct TransformStage: StageKind {
    let name = "transform"
    let summary = "Images → images on libvips: resize, crop, convert; one output or several named ones."
    var declaration: ObjectSpec { TransformSpec.declaration }
    let accepts: [ItemType] = [.images]
    let yields = ItemType.images
    var outputFields: [String] { TransformBody.outputFields }

    func hint(whenFedWith type: ItemType) -> String { "transform the images of a generate, edit or transform stage" }

    func read(_ body: ConfigObject) -> any StageConfig { TransformSpec(body) }

    func compile(_ stage: StageSpec, scope: TemplateScope, inputType: ItemType, _ c: StageCompilation) -> any StageBody {
        let spec = stage.config as! TransformSpec
        var outputs: [TransformBody.Output] = []
        if let path = spec.output {
            let template = c.template(path, scope: scope, stage: stage.name)
            if let template { OutputTemplateCheck.check(template, at: path, stage: stage.name, c) }
            outputs.append(TransformBody.Output(name: nil, recipe: TransformRecipe(spec.operations, outputPath: path.value), path: template))
            checkOutput(spec.operations, path: path, stage: stage, c)
        }
        var outputScope = scope
        outputScope.fields.insert("output")
        for output in spec.outputs {
            let operations = spec.operations.overridden(by: output.operations)
            guard let path = output.path else { continue }
            let template = c.template(path, scope: outputScope, stage: stage.name)
            if let template { OutputTemplateCheck.check(template, at: path, stage: stage.name, c) }
            // The same text writes the same file for both, unless it names the output.
            let namesOutput = template?.expressions.contains { $0.path[0] == "output" } ?? false
            if !namesOutput, let earlier = spec.outputs.first(where: { $0.path?.value == path.value && $0.name.value != output.name.value }) {
                c.diagnostics.error("outputs '\(earlier.name.value)' and '\(output.name.value)' have the same path, so each would overwrite the other",
                                    at: path.location, hint: "give each output its own folder, or add {{ output }} to the path")
            }
            outputs.append(TransformBody.Output(name: output.name.value, recipe: TransformRecipe(operations, outputPath: path.value), path: template))
            checkOutput(operations, path: path, stage: stage, c)
        }
        if spec.keeping.onCheckFailure == .regenerate {
            c.diagnostics.error("a transform cannot regenerate: it would make the same image again", at: spec.keeping.onCheckFailureLocation ?? stage.body.location,
                                hint: "put 'on_check_failure: regenerate' on the generate or edit stage above, or remove it")
        }
        let provenance = spec.keeping.provenance ?? c.spec.provenance
        return TransformBody(spec: spec, outputs: outputs, provenance: provenance)
    }

    private func checkOutput(_ operations: TransformSpec.Operations, path: Located<String>, stage: StageSpec, _ c: StageCompilation) {
        if let resize = operations.resize, resize.width == nil, resize.height == nil {
            c.diagnostics.error("'resize' of stage '\(stage.name)' has neither 'width' nor 'height'", at: stage.body.keyLocation("resize"),
                                hint: "add 'width:', 'height:' or both")
        }
        if let format = operations.format, let implied = TransformSpec.Format.from(extension: path.value), implied != format {
            c.diagnostics.warning("stage '\(stage.name)' writes \(format.rawValue) to '\(path.value)', whose extension says \(implied.rawValue)",
                                  at: path.location, hint: "end the path in .\(format == .jpeg ? "jpg" : format.rawValue), or drop 'format:' to follow the extension")
        }
    }
}
