import Foundation
import Testing
@testable import ImagePipe

/// The deployment examples in docs/examples are valid where they run: the Kubernetes Job against
/// Kubernetes' own schema, the GitHub Actions matrix against GitHub's workflow schema, and the
/// imagepipe commands in them against imagepipe's options.
@Suite struct DeploymentExamplesTests {
    static let examples = Fixtures.repository.appendingPathComponent("docs/examples")

    @Test func theKubernetesJobIsAValidJob() async throws {
        let file = Self.examples.appendingPathComponent("kubernetes-workers.yaml").path
        let out = try await ExternalTool.run(["python3", "-m", "kubernetes_validate", "--strict", file])
        #expect(out.contains("passed for resource job/catalog-images"), "\(out)")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("IMAGEPIPE_STATE") && text.contains("PGPASSWORD"))
    }

    @Test func theGitHubActionsMatrixIsAValidWorkflow() async throws {
        let file = Self.examples.appendingPathComponent("github-actions-shards.yml").path
        let out = try await ExternalTool.run(["python3", "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", file])
        #expect(out.contains("ok"), "\(out)")
    }

    /// A broken example is caught: the checks are not rubber stamps.
    @Test func aBrokenJobIsRefused() async throws {
        let text = try String(contentsOf: Self.examples.appendingPathComponent("kubernetes-workers.yaml"), encoding: .utf8)
        let broken = Fixtures.temporaryDirectory().appendingPathComponent("job.yaml")
        try text.replacingOccurrences(of: "parallelism: 4", with: "parallelism: four").write(to: broken, atomically: true, encoding: .utf8)
        await #expect(throws: ExternalTool.Failure.self) { try await ExternalTool.run(["python3", "-m", "kubernetes_validate", "--strict", broken.path]) }
    }

    @Test func theExamplesUseOptionsImagepipeHas() async throws {
        let help = try await CLIProcess.run(["run", "--help"], in: Fixtures.temporaryDirectory())
        for option in ["--lease", "--state", "--shard", "--junit", "--progress"] {
            #expect(help.stdout.contains(option), "\(option)")
        }
        let merge = try await CLIProcess.run(["merge", "--help"], in: Fixtures.temporaryDirectory())
        #expect(merge.stdout.contains("--out"))
    }
}
