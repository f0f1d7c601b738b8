import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipePlan
import ImagePipeEmulator

/// `kind: fal` and `kind: replicate` against the emulator's queues over loopback: jobs wait
/// remotely without slots, status requests that fail are asked again (never submitted again), a
/// job that fails is submitted again under the retry policy, and a killed run's jobs are
/// collected by the next run without a new submit.
@Suite struct QueuedProviderTests {
    static func yaml(kind: String = "fal", model: String = "fal-ai/bytedance/seedream/v4/text-to-image", provider: String = "",
                     concurrency: Int = 8, stage: String = "") -> String {
        let base = kind == "fal" ? "{{BASE}}/fal" : "{{BASE}}/v1"
        return """
        version: 1
        name: queued-test
        defaults: { timeout: 5s }
        providers:
          q: { kind: \(kind), base_url: "\(base)", api_key: queue-test-key, poll_interval: 200ms\(provider) }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate:
              from: products
              provider: q
              model: \(model)
              prompt: "{{ name }}"
              size: 64x64
              output: "hero/{{ sku }}.png"
              concurrency: \(concurrency)
              retry: { attempts: 3, initial: 10ms, jitter: none }
              \(stage)
        """
    }

    static func emulator(queueTime: Double) -> EmulatorConfiguration {
        var configuration = EmulatorConfiguration()
        configuration.apiKey = "queue-test-key"
        configuration.queueTime = queueTime
        configuration.labels = false
        return configuration
    }

    /// 100 items, 8 submits at a time, 10 s in the queue each: every job waits remotely at once,
    /// the emulator never sees more than 8 submits in flight, and status requests keep their pace
    /// (300 with 30 s of queue in the note's figure, from scripts/bench-queue).
    @Test func jobsWaitAtOnceWhileEightAreSubmitted() async throws {
        let began = ContinuousClock.now
        let run = try await RunHarness.run(Self.yaml(provider: ", poll_rate_limit: { requests_per_second: 100, burst: 10 }"),
                                           files: ["products.csv": RunHarness.products(100)], emulator: Self.emulator(queueTime: 10))
        let elapsed = (ContinuousClock.now - began).inSeconds
        let seen = try #require(run.emulator)
        #expect(run.stage("hero").succeeded == 100)
        #expect(seen.queue.submitted == 100 && seen.byPrompt.values.allSatisfy { $0 == 1 })
        #expect(seen.peakInFlight <= 8, "submits in flight: \(seen.peakInFlight)")
        // On an idle machine all 100 wait at once (submitting them takes well under the queue
        // time); on a busy one the first finish earlier. Either way far more than 8 wait at once.
        #expect(seen.queue.peakQueued >= 64, "peak queued \(seen.queue.peakQueued)")
        #expect(run.result.queues.first?.peakQueued ?? 0 >= 64)
        #expect(Double(seen.queue.polls) <= elapsed * 100 + 10 + 1, "\(seen.queue.polls) polls in \(elapsed) s")
        for line in run.lines(stage: "hero") { #expect(line["cost_usd"] as? Double == 0.03) }
        let bytes = try #require(FileManager.default.contents(atPath: run.directory.appendingPathComponent("out/hero/P50.png").path))
        #expect(throws: Never.self) { try ImageInspector.inspect(Array(bytes)) }
    }

    /// Half the status requests answer 500 and some never answer: each job is still submitted
    /// once, and every image arrives.
    @Test(arguments: ["fal", "replicate"])
    func failingStatusRequestsAreAskedAgainNeverSubmittedAgain(kind: String) async throws {
        var configuration = Self.emulator(queueTime: 0.6)
        configuration.pollErrorRate = 0.5
        configuration.pollHangRate = 0.05
        let model = kind == "fal" ? "fal-ai/bytedance/seedream/v4/text-to-image" : "bytedance/seedream-4"
        // `timeout` bounds submits too: long enough that no submit times out on a loaded machine.
        let run = try await RunHarness.run(Self.yaml(kind: kind, model: model, provider: ", sync_wait: 0s", stage: "timeout: 8s"),
                                           files: ["products.csv": RunHarness.products(20)], emulator: configuration)
        let seen = try #require(run.emulator)
        #expect(run.stage("hero").succeeded == 20, "\(run.lines(stage: "hero").compactMap { $0["message"] })")
        #expect(seen.queue.submitted == 20 && seen.byPrompt.values.allSatisfy { $0 == 1 }, "\(seen.byPrompt)")
        #expect(seen.queue.pollFailures > 0)
        let again = run.lines(stage: "hero").filter { $0["attempts"] as? Int != 1 }
        #expect(again.isEmpty, "submitted again: \(again.map { ($0["key"] ?? "", $0["retries"] ?? "") })")
    }

    /// A job that fails at the provider is a failed attempt: submitted again while the policy allows.
    @Test(arguments: ["fal", "replicate"])
    func aJobThatFailsIsSubmittedAgainUnderTheRetryPolicy(kind: String) async throws {
        let model = kind == "fal" ? "fal-ai/nano-banana-2" : "google/nano-banana-2"
        let csv = "sku,name\nA1,[[job-fail:1]] Red mug\nB2,[[job-fail:9]] Blue mug\nC3,[[block]] Green mug\n"
        let run = try await RunHarness.run(Self.yaml(kind: kind, model: model, provider: ", sync_wait: 0s"), files: ["products.csv": csv],
                                           emulator: Self.emulator(queueTime: 0.3))
        let lines = Dictionary(run.lines(stage: "hero").map { ($0["key"] as! String, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(lines["A1"]?["status"] as? String == "succeeded" && lines["A1"]?["attempts"] as? Int == 2, "\(String(describing: lines["A1"]))")
        let history = lines["A1"]?["retries"] as? [[String: Any]] ?? []
        #expect(history.first?["class"] as? String == "server_error", "\(history)")
        #expect(lines["B2"]?["failure_class"] as? String == "server_error" && lines["B2"]?["attempts"] as? Int == 3)
        #expect((lines["B2"]?["message"] as? String ?? "").contains(kind == "fal" ? "failed at fal" : "failed at Replicate"), "\(String(describing: lines["B2"]))")
        #expect(lines["C3"]?["failure_class"] as? String == "content_policy" && lines["C3"]?["attempts"] as? Int == 1)
        let seen = try #require(run.emulator)
        #expect(seen.byPrompt["[[job-fail:1]] Red mug"] == 2 && seen.byPrompt["[[job-fail:9]] Blue mug"] == 3)
    }

    /// `Prefer: wait` lets a quick prediction answer in the submit itself: no status request at all.
    @Test func replicateAnswersInTheSubmitWhenTheJobIsQuick() async throws {
        let run = try await RunHarness.run(Self.yaml(kind: "replicate", model: "google/nano-banana-2", provider: ", sync_wait: 2s"),
                                           files: ["products.csv": RunHarness.products(6)], emulator: Self.emulator(queueTime: 0.2))
        let seen = try #require(run.emulator)
        #expect(run.stage("hero").succeeded == 6)
        #expect(seen.queue.polls == 0 && seen.queue.submitted == 6)
        #expect(run.lines(stage: "hero").allSatisfy { $0["cost_usd"] as? Double == 0.067 })
    }

    /// An interrupt with `--cancel-remote` cancels the jobs waiting at the provider.
    @Test func anInterruptCancelsWaitingJobsWhenAsked() async throws {
        let emulator = Emulator(configuration: Self.emulator(queueTime: 30), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        var options = RunOptions()
        options.cancelRemote = true
        let control = RunControl()
        let stopper = Task {
            await Wait.until("ten jobs are submitted") { emulator.stats.snapshot.queue.submitted == 10 }
            try? await Task.sleep(for: .milliseconds(300))
            control.stop(.interrupted)
        }
        let run = try await RunHarness.run(Self.yaml(), files: ["products.csv": RunHarness.products(10)], server: emulator, ledger: true,
                                           options: options, control: control)
        await stopper.value
        #expect(emulator.stats.snapshot.queue.cancels == 10)
        #expect(run.lines(stage: "hero").allSatisfy { ($0["message"] as? String ?? "").contains("cancelled there (--cancel-remote)") })
    }

    /// A job the provider no longer knows (the next run meets another queue) is submitted again.
    @Test func aJobTheProviderForgotIsSubmittedAgain() async throws {
        let first = Emulator(configuration: Self.emulator(queueTime: 30), threads: 1)
        try await first.start()
        let control = RunControl()
        let stopper = Task {
            await Wait.until("three jobs are submitted") { first.stats.snapshot.queue.submitted == 3 }
            try? await Task.sleep(for: .milliseconds(300))
            control.stop(.interrupted)
        }
        let dir = Fixtures.temporaryDirectory()
        let yaml = Self.yaml().replacingOccurrences(of: "{{BASE}}", with: "${QUEUE_BASE}")
        var environment = Fixtures.environment
        environment["QUEUE_BASE"] = first.baseURL
        let stopped = try await RunHarness.run(yaml, files: ["products.csv": RunHarness.products(3)], directory: dir, ledger: true,
                                               control: control, environment: environment)
        await stopper.value
        await first.stop()
        #expect(stopped.lines(stage: "hero").allSatisfy { ($0["message"] as? String ?? "").contains("the next run collects it") })
        let second = Emulator(configuration: Self.emulator(queueTime: 0.2), threads: 1)
        try await second.start()
        defer { Task { await second.stop() } }
        environment["QUEUE_BASE"] = second.baseURL
        let run = try await RunHarness.run(yaml, files: ["products.csv": RunHarness.products(3)], directory: dir, ledger: true, environment: environment)
        #expect(run.stage("hero").succeeded == 3, "\(run.lines(stage: "hero"))")
        #expect(second.stats.snapshot.queue.submitted == 3)
        let history = run.lines(stage: "hero").first?["retries"] as? [[String: Any]] ?? []
        #expect((history.first?["message"] as? String ?? "").contains("no longer knows job"), "\(history)")
    }

    /// A status request refused (the key was rotated) fails the item but keeps its job: a later
    /// run with the right key collects it without paying again.
    @Test func aRefusedStatusRequestKeepsTheJobForTheNextRun() async throws {
        let emulator = Emulator(configuration: Self.emulator(queueTime: 0.5), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        // No job ends before the first run is stopped and the second refused, however late a
        // loaded machine lets the stopper act.
        emulator.stats.jobs.hold(true)
        let dir = Fixtures.temporaryDirectory()
        let yaml = Self.yaml().replacingOccurrences(of: "api_key: queue-test-key", with: "api_key: \"${QUEUE_KEY}\"")
        var environment = Fixtures.environment
        environment["QUEUE_KEY"] = "queue-test-key"
        let control = RunControl()
        let stopper = Task {
            await Wait.until("three jobs are submitted") { emulator.stats.snapshot.queue.submitted == 3 }
            try? await Task.sleep(for: .milliseconds(300))
            control.stop(.interrupted)
        }
        _ = try await RunHarness.run(yaml, files: ["products.csv": RunHarness.products(3)], server: emulator, directory: dir, ledger: true,
                                     control: control, environment: environment)
        await stopper.value
        environment["QUEUE_KEY"] = "a-rotated-key-123"
        let refused = try await RunHarness.run(yaml, files: ["products.csv": RunHarness.products(3)], server: emulator, directory: dir, ledger: true,
                                               environment: environment)
        #expect(refused.lines(stage: "hero").allSatisfy { $0["failure_class"] as? String == "auth" }, "\(refused.lines(stage: "hero"))")
        #expect((refused.lines(stage: "hero").first?["message"] as? String ?? "").contains("stays recorded"))
        environment["QUEUE_KEY"] = "queue-test-key"
        emulator.stats.jobs.hold(false)
        let collected = try await RunHarness.run(yaml, files: ["products.csv": RunHarness.products(3)], server: emulator, directory: dir, ledger: true,
                                                 environment: environment)
        #expect(collected.stage("hero").succeeded == 3)
        #expect(emulator.stats.snapshot.queue.submitted == 3, "no job was submitted twice")
    }

    /// A job that outlives `job_timeout` is cancelled at the provider and counted as timed out.
    @Test func aJobPastItsTimeoutIsCancelledThere() async throws {
        let run = try await RunHarness.run(Self.yaml(provider: ", job_timeout: 1s", stage: "").replacingOccurrences(of: "attempts: 3", with: "attempts: 1"),
                                           files: ["products.csv": RunHarness.products(3)], emulator: Self.emulator(queueTime: 30))
        #expect(run.lines(stage: "hero").allSatisfy { $0["failure_class"] as? String == "timeout" })
        #expect((run.lines(stage: "hero").first?["message"] as? String ?? "").contains("did not finish within job_timeout (1s) and was cancelled"))
        #expect(run.emulator?.queue.cancels == 3)
    }

    /// A queued provider's images go downstream like any: an edit on the same queue, then a transform.
    @Test func imagesFromTheQueueFlowDownstream() async throws {
        let yaml = Self.yaml() + """

              lifestyle:
                edit:
                  from: hero
                  provider: q
                  model: fal-ai/nano-banana-pro/edit
                  prompt: "on a table"
                  output: "lifestyle/{{ sku }}.png"
              thumb:
                transform: { from: lifestyle, resize: { width: 32, height: 32 }, output: "thumb/{{ sku }}.webp" }
            """
        let run = try await RunHarness.run(yaml, files: ["products.csv": RunHarness.products(4)], emulator: Self.emulator(queueTime: 0.2))
        #expect(run.stage("hero").succeeded == 4 && run.stage("lifestyle").succeeded == 4 && run.stage("thumb").succeeded == 4)
        #expect(run.emulator?.queue.submitted == 8)
        let thumb = try #require(FileManager.default.contents(atPath: run.directory.appendingPathComponent("out/thumb/P2.webp").path))
        #expect((try? ImageInspector.inspect(Array(thumb)))?.format == .webp)
    }

    /// `params:` reach the provider's input over what imagepipe sends.
    @Test func paramsAreSentOverTheDefaults() async throws {
        let emulator = Emulator(configuration: Self.emulator(queueTime: 0.1), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        // The stand-in CMS route keeps the submit whole (its answer has no request id: one failed attempt).
        let yaml = Self.yaml(stage: "params: { seed: 7, enable_safety_checker: false, style: \"{{ name }} look\" }")
            .replacingOccurrences(of: "{{BASE}}/fal", with: "{{BASE}}/capture/fal").replacingOccurrences(of: "attempts: 3", with: "attempts: 1")
        _ = try await RunHarness.run(yaml, files: ["products.csv": "sku,name\nA1,Red mug\n"], server: emulator)
        let body = try #require(emulator.stats.captured.first?.body)
        let json = try #require(try? JSONParser.parse(Array(body.utf8)))
        #expect(json["seed"] == .int(7) && json["enable_safety_checker"] == .bool(false) && json["style"] == .string("Red mug look"), "\(body)")
        #expect(json["prompt"] == .string("Red mug") && json["image_size"]?["width"] == .int(64))
    }
}

/// The queue as processes use it: `kill -9` while jobs wait remotely, and the next run collects
/// them without a single new submit.
@Suite struct QueuedJobsAfterACrashTests {
    @Test func aKilledRunsJobsAreCollectedByTheNextRunWithoutANewSubmit() async throws {
        let emulator = Emulator(configuration: QueuedProviderTests.emulator(queueTime: 1), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        // Every job waits until the first run is killed, however late a loaded machine lets the test act.
        emulator.stats.jobs.hold(true)
        let yaml = QueuedProviderTests.yaml(provider: ", poll_rate_limit: { requests_per_second: 200, burst: 20 }")
            .replacingOccurrences(of: "{{BASE}}", with: emulator.baseURL)
        let dir = try RunCommandTests.folder(yaml, csv: RunHarness.products(100))
        let first = try CLIProcess(["run", "--progress", "none", "pipeline.yaml"], in: dir)
        await Wait.until("100 jobs are submitted", timeout: 60) { emulator.stats.snapshot.queue.submitted == 100 }
        // Every job is committed to the ledger before the kill.
        let ledgerPath = dir.appendingPathComponent(".imagepipe/queued-test.sqlite").path
        await Wait.until("every job is in the ledger", timeout: 60) {
            guard let hero = (try? Ledger(path: ledgerPath, readOnly: true).status(stageOrder: ["hero"]))?.stages.first else { return false }
            return hero.submitted >= 100
        }
        first.signal(SIGKILL)
        #expect(await first.wait() == SIGKILL || !first.process.isRunning)
        emulator.stats.jobs.hold(false)
        let ledger = try Ledger(path: ledgerPath, readOnly: true)
        let left = try ledger.successes().jobCount
        #expect(left == 100, "the killed run left \(left) jobs to re-attach to")
        let status = try await CLIProcess.run(["status", "pipeline.yaml"], in: dir)
        #expect(status.stdout.contains("submitted: \(left) items still waiting at their provider (hero \(left))"), "\(status.stdout)")

        let second = try await CLIProcess.run(["run", "--progress", "none", "pipeline.yaml"], in: dir)
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
        let seen = emulator.stats.snapshot
        #expect(seen.queue.submitted == 100, "submits over both runs: \(seen.queue.submitted)")
        #expect(seen.byPrompt.values.allSatisfy { $0 == 1 })
        #expect(try RunCommandTests.checkImages(in: dir) == 100)
        #expect(try Ledger(path: dir.appendingPathComponent(".imagepipe/queued-test.sqlite").path, readOnly: true).successes().jobCount == 0)
        #expect(second.stdout.contains("\(left) re-attached from an earlier run without a new submit"), "\(second.stdout)")
    }
}
