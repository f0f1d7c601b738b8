/// Compiles a `generate` or `edit` stage: its provider, prompt, matrix and output path.
enum ImageStageCompiler {
    static func compile(_ stage: StageSpec, kind: String, isEdit: Bool, scope baseScope: TemplateScope, inputType: ItemType,
                        _ c: StageCompilation) -> ImageStageBody {
        let image = stage.config as! ImageStageSpec
        var scope = baseScope
        var out = ImageStageBody(kind: kind, spec: image, isEdit: isEdit)
        if let name = image.provider ?? c.spec.defaultProvider {
            if let provider = c.providers[name.value] {
                out.provider = provider
            } else if image.provider != nil {
                c.reportUnknown("provider", name, among: c.providers.keys)
            }
        } else {
            c.diagnostics.error("stage '\(stage.name)' names no provider", at: stage.body.location,
                                hint: c.providers.isEmpty ? "declare one under 'providers:' and add 'provider: NAME'" : "add 'provider: \(c.providers.keys.sorted()[0])', or set 'defaults.provider'")
        }
        out.model = image.model?.value
        if let provider = out.provider { ModelSettingsCheck.check(image, stage: stage, provider: provider, isEdit: isEdit, c) }
        if let provider = out.provider {
            let fromProvider = provider.component.batchPriceFactor != nil ? BatchSetting.read(provider.settings) : nil
            out.batch = image.batchOff ? nil : image.batch ?? fromProvider
            if out.batch != nil, provider.component.batchPriceFactor == nil {
                c.diagnostics.error("provider '\(provider.name)' (kind \(provider.kindName)) has no batch API imagepipe drives", at: image.batchKeyLocation ?? stage.body.location,
                                    hint: "remove 'batch:', or use an openai or gemini provider")
            } else if out.batch != nil, isEdit {
                c.diagnostics.error("batch mode sends generations; an edit's input image cannot go in a batch", at: image.batchKeyLocation ?? stage.body.location,
                                    hint: "remove 'batch:' from this stage, or write 'batch: false' to turn the provider's batch mode off for it")
            }
        }
        out.variants = image.variants
        for (field, values) in image.matrix {
            if scope.fields.contains(field.value) || ["key", "variant"].contains(field.value) {
                c.diagnostics.error("matrix field '\(field.value)' would hide a field of the same name", at: field.location, hint: "rename it")
            }
            scope.fields.insert(field.value)
            let texts = values.compactMap { $0.json.text }
            if Set(texts).count != texts.count {
                c.diagnostics.error("matrix field '\(field.value)' lists a value twice", at: field.location, hint: "each value makes its own images; remove the repeat")
            }
            out.matrix.append((field.value, texts))
        }
        if let name = image.templateName {
            if let text = c.templates[name.value] {
                out.prompt = c.template(text, scope: scope, stage: stage.name)
            } else {
                c.reportUnknown("template", name, among: c.templates.keys)
            }
        } else if let prompt = image.prompt {
            out.prompt = c.template(prompt, scope: scope, stage: stage.name)
        }
        if let negative = image.negativePrompt { out.negativePrompt = c.template(negative, scope: scope, stage: stage.name) }
        if let params = image.params { out.params = c.jsonTemplate(params, scope: scope, stage: stage.name) }
        if let output = image.output {
            out.output = c.template(output, scope: scope, stage: stage.name)
            if let template = out.output { OutputTemplateCheck.check(template, at: output, stage: stage.name, variants: out.variants, matrix: out.matrix, c) }
        }
        if image.resolution != nil, image.aspectRatio == nil {
            c.diagnostics.error("'resolution' goes with 'aspect_ratio'", at: stage.body.keyLocation("resolution"),
                                hint: "add 'aspect_ratio: \"1:1\"', or use 'size:' alone")
        }
        if isEdit {
            if inputType == .records {
                if let imageField = image.image {
                    out.image = c.template(imageField, scope: scope, stage: stage.name)
                } else {
                    c.diagnostics.error("edit stage '\(stage.name)' reads from source '\(stage.from.value)', so it needs 'image:'", at: stage.body.location,
                                        hint: "add 'image: \"{{ FIELD }}\"' naming the field that holds each input image's path")
                }
            } else if image.image != nil {
                c.diagnostics.error("'image' is only for edits fed from a source; this one edits the images of '\(stage.from.value)'",
                                    at: image.imageKeyLocation ?? stage.body.location, hint: "remove 'image:'")
            }
        }
        out.provenance = image.keeping.provenance ?? c.spec.provenance
        checkKeeping(image.keeping, stage: stage, c)
        out.finish()
        return out
    }

    /// `regenerate` with a fixed seed and a provider that ignores seeds would pay for the same image again.
    private static func checkKeeping(_ keeping: ImageKeeping, stage: StageSpec, _ c: StageCompilation) {
        if keeping.onCheckFailure == .regenerate, keeping.checks.isEmpty {
            c.diagnostics.warning("'on_check_failure: regenerate' on stage '\(stage.name)', which has no 'checks:': nothing can fail, so nothing is regenerated",
                                  at: keeping.onCheckFailureLocation ?? stage.body.location, hint: "add 'checks:', or remove 'on_check_failure'")
        }
    }
}
