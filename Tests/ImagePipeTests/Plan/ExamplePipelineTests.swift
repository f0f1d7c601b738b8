import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

/// The examples in pipelines/ validate and plan without errors, and start with the schema line.
@Suite struct ExamplePipelineTests {
    static let examples = ["quickstart.yaml", "product-catalog.yaml", "blog-heroes.yaml", "social-variants.yaml", "catalog-selection.yaml", "catalog-join.yaml",
                                  "guide-models.yaml"]

    @Test(arguments: examples)
    func validatesAndPlans(_ name: String) throws {
        let path = Fixtures.pipelines.appendingPathComponent(name).path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("# yaml-language-server: $schema=../schemas/pipeline.schema.json\n"))
        let outcome = PipelineValidator(environment: ["GEMINI_API_KEY": "g-key-1234", "OPENAI_API_KEY": "o-key-1234",
                                                      "CMS_TOKEN": "cms-token-1234", "ARK_API_KEY": "ark-key-1234", "FAL_KEY": "fal-key-1234", "SLACK_WEBHOOK": "https://hooks.slack.com/services/T/B/X"])
            .validate(path: path, displayPath: "pipelines/\(name)")
        #expect(outcome.diagnostics.all.filter { $0.severity == .error }.map(\.formatted) == [])
        let pipeline = try #require(outcome.pipeline)
        let report = PlanBuilder(pipeline: pipeline, diagnostics: outcome.diagnostics).build()
        #expect(!outcome.diagnostics.hasErrors, "\(outcome.diagnostics.sorted().map(\.formatted))")
        #expect(report.stages.allSatisfy { $0.items > 0 })
    }

    @Test func socialVariantsFansOutOverMatrixAndVariants() throws {
        let path = Fixtures.pipelines.appendingPathComponent("social-variants.yaml").path
        let outcome = PipelineValidator(environment: [:]).validate(path: path)
        let report = PlanBuilder(pipeline: try #require(outcome.pipeline), diagnostics: outcome.diagnostics).build()
        // 2 campaigns × 2 platforms × 2 styles × 2 variants.
        #expect(report.stages.first?.items == 16)
    }
}
