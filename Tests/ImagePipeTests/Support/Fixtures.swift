import Foundation
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

/// Paths of the repository's test fixtures and examples, found from this file's location.
enum Fixtures {
    static let repository: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let invalid = repository.appendingPathComponent("Tests/Fixtures/invalid")
    static let pipelines = repository.appendingPathComponent("pipelines")

    /// A fixed environment, so results do not depend on the machine running the tests.
    static let environment = ["SET_VAR": "value-from-env"]

    /// A scratch folder, removed by the caller.
    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("imagepipe-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes files into a fresh folder and validates `pipeline.yaml` there, as `imagepipe validate` does.
    static func validate(_ yaml: String, files: [String: String] = [:], environment: [String: String] = environment,
                         strict: Bool = false, secrets: SecretSet = SecretSet(), directory: URL? = nil,
                         registry: ComponentRegistry = .builtIn) -> (PipelineValidator.Outcome, URL) {
        let dir = directory ?? temporaryDirectory()
        for (name, content) in files {
            let url = dir.appendingPathComponent(name)
            try! FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try! content.write(to: url, atomically: true, encoding: .utf8)
        }
        let path = dir.appendingPathComponent("pipeline.yaml").path
        try! yaml.write(toFile: path, atomically: true, encoding: .utf8)
        var validator = PipelineValidator(environment: environment, strict: strict, secrets: secrets)
        validator.registry = registry
        let outcome = validator.validate(path: path, displayPath: "pipeline.yaml")
        return (outcome, dir)
    }

    static func lines(_ outcome: PipelineValidator.Outcome) -> [String] {
        outcome.diagnostics.sorted().map(\.formatted)
    }
}

import Crypto

/// SHA-256 of bytes, for comparing files with what the manifest and ledger record.
func SHA256Digest(_ bytes: Data) -> SHA256.Digest { SHA256.hash(data: bytes) }
