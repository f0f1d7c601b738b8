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

    /// A JSON value whose strings are templates (an `http` stage's `json:`, an image stage's `params:`).
    package func jsonTemplate(_ node: ConfigNode, scope: TemplateScope, stage: String) -> JSONTemplate {
        switch node.value {
        case .string:
            guard let located = node.located, let template = template(located, scope: scope, stage: stage) else { return .value(.null) }
            return template.isConstant ? .value(.string(template.source)) : .template(template)
        case .list(let items): return .array(items.map { jsonTemplate($0, scope: scope, stage: stage) })
        case .map(let pairs): return .object(pairs.map { ($0.key.value, jsonTemplate($0.value, scope: scope, stage: stage)) })
        default: return .value(node.json)
        }
    }

    package func reportUnknown(_ what: String, _ name: Located<String>, among candidates: some Sequence<String>) {
        compiler.reportUnknown(what, name, among: candidates)
    }
}
