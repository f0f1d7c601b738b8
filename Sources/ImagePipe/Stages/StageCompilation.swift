/// What a stage kind's `compile` may use: the pipeline's providers and templates, the template
/// compiler, and the diagnostics every problem goes to.
struct StageCompilation {
    let compiler: PipelineCompiler
    let providers: [String: ProviderSpec]
    let templates: [String: Located<String>]

    var spec: PipelineSpec { compiler.spec }
    var diagnostics: Diagnostics { compiler.diagnostics }

    /// Parses `text` and checks every field it names against `scope`; nil after a problem.
    @discardableResult
    func template(_ text: Located<String>, scope: TemplateScope, stage: String) -> Template? {
        compiler.compileTemplate(text, scope: scope, stage: stage)
    }

    func reportUnknown(_ what: String, _ name: Located<String>, among candidates: some Sequence<String>) {
        compiler.reportUnknown(what, name, among: candidates)
    }
}
