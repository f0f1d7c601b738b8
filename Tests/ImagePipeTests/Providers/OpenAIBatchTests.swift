import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipePlan
import ImagePipeEmulator

/// `batch:` on an OpenAI stage against the emulator's Files and Batches API over loopback: one
/// upload and one batch for the stage's items, half the price, results joined on custom_id in
/// any order, failed lines sent again in a new batch, and `--no-wait` then a run that collects.
@Suite struct OpenAIBatchTests {
    static func yaml(batch: String = "batch: { poll_interval: 200ms }") -> String {
        """
        version: 1
        name: batch-test
        providers:
          oa: { kind: openai, base_url: "{{BASE}}/v1", api_key: batch-test-key }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate:
              from: products
              provider: oa
              model: gpt-image-1
              prompt: "{{ name }}"
              size: 1024x1024
              output: "hero/{{ sku }}.png"
              retry: { attempts: 3, initial: 10ms, jitter: none }
              \(batch)
        """
    }

    static func emulator(batchTime: Double = 0.5) -> EmulatorConfiguration {
        var configuration = EmulatorConfiguration()
        configuration.apiKey = "batch-test-key"
        configuration.batchTime = batchTime
        configuration.labels = false
        return configuration
    }

    /// 200 items (1,000 in the note's figure, by `imagepipe run` against `imagepipe emulate`: the
    /// suite runs this beside timing-sensitive tests).
    @Test func itemsGoInOneBatchAtHalfPrice() async throws {
        let run = try await RunHarness.run(Self.yaml(), files: ["products.csv": RunHarness.products(200)], emulator: Self.emulator())
        let seen = try #require(run.emulator)
        #expect(run.stage("hero").succeeded == 200, "\(run.lines(stage: "hero").prefix(3).map { $0["message"] ?? "" })")
        #expect(seen.batches.uploads == 1 && seen.batches.creations == 1 && seen.batches.lines == 200)
        #expect(seen.byPrompt.count == 200 && seen.byPrompt.values.allSatisfy { $0 == 1 })
        #expect(run.lines(stage: "hero").allSatisfy { $0["cost_usd"] as? Double == 0.021 })
        #expect(abs(run.result.spentUSD - 4.2) < 1e-6)
        let bytes = try #require(FileManager.default.contents(atPath: run.directory.appendingPathComponent("out/hero/P150.png").path))
        #expect(throws: Never.self) { try ImageInspector.inspect(Array(bytes)) }
    }

    /// Two items with the same prompt have the same fingerprint: their lines still get their own custom ids.
    @Test func itemsWithTheSamePromptKeepTheirOwnLines() async throws {
        let csv = "sku,name\nA1,Red mug\nA2,Red mug\nA3,Red mug\n"
        let run = try await RunHarness.run(Self.yaml(), files: ["products.csv": csv], emulator: Self.emulator(batchTime: 0.3))
        #expect(run.stage("hero").succeeded == 3, "\(run.lines(stage: "hero"))")
        #expect(run.emulator?.batches.lines == 3 && run.emulator?.batches.creations == 1)
    }

    @Test func failedLinesGoIntoANewBatch() async throws {
        let csv = "sku,name\nA1,Red mug\nB2,[[fail:500x1]] Blue mug\nC3,[[block]] Green mug\nD4,Grey mug\n"
        let run = try await RunHarness.run(Self.yaml(), files: ["products.csv": csv], emulator: Self.emulator(batchTime: 0.3))
        let lines = Dictionary(run.lines(stage: "hero").map { ($0["key"] as! String, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(lines["B2"]?["status"] as? String == "succeeded" && lines["B2"]?["attempts"] as? Int == 2, "\(String(describing: lines["B2"]))")
        #expect(lines["C3"]?["failure_class"] as? String == "content_policy")
        #expect(lines["A1"]?["status"] as? String == "succeeded" && lines["D4"]?["status"] as? String == "succeeded")
        let seen = try #require(run.emulator)
        #expect(seen.batches.creations == 2 && seen.batches.lines == 5)
    }

    /// 5 of 100 lines fail inside the batch: those 5, and only those, go in a second batch.
    @Test func onlyTheFailedLinesGoInTheNextBatch() async throws {
        var csv = "sku,name\n"
        for n in 0..<100 { csv += "P\(n),\(n % 20 == 7 ? "[[fail:500x1]] " : "")Mug \(n)\n" }
        let run = try await RunHarness.run(Self.yaml(), files: ["products.csv": csv], emulator: Self.emulator(batchTime: 0.3))
        let lines = run.lines(stage: "hero")
        #expect(run.stage("hero").succeeded == 100, "\(lines.filter { $0["status"] as? String != "succeeded" })")
        let again = lines.filter { $0["attempts"] as? Int == 2 }.compactMap { $0["key"] as? String }.sorted()
        #expect(again == ["P27", "P47", "P67", "P7", "P87"], "\(again)")
        #expect(lines.filter { $0["attempts"] as? Int == 1 }.count == 95)
        let seen = try #require(run.emulator)
        #expect(seen.batches.creations == 2 && seen.batches.lines == 105, "\(seen.batches)")
    }

    /// A batch that expires with some lines unfinished: those (only those) go in a new batch, and
    /// the manifest's history says the window ran out.
    @Test func anExpiredBatchsUnfinishedLinesGoInANewOne() async throws {
        let csv = "sku,name\nA1,Red mug\nB2,[[expire]] Blue mug\nC3,Green mug\n"
        let run = try await RunHarness.run(Self.yaml(), files: ["products.csv": csv], emulator: Self.emulator(batchTime: 0.3))
        let lines = Dictionary(run.lines(stage: "hero").map { ($0["key"] as! String, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(run.stage("hero").succeeded == 3, "\(lines)")
        #expect(lines["A1"]?["attempts"] as? Int == 1 && lines["C3"]?["attempts"] as? Int == 1)
        #expect(lines["B2"]?["attempts"] as? Int == 2, "\(String(describing: lines["B2"]))")
        let history = lines["B2"]?["retries"] as? [[String: Any]] ?? []
        #expect(history.first?["class"] as? String == "timeout", "\(history)")
        #expect((history.first?["message"] as? String ?? "").contains("batch_expired"), "\(history)")
        let seen = try #require(run.emulator)
        #expect(seen.batches.creations == 2 && seen.batches.lines == 4)
    }

    /// An expired item is sent again once, whatever the retry policy says (the window ran out, not
    /// the request): with no retries at all it is still sent in a new batch, and an item that
    /// expires twice is not sent a third time.
    @Test func anExpiredItemIsSentAgainOnceOnly() async throws {
        let yaml = Self.yaml().replacingOccurrences(of: "retry: { attempts: 3, initial: 10ms, jitter: none }", with: "retry: { attempts: 1 }")
        var configuration = Self.emulator(batchTime: 0.3)
        configuration.batchTime = 0.3
        let csv = "sku,name\nA1,[[expire]] Red mug\n"
        let run = try await RunHarness.run(yaml, files: ["products.csv": csv], emulator: configuration)
        let line = try #require(run.lines(stage: "hero").first)
        #expect(line["status"] as? String == "succeeded" && line["attempts"] as? Int == 2, "\(line)")

        let twice = try await RunHarness.run(Self.yaml(), files: ["products.csv": "sku,name\nB2,[[expire:2]] Blue mug\n"], emulator: configuration)
        let failed = try #require(twice.lines(stage: "hero").first)
        #expect(failed["status"] as? String == "failed" && failed["failure_class"] as? String == "timeout" && failed["attempts"] as? Int == 2, "\(failed)")
        #expect((failed["message"] as? String ?? "").contains("not sent a third time"), "\(failed)")
        #expect(twice.emulator?.batches.creations == 2)
    }

    /// Lines wait parked, not in tasks holding the run's admission: with room for 4 items in
    /// flight, 120 items go in one batch (in a few on a loaded machine that pauses past the
    /// collector's quiet spell; waiting in their tasks, no batch could hold more than 4), and
    /// each image flows downstream once it is back.
    @Test func parkedLinesHoldNoRoomInFlight() async throws {
        var options = RunOptions()
        options.itemsInFlight = 4
        let yaml = Self.yaml() + """

              thumb:
                transform: { from: hero, resize: { width: 16, height: 16, fit: cover }, format: png, output: "thumb/{{ sku }}.png" }
            """
        let run = try await RunHarness.run(yaml, files: ["products.csv": RunHarness.products(120)], emulator: Self.emulator(batchTime: 0.3), options: options)
        #expect(run.stage("hero").succeeded == 120 && run.stage("thumb").succeeded == 120, "\(run.lines(stage: "hero").prefix(2))")
        let seen = try #require(run.emulator)
        #expect(seen.batches.lines == 120 && seen.batches.creations < 10, "\(seen.batches)")
        let thumb = try #require(FileManager.default.contents(atPath: run.directory.appendingPathComponent("out/thumb/P77.png").path))
        #expect(try ImageInspector.inspect(Array(thumb)).width == 16)
    }

    /// A budget that fits 5 lines, 30 items and room for 4 in flight: items waiting for the budget
    /// hold the run's admission, and the reservations they wait for are parked units'. Woken under
    /// that same admission, the run used to hang; woken in the lot's own window, it ends.
    @Test(.timeLimit(.minutes(1))) func aBudgetFullOfParkedReservationsNeverHangs() async throws {
        var options = RunOptions()
        options.itemsInFlight = 4
        let yaml = Self.yaml().replacingOccurrences(of: "api_key: batch-test-key }", with: "api_key: batch-test-key, prices: { gpt-image-1: 0.1 } }")
            .replacingOccurrences(of: "name: batch-test\n", with: "name: batch-test\nbudget: { max_usd: 0.25 }\n")
        let run = try await RunHarness.run(yaml, files: ["products.csv": RunHarness.products(30)], emulator: Self.emulator(batchTime: 0.3), options: options)
        #expect(run.stage("hero").succeeded == 5, "\(run.lines(stage: "hero").prefix(3))")
        #expect(abs(run.result.spentUSD - 0.25) < 1e-9)
        // The items that waited for room are cut off by the budget; the stream stopped there.
        #expect(run.stage("hero").failedCount == 0 && run.result.stopReason == .budget)
        #expect(run.lines(stage: "hero").filter { ($0["message"] as? String ?? "").contains("budget") }.count >= 1)
    }

    /// Stopped while its batch runs (without --cancel-remote), an item is pending remotely: the
    /// next run collects it, and the summary and notifications count it so.
    @Test func aStoppedRunLeavesItsItemsPendingRemotely() async throws {
        let emulator = Emulator(configuration: Self.emulator(batchTime: 0.2), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        emulator.stats.batches.hold(true)
        let control = RunControl()
        let stopper = Task {
            await Wait.until("the batch is created") { emulator.stats.snapshot.batches.creations == 1 }
            try? await Task.sleep(for: .milliseconds(300))
            control.stop(.interrupted)
        }
        let run = try await RunHarness.run(Self.yaml(), files: ["products.csv": RunHarness.products(6)], server: emulator, control: control)
        await stopper.value
        #expect(run.stage("hero").submitted == 6, "\(run.lines(stage: "hero"))")
        #expect(run.lines(stage: "hero").allSatisfy { $0["status"] as? String == "submitted" && ($0["message"] as? String ?? "").contains("the next run collects it") })
    }

    /// `max_requests` splits a stage's items into batches of at most that many lines (as 50,000
    /// splits 60,000 items into 2 in the note's figure), each its own input file.
    @Test func aBatchHoldsAtMostMaxRequestsLines() async throws {
        let run = try await RunHarness.run(Self.yaml(batch: "batch: { max_requests: 30, poll_interval: 200ms }"),
                                           files: ["products.csv": RunHarness.products(70)], emulator: Self.emulator(batchTime: 0.3))
        #expect(run.stage("hero").succeeded == 70)
        let seen = try #require(run.emulator)
        #expect(seen.batches.uploads == 3 && seen.batches.creations == 3 && seen.batches.lines == 70, "\(seen.batches)")
        #expect(run.result.batches.first?.batches == 3)
    }

    /// A regeneration (`on_check_failure: regenerate`) in batch mode waits parked with its item and
    /// goes in a new batch: every image refused by the checks is paid and counted.
    @Test func aRegenerationGoesInANewBatch() async throws {
        let batch = "batch: { poll_interval: 200ms }\n      checks: { min_width: 2048 }\n      on_check_failure: regenerate\n      max_regenerations: 1"
        let run = try await RunHarness.run(Self.yaml(batch: batch), files: ["products.csv": RunHarness.products(8)], emulator: Self.emulator(batchTime: 0.3))
        let lines = run.lines(stage: "hero")
        #expect(lines.count == 8 && lines.allSatisfy { $0["failure_class"] as? String == "check_failed" }, "\(lines.prefix(2))")
        #expect(lines.allSatisfy { abs(($0["cost_usd"] as? Double ?? 0) - 0.042) < 1e-9 }, "\(lines.prefix(2))")
        #expect(run.emulator?.batches.creations == 2 && run.emulator?.batches.lines == 16)
    }

    /// Detached units are made again from their rows when the batch ends. A row edited meanwhile
    /// makes another request: the old image is not kept as its result. A row deleted meanwhile
    /// cannot be made again: a warning, and its line is left for the next run. The rest finish.
    @Test func rowsChangedWhileTheBatchRanAreNotMistaken() async throws {
        let emulator = Emulator(configuration: Self.emulator(batchTime: 0.2), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        emulator.stats.batches.hold(true)
        let dir = Fixtures.temporaryDirectory()
        let editor = Task {
            await Wait.until("the batch is created") { emulator.stats.snapshot.batches.creations == 1 }
            let csv = "sku,name\nA1,Red mug\nB2,Blue mug with a new prompt\nD4,Grey mug\n"
            try? csv.write(to: dir.appendingPathComponent("products.csv"), atomically: true, encoding: .utf8)
            emulator.stats.batches.hold(false)
        }
        let csv = "sku,name\nA1,Red mug\nB2,Blue mug\nC3,Green mug\nD4,Grey mug\n"
        let run = try await RunHarness.run(Self.yaml(), files: ["products.csv": csv], server: emulator, directory: dir)
        await editor.value
        let lines = Dictionary(run.lines(stage: "hero").map { ($0["key"] as! String, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(lines["A1"]?["status"] as? String == "succeeded" && lines["D4"]?["status"] as? String == "succeeded", "\(lines)")
        #expect(lines["B2"]?["status"] as? String == "cancelled" && (lines["B2"]?["message"] as? String ?? "").contains("row changed"), "\(lines)")
        #expect(lines["C3"] == nil)
        #expect(run.warnings.contains { $0.contains("could not be read again") }, "\(run.warnings)")
        #expect(run.stage("hero").inFlight == 0)
    }

    @Test func batchIsRefusedWhereNoBatchAPIIsDriven() {
        let placeholder = """
        version: 1
        name: batch-refused
        providers:
          local: { kind: placeholder }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate: { from: products, provider: local, model: any, prompt: "{{ name }}", output: "hero/{{ sku }}.png", batch: true }
        """
        let (checked, _) = Fixtures.validate(placeholder, files: ["products.csv": "sku,name\nA1,Mug\n"])
        #expect(Fixtures.lines(checked).contains { $0.contains("pipeline.yaml:9:") && $0.contains("has no batch API imagepipe drives") }, "\(Fixtures.lines(checked))")
        let edit = Self.yaml(batch: "batch: true").replacingOccurrences(of: "{{BASE}}", with: "http://127.0.0.1:9") + """

              lifestyle:
                edit: { from: hero, provider: oa, model: gpt-image-1, prompt: "on a table", output: "l/{{ sku }}.png", batch: true }
            """
        let (checkedEdit, _) = Fixtures.validate(edit, files: ["products.csv": "sku,name\nA1,Mug\n"])
        #expect(Fixtures.lines(checkedEdit).contains { $0.contains("an edit's input image cannot go in a batch") }, "\(Fixtures.lines(checkedEdit))")
    }

    /// An emulator whose batches are held (still running at every look, however slow the
    /// machine, until released), and the options of a run that does not wait.
    static func heldBatches() async throws -> (Emulator, RunOptions) {
        let emulator = Emulator(configuration: Self.emulator(batchTime: 0.2), threads: 1)
        try await emulator.start()
        emulator.stats.batches.hold(true)
        var options = RunOptions()
        options.noWait = true
        return (emulator, options)
    }

    @Test func noWaitLeavesWithExit3AndTheNextRunCollects() async throws {
        let (emulator, options) = try await Self.heldBatches()
        defer { Task { await emulator.stop() } }
        let dir = Fixtures.temporaryDirectory()
        let first = try await RunHarness.run(Self.yaml(), files: ["products.csv": RunHarness.products(20)], server: emulator, directory: dir, ledger: true,
                                             options: options)
        #expect(first.ending == .pendingRemotely && first.ending.exitCode == 3)
        #expect(first.stage("hero").submitted == 20)
        // Once the batch has ended, even a run that does not wait collects it.
        emulator.stats.batches.hold(false)
        try await Task.sleep(for: .seconds(0.3))
        let second = try await RunHarness.run(Self.yaml(), files: ["products.csv": RunHarness.products(20)], server: emulator, directory: dir, ledger: true,
                                              options: options)
        #expect(second.ending == .succeeded, "\(second.lines(stage: "hero").prefix(2))")
        #expect(second.stage("hero").succeeded == 20)
        #expect(emulator.stats.snapshot.batches.creations == 1, "no batch was created twice")
        #expect(emulator.stats.snapshot.byPrompt.values.allSatisfy { $0 == 1 })
    }

    /// A run that does not wait, on a batch still running, gives up on it after one look while
    /// its items are still attaching: every item is pending again (none lost, none sent again),
    /// and the run after the batch ended collects them all.
    @Test func aCollectingRunThatDoesNotWaitLeavesEveryItemPending() async throws {
        let (emulator, options) = try await Self.heldBatches()
        defer { Task { await emulator.stop() } }
        let dir = Fixtures.temporaryDirectory()
        let files = ["products.csv": RunHarness.products(300)]
        let first = try await RunHarness.run(Self.yaml(), files: files, server: emulator, directory: dir, ledger: true, options: options)
        #expect(first.ending == .pendingRemotely && first.stage("hero").submitted == 300)
        let second = try await RunHarness.run(Self.yaml(), files: files, server: emulator, directory: dir, ledger: true, options: options)
        #expect(second.ending == .pendingRemotely, "\(second.lines(stage: "hero").prefix(2))")
        #expect(second.stage("hero").submitted == 300)
        emulator.stats.batches.hold(false)
        try await Task.sleep(for: .seconds(0.3))
        let third = try await RunHarness.run(Self.yaml(), files: files, server: emulator, directory: dir, ledger: true, options: options)
        #expect(third.ending == .succeeded && third.stage("hero").succeeded == 300, "\(third.lines(stage: "hero").prefix(2))")
        #expect(emulator.stats.snapshot.batches.creations == 1 && emulator.stats.snapshot.batches.lines == 300)
    }
}

/// The batch as processes use it: `kill -9` right after the batch is created, and the next run
/// collects it without creating another.
@Suite struct OpenAIBatchAfterACrashTests {
    /// Runs `imagepipe run` on `yaml` (its `{{BASE}}` the emulator's), kills it once its batch is
    /// created and recorded, checks `status` names the pending batch, lets the batch end, and
    /// runs again. Shared with Gemini's test.
    static func killAfterCreationThenRunAgain(_ yaml: String, ledger: String, items: Int) async throws -> (EmulatorStats.Snapshot, URL) {
        let emulator = Emulator(configuration: OpenAIBatchTests.emulator(batchTime: 0.5), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        // Held until the kill: however late this test wakes, the batch is still running then.
        emulator.stats.batches.hold(true)
        let dir = try RunCommandTests.folder(yaml.replacingOccurrences(of: "{{BASE}}", with: emulator.baseURL), csv: RunHarness.products(items))
        let scratch = Fixtures.temporaryDirectory()
        let first = try CLIProcess(["run", "--progress", "none", "pipeline.yaml"], in: dir, environment: ["TMPDIR": scratch.path])
        let ledgerPath = dir.appendingPathComponent(".imagepipe/\(ledger).sqlite").path
        await Wait.until("the batch is created and recorded", timeout: 60) {
            guard emulator.stats.snapshot.batches.creations == 1,
                  let status = try? Ledger(path: ledgerPath, readOnly: true).status(stageOrder: ["hero"]) else { return false }
            return status.batches.first?.batchID != nil
        }
        first.signal(SIGKILL)
        _ = await first.wait()
        let status = try await CLIProcess.run(["status", "pipeline.yaml"], in: dir)
        #expect(status.stdout.contains("pending batch ") && status.stdout.contains("stage hero, \(items) items"), "\(status.stdout)")
        emulator.stats.batches.hold(false)
        let second = try await CLIProcess.run(["run", "--progress", "none", "pipeline.yaml"], in: dir, environment: ["TMPDIR": scratch.path])
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
        // The killed run's scratch folder (its spooled input) went with the next run.
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasPrefix(ScratchFolder.prefix) }
        #expect(left.isEmpty, "scratch folders left: \(left)")
        return (emulator.stats.snapshot, dir)
    }

    @Test func aKilledRunsBatchIsCollectedWithoutANewOne() async throws {
        let (seen, dir) = try await Self.killAfterCreationThenRunAgain(OpenAIBatchTests.yaml(), ledger: "batch-test", items: 50)
        #expect(seen.batches.creations == 1 && seen.batches.lines == 50)
        #expect(seen.byPrompt.values.allSatisfy { $0 == 1 })
        #expect(try RunCommandTests.checkImages(in: dir) == 50)
    }
}

/// A batch's input is spooled under TMPDIR: on a full disk there, the run stops as for any full
/// disk (exit 4, the disk named), no batch is created from a broken file, and nothing is paid.
@Suite struct BatchSpoolOnAFullDiskTests {
    @Test func aFullSpoolDiskStopsTheRun() async throws {
        let emulator = Emulator(configuration: OpenAIBatchTests.emulator(batchTime: 0.3), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let yaml = OpenAIBatchTests.yaml().replacingOccurrences(of: "{{BASE}}", with: emulator.baseURL)
        // 200 lines of ~20 KB: 4 MB of input for a 1 MB disk.
        var csv = "sku,name\n"
        for n in 0..<200 { csv += "P\(n),Mug \(n) \(String(repeating: "x", count: 20_000))\n" }
        let dir = try RunCommandTests.folder(yaml, csv: csv)
        let disk = try SmallDisk(megabytes: 1, in: dir)
        defer { disk.unmount() }
        let run = try await CLIProcess.run(["run", "--progress", "none", "pipeline.yaml"], in: dir, environment: ["TMPDIR": disk.url.path])
        #expect(run.status == ExitStatus.localFault, "exit \(run.status): \(run.stdout.suffix(1500))\n\(run.stderr.suffix(500))")
        #expect(run.stdout.contains("is full"), "\(run.stdout.suffix(1500))")
        #expect(!run.stdout.contains("Fatal error"))
        #expect(emulator.stats.snapshot.batches.creations == 0 && emulator.stats.snapshot.requests == 0)
    }

    /// Results that do not fit on the disk stop the run as a full disk (they were downloaded again
    /// and again, for ever, as if the network had failed); the batch's lines stay in the ledger,
    /// and once there is room the next run collects them without a new batch.
    @Test func resultsThatDoNotFitStopTheRunAndTheNextRunCollectsThem() async throws {
        let emulator = Emulator(configuration: OpenAIBatchTests.emulator(batchTime: 0.3), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        emulator.stats.batches.hold(true)
        let yaml = OpenAIBatchTests.yaml().replacingOccurrences(of: "{{BASE}}", with: emulator.baseURL)
        let items = 50
        let dir = try RunCommandTests.folder(yaml, csv: RunHarness.products(items))
        let disk = try SmallDisk(megabytes: 1, in: dir)
        defer { disk.unmount() }
        let first = try CLIProcess(["run", "--progress", "none", "pipeline.yaml"], in: dir, environment: ["TMPDIR": disk.url.path])
        await Wait.until("the batch is created", timeout: 60) { emulator.stats.snapshot.batches.creations == 1 }
        // While the batch runs, something else fills the disk.
        let filler = disk.url.appendingPathComponent("filler")
        FileManager.default.createFile(atPath: filler.path, contents: nil)
        let handle = try FileHandle(forWritingTo: filler)
        while (try? handle.write(contentsOf: Data(count: 64 << 10))) != nil {}
        try handle.close()
        emulator.stats.batches.hold(false)
        let status = await first.wait(timeout: 60)
        #expect(status == ExitStatus.localFault, "exit \(status): \(first.stdout.suffix(1500))\n\(first.stderr.suffix(500))")
        #expect(first.stdout.contains("is full"), "\(first.stdout.suffix(1500))")
        try FileManager.default.removeItem(at: filler)
        let second = try await CLIProcess.run(["run", "--progress", "none", "pipeline.yaml"], in: dir, environment: ["TMPDIR": disk.url.path])
        #expect(second.status == 0, "exit \(second.status): \(second.stdout.suffix(1500))\n\(second.stderr.suffix(500))")
        let seen = emulator.stats.snapshot
        #expect(seen.batches.creations == 1 && seen.batches.lines == items, "\(seen.batches)")
        #expect(try RunCommandTests.checkImages(in: dir) == items)
    }
}
