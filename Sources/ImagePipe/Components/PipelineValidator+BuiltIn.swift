import Foundation

extension PipelineValidator {
    /// A validator of pipelines with the built-in stage and provider kinds.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, strict: Bool = false, secrets: SecretSet = SecretSet()) {
        self.init(registry: .builtIn, environment: environment, strict: strict, secrets: secrets)
    }
}
