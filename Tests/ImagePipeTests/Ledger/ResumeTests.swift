import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan
import ImagePipeEmulator

/// Re-runs against the ledger: finished work is never paid for twice, changed work always runs.
@Suite struct ResumeTests {
    static func pipeline(hero: String = "Photo of {{ name }}", edit: String? = nil, output: String = "hero/{{ sku }}.png", attempts: Int = 2) -> String {
        var yaml = """
        version: 1
        name: resume-test
        providers:
          p: { kind: openai, base_url: "{{BASE}}/v1", api_key: test-key-123456 }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate:
              from: products
              provider: p
              model: gpt-image-1
              prompt: "\(hero)"
              size: 64x64
              output: \(output)
              retry: { attempts: \(attempts), initial: 10ms }
        """
        if let edit {
            yaml += """

              touch_up:
                edit:
                  from: hero
                  provider: p
                  model: gpt-image-1
                  prompt: "\(edit)"
                  output: edited/{{ sku }}.png
            """
        }
        return yaml
    }

    static func server() async throws -> Emulator {
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        return emulator
    }

    @Test func aSecondRunPaysForNothing() async throws {
        let emulator = try await Self.server()
        defer { Task { await emulator.stop() } }
        let dir = Fixtures.temporaryDirectory()
        let first = try await RunHarness.run(Self.pipeline(edit: "Brighter {{ hero.prompt }}"), files: ["products.csv": RunHarness.products(5)],
                                             server: emulator, directory: dir, ledger: true)
        #expect(first.result.allSucceeded)
        #expect(emulator.stats.snapshot.requests == 10)
        let second = try await RunHarness.run(Self.pipeline(edit: "Brighter {{ hero.prompt }}"), server: emulator, directory: dir, ledger: true)
        #expect(second.result.allSucceeded)
        #expect(emulator.stats.snapshot.requests == 10)
        #expect(second.stage("hero").cached == 5 && second.stage("touch_up").cached == 5)
        #expect(second.manifest.allSatisfy { $0["status"] as? String == "cached" && ($0["sha256"] as? String)?.count == 64 })
    }

    @Test func changingATemplateRerunsOnlyWhatItFeeds() async throws {
        let emulator = try await Self.server()
        defer { Task { await emulator.stop() } }
        let dir = Fixtures.temporaryDirectory()
        _ = try await RunHarness.run(Self.pipeline(edit: "Brighter"), files: ["products.csv": RunHarness.products(4)], server: emulator, directory: dir, ledger: true)
        #expect(emulator.stats.snapshot.requests == 8)

        // The plan says beforehand what a run will do.
        let (outcome, _) = Fixtures.validate(Self.pipeline(edit: "Darker").replacingOccurrences(of: "{{BASE}}", with: emulator.baseURL), directory: dir)
        let pipeline = try #require(outcome.pipeline)
        let snapshot = try #require(try Ledger.existing(path: Ledger.defaultPath(for: pipeline))).successes()
        let plan = PlanBuilder(pipeline: pipeline, diagnostics: outcome.diagnostics, cache: snapshot, ledgerPath: "ledger").build()
        #expect(plan.stages.map(\.cached) == [4, 0])
        // Only the four edits are to pay for: gpt-image-1 at 1024x1024 or less, $0.042 each.
        #expect(plan.stages.map(\.toRun) == [0, 4])
        #expect(abs(plan.totalCostUSD - 4 * 0.042) < 1e-9, "\(plan.totalCostUSD)")

        let second = try await RunHarness.run(Self.pipeline(edit: "Darker"), server: emulator, directory: dir, ledger: true)
        #expect(second.stage("hero").cached == 4)
        #expect(second.stage("touch_up").succeeded == 4)
        #expect(emulator.stats.snapshot.requests == 12)

        // One row of data changes: only that item runs again, in both stages.
        try (RunHarness.products(4).replacingOccurrences(of: "P2,Product 2", with: "P2,Product 2 in red")).write(to: dir.appendingPathComponent("products.csv"), atomically: true, encoding: .utf8)
        let third = try await RunHarness.run(Self.pipeline(edit: "Darker"), server: emulator, directory: dir, ledger: true)
        #expect(third.stage("hero").cached == 3 && third.stage("hero").succeeded == 1)
        #expect(third.stage("touch_up").cached == 3 && third.stage("touch_up").succeeded == 1)
        #expect(emulator.stats.snapshot.requests == 14)
    }

    @Test func aMissingOrDamagedFileIsMadeAgain() async throws {
        let emulator = try await Self.server()
        defer { Task { await emulator.stop() } }
        let dir = Fixtures.temporaryDirectory()
        _ = try await RunHarness.run(Self.pipeline(), files: ["products.csv": RunHarness.products(3)], server: emulator, directory: dir, ledger: true)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("out/hero/P1.png"))
        // Same size, other bytes: only --verify notices.
        let p2 = dir.appendingPathComponent("out/hero/P2.png")
        var bytes = try Data(contentsOf: p2)
        bytes[bytes.count - 20] ^= 0xFF
        try bytes.write(to: p2)
        let plain = try await RunHarness.run(Self.pipeline(), server: emulator, directory: dir, ledger: true)
        #expect(plain.stage("hero").succeeded == 1 && plain.stage("hero").cached == 2)
        var options = RunOptions()
        options.verify = true
        let verified = try await RunHarness.run(Self.pipeline(), server: emulator, directory: dir, ledger: true, options: options)
        #expect(verified.stage("hero").succeeded == 1 && verified.stage("hero").cached == 2)
        #expect(emulator.stats.snapshot.requests == 5)
        #expect(try ImageInspector.inspect(Array(Data(contentsOf: p2))).format == .png)
    }

    @Test func aMovedOutputIsCopiedNotPaidForAgain() async throws {
        let emulator = try await Self.server()
        defer { Task { await emulator.stop() } }
        let dir = Fixtures.temporaryDirectory()
        _ = try await RunHarness.run(Self.pipeline(), files: ["products.csv": RunHarness.products(2)], server: emulator, directory: dir, ledger: true)
        let moved = try await RunHarness.run(Self.pipeline(output: "images/{{ sku }}.png"), server: emulator, directory: dir, ledger: true)
        #expect(moved.stage("hero").cached == 2)
        #expect(emulator.stats.snapshot.requests == 2)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/images/P1.png").path))
        // And the ledger knows the new place: removing the old file changes nothing.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("out/hero"))
        let again = try await RunHarness.run(Self.pipeline(output: "images/{{ sku }}.png"), server: emulator, directory: dir, ledger: true)
        #expect(again.stage("hero").cached == 2)
        #expect(emulator.stats.snapshot.requests == 2)
    }

    @Test func forceOnlyAndLimit() async throws {
        let emulator = try await Self.server()
        defer { Task { await emulator.stop() } }
        let dir = Fixtures.temporaryDirectory()
        var trial = RunOptions()
        trial.limit = 2
        let first = try await RunHarness.run(Self.pipeline(edit: "Brighter"), files: ["products.csv": RunHarness.products(5)], server: emulator,
                                             directory: dir, ledger: true, options: trial)
        #expect(first.stage("hero").succeeded == 2 && first.stage("touch_up").succeeded == 2)
        #expect(first.result.allSucceeded)

        var only = RunOptions()
        only.only = "hero"
        let heroes = try await RunHarness.run(Self.pipeline(edit: "Brighter"), server: emulator, directory: dir, ledger: true, options: only)
        #expect(heroes.stage("hero").succeeded == 3 && heroes.stage("hero").cached == 2)
        #expect(heroes.stage("touch_up").succeeded == 0)
        #expect(emulator.stats.snapshot.requests == 7)

        var force = RunOptions()
        force.forcedStages = ["touch_up"]
        let forced = try await RunHarness.run(Self.pipeline(edit: "Brighter"), server: emulator, directory: dir, ledger: true, options: force)
        #expect(forced.stage("hero").cached == 5 && forced.stage("touch_up").succeeded == 5)
        #expect(emulator.stats.snapshot.requests == 12)

        var onlyEdit = RunOptions()
        onlyEdit.only = "touch_up"
        onlyEdit.forceAll = true
        let edits = try await RunHarness.run(Self.pipeline(edit: "Brighter"), server: emulator, directory: dir, ledger: true, options: onlyEdit)
        // Forcing everything while running only the edit: its upstream has nothing to pass on.
        #expect(edits.stage("hero").skipped == 5)
        #expect(emulator.stats.snapshot.requests == 12)
    }

    @Test func retryFailedRunsOnlyWhatFailed() async throws {
        let emulator = try await Self.server()
        defer { Task { await emulator.stop() } }
        let dir = Fixtures.temporaryDirectory()
        let csv = "sku,name\nA,fine\nB,[[fail:500x2]] flaky\nC,also fine\n"
        let first = try await RunHarness.run(Self.pipeline(hero: "{{ name }}"), files: ["products.csv": csv], server: emulator, directory: dir, ledger: true)
        #expect(first.stage("hero").failed[.server_error] == 1)

        let ledger = try #require(try Ledger.existing(path: dir.appendingPathComponent(".imagepipe/resume-test.sqlite").path))
        let status = try ledger.status(stageOrder: ["hero"])
        #expect(status.stages.first?.succeeded == 2)
        #expect(status.stages.first?.failed["server_error"] == 1)
        #expect(status.failures.map(\.item) == ["B"])

        try csv.replacingOccurrences(of: "C,also fine", with: "C,also fine\nD,new").write(to: dir.appendingPathComponent("products.csv"), atomically: true, encoding: .utf8)
        var retry = RunOptions()
        retry.retryFailed = true
        let second = try await RunHarness.run(Self.pipeline(hero: "{{ name }}"), server: emulator, directory: dir, ledger: true, options: retry)
        #expect(second.stage("hero").succeeded == 1)
        // D is new, not failed: a retry leaves it for a normal run.
        #expect(emulator.stats.snapshot.byPrompt["new"] == nil)
        #expect(emulator.stats.snapshot.byPrompt["[[fail:500x2]] flaky"] == 3)
        #expect(try ledger.status(stageOrder: ["hero"]).failures.isEmpty)
    }

    /// A refused prompt was sent again on every normal re-run, which risks the account being
    /// flagged: now only with --retry-failed, or once the prompt changed.
    @Test func aRefusedPromptIsNotSentAgainUnchanged() async throws {
        let emulator = try await Self.server()
        defer { Task { await emulator.stop() } }
        let dir = Fixtures.temporaryDirectory()
        let files = ["products.csv": "sku,name\nP1,mug\nP2,[[block]] knife\n"]
        let first = try await RunHarness.run(Self.pipeline(), files: files, server: emulator, directory: dir, ledger: true)
        #expect(first.stage("hero").failed[FailureClass.content_policy] == 1)
        #expect(emulator.stats.snapshot.requests == 2)

        let second = try await RunHarness.run(Self.pipeline(), server: emulator, directory: dir, ledger: true)
        #expect(emulator.stats.snapshot.requests == 2, "the refused prompt was sent again")
        let line = try #require(second.lines(stage: "hero").first { $0["key"] as? String == "P2" })
        #expect(line["failure_class"] as? String == "content_policy")
        #expect((line["message"] as? String)?.contains("not sent again") == true)
        #expect(second.ending == .failed)

        var retry = RunOptions()
        retry.retryFailed = true
        _ = try await RunHarness.run(Self.pipeline(), server: emulator, directory: dir, ledger: true, options: retry)
        #expect(emulator.stats.snapshot.requests == 3)

        _ = try await RunHarness.run(Self.pipeline(hero: "Photo of {{ name }}, kitchen"), server: emulator, directory: dir, ledger: true)
        #expect(emulator.stats.snapshot.requests == 5, "a changed prompt is a new request (both items run again)")
    }

    /// After a full run, `--limit`, `--only` and `--retry-failed` left manifest.jsonl with only
    /// their own few lines. It is the current state of every (stage, item) now; each run's own
    /// lines go to runs/RUN_ID.jsonl.
    @Test func partialRunsKeepTheManifestWhole() async throws {
        let emulator = try await Self.server()
        defer { Task { await emulator.stop() } }
        let dir = Fixtures.temporaryDirectory()
        let yaml = Self.pipeline() + """

          log:
            http: { from: hero, method: POST, url: "{{BASE}}/capture/log/{{ sku }}", json: { image: "{{ hero.path }}" } }
        """
        let csv = "sku,name\n" + (1...10).map { "P\($0),\($0 == 4 ? "[[fail:500x2]] " : "")Product \($0)" }.joined(separator: "\n") + "\n"
        let full = try await RunHarness.run(yaml, files: ["products.csv": csv], server: emulator, directory: dir, ledger: true)
        #expect(full.stage("hero").succeeded == 9 && full.stage("hero").failed[FailureClass.server_error] == 1)
        #expect(full.current.count == 20)
        func states(_ run: RunHarness.Outcome) -> [String: String] {
            Dictionary(run.current.map { ("\($0["stage"]!) \($0["key"]!)", $0["status"] as! String) }, uniquingKeysWith: { a, _ in a })
        }
        #expect(states(full)["hero P4"] == "failed" && states(full)["log P4"] == "skipped")

        var limit = RunOptions()
        limit.limit = 3
        let limited = try await RunHarness.run(yaml, server: emulator, directory: dir, ledger: true, options: limit)
        #expect(limited.manifest.count == 6, "this run's own lines")
        #expect(limited.current.count == 20)
        #expect(FileManager.default.fileExists(atPath: limited.result.runManifestPath))
        #expect(limited.result.runManifestPath != full.result.runManifestPath)

        var only = RunOptions()
        only.only = "log"
        #expect(try await RunHarness.run(yaml, server: emulator, directory: dir, ledger: true, options: only).current.count == 20)

        var retry = RunOptions()
        retry.retryFailed = true
        let retried = try await RunHarness.run(yaml, server: emulator, directory: dir, ledger: true, options: retry)
        #expect(retried.current.count == 20)
        // The retried item is current: made now, and logged.
        #expect(states(retried)["hero P4"] == "succeeded" && states(retried)["log P4"] == "succeeded")
        #expect(retried.current.allSatisfy { $0["status"] as? String == "succeeded" })
    }
}
