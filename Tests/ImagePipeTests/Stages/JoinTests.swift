import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipePlan
import ImagePipeEmulator

/// `from: [hero, lifestyle]`: one request per item once both stages are done with it, carrying
/// the hero and every lifestyle variant (a list), checked like any template, planned the same.
@Suite struct JoinTests {
    static let yaml = """
    version: 1
    name: join
    providers:
      local: { kind: placeholder }
      p: { kind: openai, base_url: "{{BASE}}/v1", api_key: test-key-123456 }
    sources:
      products: { csv: products.csv, key: "{{ sku }}" }
    stages:
      hero:
        generate: { from: products, provider: p, model: gpt-image-1, prompt: "{{ name }}", size: 64x64, output: "hero/{{ sku }}.png" }
      lifestyle:
        generate: { from: products, when: 'category == "shoes"', provider: local, model: m, prompt: "{{ name }} outdoors", size: 16x16, variants: 2, output: "life/{{ sku }}-{{ variant }}.png" }
      cms:
        http:
          from: [hero, lifestyle]
          method: PATCH
          url: "{{BASE}}/capture/cms/{{ sku }}"
          json: { hero: "{{ hero.path }}", lifestyle: "{{ lifestyle.path }}", note: "{{ sku }}: {{ lifestyle.path }}" }
    """
    static let csv = "sku,name,category\nA1,Boot,shoes\nA2,Tote,bags\nA3,[[block]] Sandal,shoes\n"

    @Test func aJoinTakesEachItemOnceWithEveryUnit() async throws {
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let run = try await RunHarness.run(Self.yaml, files: ["products.csv": Self.csv], server: emulator)
        #expect(run.stage("cms").succeeded == 2)
        #expect(run.stage("cms").skipped == 1)
        let bodies = Dictionary(uniqueKeysWithValues: emulator.stats.captured.compactMap { request -> (String, [String: Any])? in
            guard let body = try? JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any] else { return nil }
            return (String(request.path.split(separator: "/").last ?? ""), body)
        })
        #expect(bodies.count == 2, "one request per item, not per variant")
        #expect(bodies["A1"]?["hero"] as? String == "out/hero/A1.png")
        #expect(bodies["A1"]?["lifestyle"] as? [String] == ["out/life/A1-1.png", "out/life/A1-2.png"])
        #expect(bodies["A1"]?["note"] as? String == "A1: out/life/A1-1.png, out/life/A1-2.png")
        #expect(bodies["A2"]?["lifestyle"] as? [String] == [], "an item the joined stage left out: an empty list")
        let skipped = try #require(run.lines(stage: "cms").first { $0["key"] as? String == "A3" })
        #expect(skipped["status"] as? String == "skipped")
        #expect(skipped["message"] as? String == "upstream stage 'hero' failed (content_policy)")

        let yaml = Self.yaml.replacingOccurrences(of: "{{BASE}}", with: emulator.baseURL)
        let (outcome, _) = Fixtures.validate(yaml, files: ["products.csv": Self.csv])
        let report = PlanBuilder(pipeline: try #require(outcome.pipeline), diagnostics: outcome.diagnostics).build()
        #expect(report.stages.first { $0.name == "cms" }?.items == 3)
        let sample = try #require(report.stages.first { $0.name == "cms" }?.samples.first)
        #expect(sample.lines.contains { $0.label == "json" && $0.value.contains("\"lifestyle\":[\"out/life/A1-1.png\",\"out/life/A1-2.png\"]") }, "\(sample.lines)")
    }

    @Test func joinsAreCheckedLikeEdges() {
        func errors(_ from: String, extra: String = "") -> [String] {
            let yaml = """
            version: 1
            name: join
            providers: { local: { kind: placeholder } }
            sources:
              products: { csv: products.csv, key: "{{ sku }}" }
              posts: { csv: posts.csv, key: "{{ slug }}" }
            stages:
              hero: { generate: { from: products, provider: local, model: m, prompt: "x", output: "h/{{ sku }}.png" } }
              banner: { generate: { from: posts, provider: local, model: m, prompt: "x", output: "b/{{ slug }}.png" } }
              both: { http: { from: \(from), url: "https://cms.example.com/{{ key }}" } }
            \(extra)
            """
            let (outcome, _) = Fixtures.validate(yaml, files: ["products.csv": "sku\nA1\n", "posts.csv": "slug\nhello\n"])
            return Fixtures.lines(outcome).filter { $0.contains("error:") }
        }
        #expect(errors("[hero, banner]") == ["pipeline.yaml:10:32: error: 'both' joins stages of different sources: 'hero' (products) and 'banner' (posts); a join combines one item's results, so its stages must share a source"])
        #expect(errors("[hero, products]") == ["pipeline.yaml:10:32: error: 'products' is a source; a list in 'from' joins stages; list the stages whose results this stage combines, like from: [hero, lifestyle]"])
        #expect(errors("[hero, hero]").first?.contains("'hero' is listed twice in 'from'") == true)
        #expect(errors("[hero, hreo]").first?.contains("unknown source or stage 'hreo'") == true)
    }

    /// A join's list keeps its units' order (variant, then matrix), so a re-run finds the same
    /// request and sends nothing; `--only` on a join passes on what the ledger holds and skips the
    /// join for items an input has not finished.
    @Test func joinsResumeAndHonourOnly() async throws {
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let dir = Fixtures.temporaryDirectory()
        let yaml = Self.yaml.replacingOccurrences(of: "variants: 2", with: "variants: 6")
        let csv = "sku,name,category\nA1,Boot,shoes\nA2,Tote,bags\n"
        _ = try await RunHarness.run(yaml, files: ["products.csv": csv], server: emulator, directory: dir, ledger: true)
        let sent = emulator.stats.captured.count
        let again = try await RunHarness.run(yaml, server: emulator, directory: dir, ledger: true)
        #expect(again.stage("cms").cached == 2 && emulator.stats.captured.count == sent, "the same lists: nothing sent again")

        // A changed lifestyle prompt, then --only cms: lifestyle is not done for A1, so cms skips A1.
        var only = RunOptions()
        only.only = "cms"
        let changed = yaml.replacingOccurrences(of: "outdoors", with: "at dawn")
        let partial = try await RunHarness.run(changed, server: emulator, directory: dir, ledger: true, options: only)
        let a1 = try #require(partial.lines(stage: "cms").first { $0["key"] as? String == "A1" })
        #expect(a1["status"] as? String == "skipped")
        #expect(a1["message"] as? String == "upstream stage 'lifestyle' was skipped")
        #expect(emulator.stats.captured.count == sent)
    }
}
