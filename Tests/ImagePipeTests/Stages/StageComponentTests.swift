import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan
import ImagePipeEmulator

/// Stage kinds as components: a kind registered by a test runs like a built-in one, and every
/// kind goes through the same item model in `plan` and `run`.
@Suite struct StageComponentTests {
    static let registry = ComponentRegistry(stageKinds: ComponentRegistry.builtIn.stageKinds + [EchoStage()],
                                            providerKinds: ComponentRegistry.builtIn.providerKinds)

    static let echoPipeline = """
    version: 1
    name: echo-test
    providers:
      local: { kind: placeholder }
    sources:
      products: { csv: products.csv, key: "{{ sku }}" }
    stages:
      hero:
        generate: { from: products, provider: local, model: placeholder-v1, prompt: "{{ name }}", size: 16x16, output: "hero/{{ sku }}.png" }
      shout:
        echo: { from: hero, text: "{{ name }} at {{ hero.path }}", retry: { attempts: 1 } }
      log:
        http: { from: shout, method: POST, url: "{{BASE}}/capture/log/{{ sku }}", json: { said: "{{ shout.text }}" } }
    """

    @Test func aKindRegisteredByATestValidatesPlansAndRuns() async throws {
        // Without the registration the key is unknown, with a did-you-mean from the built-in kinds.
        let yaml = Self.echoPipeline.replacingOccurrences(of: "{{BASE}}", with: "http://127.0.0.1:9")
        let (unknown, _) = Fixtures.validate(yaml, files: ["products.csv": RunHarness.products(2)])
        #expect(Fixtures.lines(unknown).contains { $0.contains("'echo'") })

        let (outcome, _) = Fixtures.validate(yaml, files: ["products.csv": RunHarness.products(2)], registry: Self.registry)
        #expect(Fixtures.lines(outcome) == [])
        let report = PlanBuilder(pipeline: try #require(outcome.pipeline), diagnostics: outcome.diagnostics).build()
        #expect(report.stages.map { $0.items } == [2, 2, 2])
        #expect(report.stages[1].samples.first?.lines.first?.value == "Product 1 at out/hero/P1.png")

        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let dir = Fixtures.temporaryDirectory()
        let files = ["products.csv": "sku,name\nP1,Mug\nP2,fail me\n"]
        let run = try await RunHarness.run(Self.echoPipeline, files: files, server: emulator, directory: dir, ledger: true, registry: Self.registry)
        #expect(run.stage("shout").succeeded == 1 && run.stage("shout").failed[FailureClass.server_error] == 1)
        #expect(run.stage("log").succeeded == 1 && run.stage("log").skipped == 1)
        #expect(emulator.stats.captured.map(\.body) == [#"{"said":"MUG AT OUT/HERO/P1.PNG"}"#])
        // The ledger knows the new kind's work like any other's.
        let again = try await RunHarness.run(Self.echoPipeline, server: emulator, directory: dir, ledger: true, registry: Self.registry)
        #expect(again.stage("shout").cached == 1)
        #expect(again.stage("log").cached == 1)
        #expect(emulator.stats.captured.count == 1)
    }

    static let requests = """
    version: 1
    name: requests-test
    providers:
      local: { kind: placeholder }
    sources:
      products: { csv: products.csv, key: "{{ sku }}" }
    stages:
      hero:
        generate: { from: products, provider: local, model: placeholder-v1, prompt: "{{ name }}", size: 16x16, output: "hero/{{ sku }}.png" }
      create:
        http: { from: hero, method: POST, url: "{{BASE}}/capture/cms/items", json: { image: "{{ hero.path }}", sha: "{{ hero.sha256 }}" } }
      link:
        http: { from: create, method: PUT, url: "{{BASE}}/capture/cms/items/{{ create.json.id }}" }
    """

    /// `plan` never counted cached uploads and requests: it said "0 cached, 3 to run".
    @Test func planCountsCachedRequestsAsARunSkipsThem() async throws {
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let dir = Fixtures.temporaryDirectory()
        let first = try await RunHarness.run(Self.requests, files: ["products.csv": RunHarness.products(3)], server: emulator, directory: dir, ledger: true)
        #expect(first.result.allSucceeded)
        let yaml = Self.requests.replacingOccurrences(of: "{{BASE}}", with: emulator.baseURL)
        let (outcome, _) = Fixtures.validate(yaml, directory: dir)
        let pipeline = try #require(outcome.pipeline)
        let snapshot = try #require(try Ledger.existing(path: Ledger.defaultPath(for: pipeline))).successes()
        let plan = PlanBuilder(pipeline: pipeline, diagnostics: outcome.diagnostics, cache: snapshot, ledgerPath: "ledger").build()
        #expect(plan.stages.map(\.cached) == [3, 3, 3])
        let again = try await RunHarness.run(Self.requests, server: emulator, directory: dir, ledger: true)
        #expect(again.result.stages.map(\.cached) == [3, 3, 3])
    }

    /// `--only` recorded a reasoned skip for image stages but dropped uploads and requests silently.
    @Test func onlySaysWhyAnUnfinishedRequestUpstreamDidNotRun() async throws {
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let dir = Fixtures.temporaryDirectory()
        var heroOnly = RunOptions()
        heroOnly.only = "hero"
        _ = try await RunHarness.run(Self.requests, files: ["products.csv": RunHarness.products(2)], server: emulator, directory: dir, ledger: true,
                                     options: heroOnly)
        var linkOnly = RunOptions()
        linkOnly.only = "link"
        let run = try await RunHarness.run(Self.requests, server: emulator, directory: dir, ledger: true, options: linkOnly)
        #expect(run.stage("hero").cached == 2)
        let skipped = run.lines(stage: "create")
        #expect(skipped.count == 2)
        #expect(skipped.allSatisfy { $0["status"] as? String == "skipped" && ($0["message"] as? String)?.contains("not run (--only link)") == true })
        #expect(emulator.stats.captured.isEmpty)
    }

    /// A call stopped while waiting for its rate-limit turn kept its budget reservation.
    @Test func aStopBeforeTheFirstAttemptGivesItsBudgetBack() async throws {
        let yaml = """
        version: 1
        name: budget-leak
        budget: { max_usd: 100 }
        providers:
          local: { kind: placeholder, rate_limit: { requests_per_second: 4 }, prices: { placeholder-v1: 0.25 } }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate: { from: products, provider: local, model: placeholder-v1, prompt: "{{ name }}", size: 16x16, output: "hero/{{ sku }}.png", concurrency: 8 }
        """
        let control = RunControl()
        let stopper = Task {
            try await Task.sleep(for: .milliseconds(600))
            control.stop(.interrupted)
        }
        // 25 s of work at 4 a second: the stop comes first however late a loaded machine wakes the stopper.
        let run = try await RunHarness.run(yaml, files: ["products.csv": RunHarness.products(100)], control: control)
        _ = try? await stopper.value
        #expect(run.stage("hero").succeeded < 100)
        #expect(run.budgetReserved == 0)
        #expect(abs(run.result.spentUSD - 0.25 * Double(run.stage("hero").succeeded)) < 1e-9)
    }
}

/// Providers as components: a kind registered by a test is validated, priced and run, and its
/// own settings decide its fingerprints.
@Suite struct ProviderComponentTests {
    static let registry = ComponentRegistry(stageKinds: ComponentRegistry.builtIn.stageKinds,
                                            providerKinds: ComponentRegistry.builtIn.providerKinds + [Tinted()])

    static func pipeline(tint: String) -> String {
        """
        version: 1
        name: tinted-test
        budget: { max_usd: 1 }
        providers:
          paint: { kind: tinted, tint: \(tint) }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate: { from: products, provider: paint, model: tinted-v1, prompt: "{{ name }}", size: 16x16, output: "hero/{{ sku }}.png" }
        """
    }

    @Test func aProviderRegisteredByATestIsCheckedPricedAndRun() async throws {
        let files = ["products.csv": RunHarness.products(3)]
        let (unknown, _) = Fixtures.validate(Self.pipeline(tint: "red"), files: files)
        #expect(Fixtures.lines(unknown).contains { $0.contains("'tinted'") })
        let (missing, _) = Fixtures.validate(Self.pipeline(tint: "red").replacingOccurrences(of: ", tint: red", with: ""), files: files,
                                             registry: Self.registry)
        #expect(Fixtures.lines(missing).contains { $0.contains("tint") })

        let (outcome, _) = Fixtures.validate(Self.pipeline(tint: "red"), files: files, registry: Self.registry)
        #expect(Fixtures.lines(outcome) == [])
        let report = PlanBuilder(pipeline: try #require(outcome.pipeline), diagnostics: outcome.diagnostics).build()
        #expect(abs(report.totalCostUSD - 0.06) < 1e-9)
        #expect(report.stages.first?.priceSource == "test table")

        let dir = Fixtures.temporaryDirectory()
        let red = try await RunHarness.run(Self.pipeline(tint: "red"), files: files, directory: dir, ledger: true, registry: Self.registry)
        #expect(red.stage("hero").succeeded == 3)
        #expect(abs(red.result.spentUSD - 0.06) < 1e-9)
        let again = try await RunHarness.run(Self.pipeline(tint: "red"), directory: dir, ledger: true, registry: Self.registry)
        #expect(again.stage("hero").cached == 3)
        let blue = try await RunHarness.run(Self.pipeline(tint: "blue"), directory: dir, ledger: true, registry: Self.registry)
        #expect(blue.stage("hero").succeeded == 3)
        #expect(red.manifest.first?["sha256"] as? String != blue.manifest.first?["sha256"] as? String)
    }
}
