import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipePlan
@testable import ImagePipeCore
import ImagePipeEmulator

/// `--limit`, `--key` and `--retry-failed` pick part of the items: the plan, the progress and
/// the summary count that part, and say what was left aside as done earlier or not selected.
@Suite struct ItemSelectionTests {
    static func yaml(_ version: String) -> String {
        """
        version: 1
        name: selection
        providers: { local: { kind: placeholder } }
        sources: { products: { csv: products.csv, key: "{{ sku }}" } }
        stages:
          hero:
            generate: { from: products, provider: local, model: placeholder-v1, prompt: "{{ name }} \(version)", size: 16x16, output: "hero/{{ sku }}.png" }
          cms:
            http: { from: hero, method: PUT, url: "{{BASE}}/capture/cms/{{ sku }}", json: { image: "{{ hero.path }}" } }
        """
    }

    @Test func partialRunsCountTheSelectionAndNameTheRest() async throws {
        let dir = Fixtures.temporaryDirectory()
        let emulator = ImagePipeEmulator.Emulator(configuration: .init(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let files = ["products.csv": RunHarness.products(10)]
        _ = try await RunHarness.run(Self.yaml("v1"), files: files, server: emulator, directory: dir, ledger: true)

        // Everything done: --limit 3 takes 3 (cached) and leaves 7 done earlier, none "not started".
        var limit = RunOptions()
        limit.limit = 3
        let cached = try await RunHarness.run(Self.yaml("v1"), server: emulator, directory: dir, ledger: true, options: limit)
        let hero = cached.stage("hero")
        #expect((hero.expected, hero.cached, hero.doneEarlier, hero.notSelected) == (3, 3, 7, 0))
        #expect(hero.expected - hero.finished == 0)
        #expect(RunSummaryPrinter.text(cached.result, displayManifest: "m", budget: nil).contains("done earlier  not selected"))

        // A changed prompt: --key P7 makes one image; the other nine are neither done nor selected.
        var key = RunOptions()
        key.keys = ["P7"]
        let one = try await RunHarness.run(Self.yaml("v2"), server: emulator, directory: dir, ledger: true, options: key)
        #expect((one.stage("hero").expected, one.stage("hero").succeeded, one.stage("hero").notSelected) == (1, 1, 9))
        // Requests carry only the path, which did not change: all done, the selected one cached.
        #expect((one.stage("cms").expected, one.stage("cms").cached, one.stage("cms").doneEarlier) == (1, 1, 9))
        #expect(one.lines(stage: "hero").map { $0["key"] as? String } == ["P7"])

        // --retry-failed with nothing failed: nothing selected, nothing run.
        var retry = RunOptions()
        retry.retryFailed = true
        let none = try await RunHarness.run(Self.yaml("v2"), server: emulator, directory: dir, ledger: true, options: retry)
        #expect((none.stage("hero").expected, none.stage("hero").doneEarlier, none.stage("hero").notSelected) == (0, 1, 9))
        #expect(none.ending == .succeeded)
    }

    @Test func planCountsTheSelection() throws {
        let yaml = Self.yaml("v1").replacingOccurrences(of: "{{BASE}}", with: "https://cms.example.com")
        let (outcome, _) = Fixtures.validate(yaml, files: ["products.csv": RunHarness.products(10)])
        let pipeline = try #require(outcome.pipeline)
        let report = PlanBuilder(pipeline: pipeline, diagnostics: outcome.diagnostics, stateFolder: nil,
                                 selection: ItemSelection(limit: 5, keys: ["P2", "P9", "P404"])).build()
        let hero = try #require(report.stages.first)
        #expect((hero.items, hero.selected, hero.notSelected, hero.toRun) == (10, 1, 9, 1))
        #expect(hero.samples.map(\.key) == ["P2"])
        #expect(report.totalCostUSD == 0)
        #expect(Fixtures.lines(outcome).contains("pipeline.yaml:1:1: warning: --key P404 matches no item of any source; keys are what each source's 'key:' renders; 'imagepipe plan' shows them in its samples"))
    }

    /// `when:` gives a stage only the items it holds for (and its children only those); `--where`
    /// selects items for the whole run, and `plan` counts the same.
    @Test func whenAndWhereChooseItems() async throws {
        let yaml = """
        version: 1
        name: when
        providers: { local: { kind: placeholder } }
        sources: { products: { csv: products.csv, key: "{{ sku }}" } }
        stages:
          hero:
            generate: { from: products, provider: local, model: m, prompt: "{{ name }}", size: 16x16, output: "hero/{{ sku }}.png" }
          lifestyle:
            generate: { from: products, when: 'category == "shoes" and price >= 20', provider: local, model: m, prompt: "{{ name }} outdoors", size: 16x16, output: "life/{{ sku }}.png" }
          thumb:
            edit: { from: lifestyle, provider: local, model: m, prompt: "small", size: 8x8, output: "thumb/{{ sku }}.png" }
        """
        let csv = "sku,name,category,price\nA1,Boot,shoes,40\nA2,Sandal,shoes,15\nA3,Tote,bags,40\nA4,Runner,shoes,120\n"
        let all = try await RunHarness.run(yaml, files: ["products.csv": csv])
        #expect((all.stage("hero").expected, all.stage("lifestyle").expected, all.stage("thumb").expected) == (4, 2, 2))
        #expect(all.lines(stage: "lifestyle").compactMap { $0["key"] as? String }.sorted() == ["A1", "A4"])
        #expect(all.ending == .succeeded)

        var options = RunOptions()
        options.condition = try ConditionParser.parse("price > 30")
        options.conditionText = "price > 30"
        let expensive = try await RunHarness.run(yaml, files: ["products.csv": csv], options: options)
        #expect((expensive.stage("hero").expected, expensive.stage("hero").notSelected) == (3, 1))
        #expect(expensive.stage("lifestyle").expected == 2)

        let (outcome, _) = Fixtures.validate(yaml, files: ["products.csv": csv])
        let report = PlanBuilder(pipeline: try #require(outcome.pipeline), diagnostics: outcome.diagnostics, stateFolder: nil,
                                 selection: ItemSelection(condition: (try ConditionParser.parse(#"category == "bags""#), #"category == "bags""#))).build()
        #expect(report.stages.map(\.selected) == [1, 0, 0])
        #expect(report.stages.map(\.items) == [4, 2, 2])
    }

    @Test func whenChecksItsFieldsLikeATemplate() {
        let yaml = """
        version: 1
        name: when
        providers: { local: { kind: placeholder } }
        sources: { products: { csv: products.csv, key: "{{ sku }}" } }
        stages:
          hero:
            generate: { from: products, when: 'categry == "shoes"', provider: local, model: m, prompt: "x", output: "{{ sku }}.png" }
        """
        let (outcome, _) = Fixtures.validate(yaml, files: ["products.csv": "sku,category\nA1,shoes\n"])
        #expect(Fixtures.lines(outcome) == ["pipeline.yaml:7:40: error: unknown field 'categry': source 'products' does not provide it (fields: sku, category), nor does any upstream stage; did you mean 'category'?"])
    }

    @Test func whenTestsTheItemAndWhereChecksItsFields() throws {
        let yaml = """
        version: 1
        name: when
        providers: { local: { kind: placeholder } }
        sources: { products: { csv: products.csv, key: "{{ sku }}" } }
        stages:
          hero:
            generate: { from: products, provider: local, model: m, prompt: "x", output: "{{ sku }}.png" }
          thumb:
            edit: { from: hero, when: 'hero.width > 10', provider: local, model: m, prompt: "x", output: "t/{{ sku }}.png" }
        """
        let (outcome, _) = Fixtures.validate(yaml, files: ["products.csv": "sku,category\nA1,shoes\n"])
        #expect(Fixtures.lines(outcome).first?.hasPrefix("pipeline.yaml:9:32: error: 'when' can test the item's own fields, not what stage 'hero' produced") == true,
                "\(Fixtures.lines(outcome))")

        let fine = yaml.replacingOccurrences(of: "hero.width > 10", with: "category == \"shoes\"")
        let (checked, _) = Fixtures.validate(fine, files: ["products.csv": "sku,category\nA1,shoes\n"])
        let pipeline = try #require(checked.pipeline)
        _ = PlanBuilder(pipeline: pipeline, diagnostics: checked.diagnostics, stateFolder: nil,
                        selection: ItemSelection(condition: (try ConditionParser.parse(#"categroy != "x""#), #"categroy != "x""#))).build()
        #expect(Fixtures.lines(checked).contains("pipeline.yaml:1:1: error: --where: no source has a field 'categroy'; did you mean 'category'?"))
    }
}
