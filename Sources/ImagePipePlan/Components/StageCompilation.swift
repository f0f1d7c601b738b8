import ImagePipeCore
import ImagePipeLanguage
/// What a stage kind's `compile` may use: the pipeline's providers and templates, the template
/// compiler, and the diagnostics every problem goes to.
package struct StageCompilation {
    package let compiler: PipelineCompiler
    package let providers: [String: ProviderSpec]
    package let templates: [String: Located<String>]

    package var spec: PipelineSpec { compiler.spec }
    package var diagnostics: Diagnostics { compiler.diagnostics }

    /// Parses `text` and checks every field it names against `scope`; nil after a problem.
    @discardableResult
    package func template(_ text: Located<String>, scope: TemplateScope, stage: String) -> Template? {
        compiler.compileTemplate(text, scope: scope, stage: stage)
    }

    package func reportUnknown(_ what: String, _ name: Located<String>, among candidates: some Sequence<String>) {
        compiler.reportUnknown(what, name, among: candidates)
    }
}
