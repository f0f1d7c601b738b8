import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

@Suite struct YAMLLoaderTests {
    @Test func refusesDeepBlockNestingWithoutCrashing() {
        let text = "version: 1\nname: p\nx-deep: " + String(repeating: "- ", count: 20_000) + "x\n"
        let diagnostics = Diagnostics()
        #expect(YAMLLoader.load(text: text, file: "f.yaml", diagnostics: diagnostics) == nil)
        #expect(diagnostics.hasErrors)
    }

    @Test func refusesNestingBeyondOurLimitEvenWithinLibyamls() {
        let text = "x: " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "\n"
        let diagnostics = Diagnostics()
        #expect(YAMLLoader.load(text: text, file: "f.yaml", diagnostics: diagnostics) == nil)
        #expect(diagnostics.all.first?.message.contains("nesting") == true)
    }

    @Test func mergeKeysApplyWithExplicitKeysWinning() {
        let yaml = """
        version: 1
        name: p
        x-gen: &gen { from: products, provider: fast, model: m, output: "{{ sku }}.png", prompt: "base {{ name }}" }
        providers: { fast: { kind: placeholder } }
        sources: { products: { items: [{ sku: A1, name: Mug }], key: "{{ sku }}" } }
        stages:
          hero:
            generate:
              <<: *gen
              prompt: "hero {{ name }}"
        """
        let (outcome, _) = Fixtures.validate(yaml)
        #expect(Fixtures.lines(outcome) == [])
        #expect((outcome.pipeline?.stages.first?.body as? ImageStageBody)?.prompt?.source == "hero {{ name }}")
    }

    @Test func invalidUTF8IsReportedAtItsLine() throws {
        let dir = Fixtures.temporaryDirectory()
        let path = dir.appendingPathComponent("p.yaml").path
        var bytes = Array("version: 1\nname: caf".utf8)
        bytes.append(0xE9)
        bytes += Array("\n".utf8)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let outcome = PipelineValidator(environment: [:]).validate(path: path, displayPath: "p.yaml")
        #expect(Fixtures.lines(outcome) == ["p.yaml:2:10: error: the file is not valid UTF-8; save it as UTF-8"])
    }
}
