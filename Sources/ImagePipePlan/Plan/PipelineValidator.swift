import ImagePipeCore
import ImagePipeLanguage
import Foundation

/// `validate`'s whole job: read, check and compile one pipeline file, collecting every problem.
public struct PipelineValidator {
    public var environment: [String: String]
    public var strict: Bool
    public var secrets: SecretSet
    /// The stage and provider kinds pipelines may use.
    package var registry: ComponentRegistry

    package init(registry: ComponentRegistry, environment: [String: String], strict: Bool, secrets: SecretSet) {
        self.registry = registry
        self.environment = environment
        self.strict = strict
        self.secrets = secrets
    }

    public struct Outcome {
        public var pipeline: CompiledPipeline?
        public var diagnostics: Diagnostics
        public var isValid: Bool { !diagnostics.hasErrors && pipeline != nil }
    }

    public func validate(path: String, displayPath: String? = nil) -> Outcome {
        let diagnostics = Diagnostics(strict: strict)
        let display = displayPath ?? path
        let loader = SpecLoader(registry: registry.language, environment: environment, secrets: secrets)
        guard let spec = loader.load(path: path, displayPath: display, diagnostics: diagnostics) else {
            return Outcome(pipeline: nil, diagnostics: diagnostics)
        }
        let files = PipelineFiles(pipelinePath: path, displayPath: display)
        let compiled = PipelineCompiler(spec: spec, files: files, diagnostics: diagnostics).compile()
        // What a run needs from the environment beyond `${…}` (S3 credentials), at the stage's
        // line: an error with --strict (and for `run`), a warning otherwise.
        for stage in compiled?.stages ?? [] {
            for problem in stage.body.missingSettings(environment: environment) {
                diagnostics.strictWarning("stage '\(stage.name)' \(problem)", at: stage.spec.location)
            }
        }
        return Outcome(pipeline: compiled, diagnostics: diagnostics)
    }
}
