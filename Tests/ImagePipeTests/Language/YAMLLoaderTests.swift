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

    func firstError(_ text: String) -> String? {
        let diagnostics = Diagnostics()
        _ = YAMLLoader.load(text: text, file: "p.yaml", diagnostics: diagnostics)
        return diagnostics.sorted().first.map(\.formatted)
    }

    /// libyaml names where it gave up; the error names the line that is wrong and where its key belongs.
    @Test func indentationMistakesNameTheLineAndTheColumn() {
        let between = "version: 1\nstages:\n  hero:\n    generate:\n      from: products\n     provider: local\n      model: m\n"
        #expect(firstError(between) == "p.yaml:6:6: error: 'provider' is indented 5 spaces, less than 'from' on line 5 and more than 'generate' on line 4: it matches no level above; "
            + "start it at column 7 (beside 'from'), or at column 5 (beside 'generate') (YAML stopped at line 6: did not find expected key while parsing a block mapping)")
        let deeper = "version: 1\nstages:\n  hero:\n    generate:\n      from: products\n        provider: local\n      model: m\n"
        #expect(firstError(deeper) == "p.yaml:6:9: error: 'provider' is indented more than 'from' on line 5, which already has a value on its line; "
            + "indent it like 'from' (column 7) (YAML stopped at line 6: mapping values are not allowed in this context)")
    }

    @Test func aTabInTheIndentationIsNamedWithItsFix() {
        let text = "version: 1\nstages:\n  hero:\n\tgenerate:\n      from: products\n"
        #expect(firstError(text)?.hasPrefix("p.yaml:4:1: error: a tab indents this line; YAML indents with spaces only; replace the tab with spaces") == true)
    }

    /// Block scalars, flow mappings over several lines and comments are not mistaken for structure.
    @Test func theDoctorLeavesValidShapesAlone() {
        let text = """
        version: 1 # the language
        stages:
          hero:
            generate:
              prompt: >-
                a long
                    prompt, indented oddly
                here
              json: { a: 1,
                 b: 2 }
              list:
                - one
                - two: 2
                  three: 3
              model: m
        """
        #expect(YAMLIndentationDoctor.diagnose(text) == nil)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.pipelines.path)) ?? [] where name.hasSuffix(".yaml") {
            let example = (try? String(contentsOf: Fixtures.pipelines.appendingPathComponent(name), encoding: .utf8)) ?? ""
            #expect(YAMLIndentationDoctor.diagnose(example) == nil, "\(name)")
        }
    }
}
