import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan
import ImagePipeEmulator

/// `imagepipe run` as a process: exit codes, the summary, and interrupts that leave intact files.
@Suite struct RunCommandTests {
    static func pipeline(base: String, apiKey: String = "test-key-123456", concurrency: Int = 4, timeout: String = "60s") -> String {
        """
        version: 1
        name: cli-run
        providers:
          p: { kind: openai, base_url: "\(base)/v1", api_key: "\(apiKey)" }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate:
              from: products
              provider: p
              model: gpt-image-1
              prompt: "{{ name }}"
              size: 64x64
              output: hero/{{ sku }}.png
              concurrency: \(concurrency)
              timeout: \(timeout)
              retry: { attempts: 2, initial: 10ms }
        """
    }

    static func folder(_ yaml: String, csv: String) throws -> URL {
        let dir = Fixtures.temporaryDirectory()
        try yaml.write(to: dir.appendingPathComponent("pipeline.yaml"), atomically: true, encoding: .utf8)
        try csv.write(to: dir.appendingPathComponent("products.csv"), atomically: true, encoding: .utf8)
        return dir
    }

    /// Every file under `out/hero` decodes, and no temporary file is left.
    static func checkImages(in dir: URL) throws -> Int {
        let hero = dir.appendingPathComponent("out/hero")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: hero.path)) ?? []
        for name in names {
            #expect(!name.hasPrefix("."), "temporary file left: \(name)")
            let bytes = try #require(FileManager.default.contents(atPath: hero.appendingPathComponent(name).path))
            #expect(throws: Never.self) { try ImageInspector.inspect(Array(bytes)) }
        }
        return names.count
    }

    /// `--force WORD` guessed from the file system: a file named like the stage made the stage the
    /// pipeline file. The word's place decides now, as `run` takes exactly one file.
    @Test func forceReadsTheStageOrTheFileByPlaceNotByGuess() async throws {
        let yaml = """
        version: 1
        name: cli-force
        # Provenance names the run in each image, so a forced image would differ in its bytes.
        provenance: false
        providers: { local: { kind: placeholder } }
        sources: { products: { csv: products.csv, key: "{{ sku }}" } }
        stages:
          hero:
            generate: { from: products, provider: local, model: placeholder-v1, prompt: "{{ name }}", size: 16x16, output: "hero/{{ sku }}.png" }
          thumb:
            edit: { from: hero, provider: local, model: placeholder-v1, prompt: "small {{ name }}", size: 8x8, output: "thumb/{{ sku }}.png" }
        """
        let dir = try Self.folder(yaml, csv: "sku,name\nA1,Mug\n")
        try "not a pipeline".write(to: dir.appendingPathComponent("hero"), atomically: true, encoding: .utf8)
        // The same pipeline under a second name shares the ledger on purpose, so it says so.
        try (yaml + "\nstate: .imagepipe/cli-force.sqlite\n").write(to: dir.appendingPathComponent("pipeline"), atomically: true, encoding: .utf8)
        #expect(try await CLIProcess.run(["run", "pipeline.yaml"], in: dir).status == 0)
        /// succeeded and cached, from the summary table's row for `stage`.
        func counts(_ stdout: String, _ stage: String) -> [String] {
            let row = stdout.split(separator: "\n").first { $0.split(separator: " ").first.map(String.init) == stage }
            return row.map { $0.split(separator: " ").dropFirst().prefix(2).map(String.init) } ?? []
        }
        // A stage although a file has its name: hero runs again, its unchanged image keeps thumb cached.
        let stage = try await CLIProcess.run(["run", "--force", "hero", "pipeline.yaml"], in: dir)
        #expect(stage.status == 0, "\(stage.stderr)")
        #expect(counts(stage.stdout, "hero") == ["1", "0"] && counts(stage.stdout, "thumb") == ["0", "1"], "\(stage.stdout)")
        // The file although it has no .yaml, and every stage forced.
        let all = try await CLIProcess.run(["run", "--force", "pipeline"], in: dir)
        #expect(all.status == 0, "\(all.stderr)")
        #expect(counts(all.stdout, "hero") == ["1", "0"] && counts(all.stdout, "thumb") == ["1", "0"], "\(all.stdout)")
        // A later option's value is not a second positional word: the file after --force is still the file.
        let valued = try await CLIProcess.run(["run", "--force", "pipeline.yaml", "--junit", "junit.xml", "--lease", "30s"], in: dir)
        #expect(valued.status == 0, "\(valued.stderr)")
        #expect(counts(valued.stdout, "hero") == ["1", "0"], "\(valued.stdout)")
        // The spellings that say it outright.
        #expect(counts(try await CLIProcess.run(["run", "--force=thumb", "pipeline.yaml"], in: dir).stdout, "thumb") == ["1", "0"])
        #expect(counts(try await CLIProcess.run(["run", "--force-all", "pipeline.yaml"], in: dir).stdout, "hero") == ["1", "0"])
        let unknown = try await CLIProcess.run(["run", "--force", "hreo", "pipeline.yaml"], in: dir)
        #expect(unknown.status == 2 && unknown.stderr.contains("no stage named 'hreo'; did you mean 'hero'?"), "\(unknown.stderr)")
    }

    @Test func quickstartRunsOfflineWithExit0() async throws {
        let dir = Fixtures.temporaryDirectory()
        try FileManager.default.copyItem(at: Fixtures.pipelines.appendingPathComponent("quickstart.yaml"), to: dir.appendingPathComponent("quickstart.yaml"))
        try FileManager.default.copyItem(at: Fixtures.pipelines.appendingPathComponent("data"), to: dir.appendingPathComponent("data"))
        let result = try await CLIProcess.run(["run", "quickstart.yaml"], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("hero           8       0  0             0            0  $0.00"), "\(result.stdout)")
        let images = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("out/quickstart/hero").path)
        #expect(images.count == 8)
        let manifest = try String(contentsOf: dir.appendingPathComponent("out/quickstart/manifest.jsonl"), encoding: .utf8)
        #expect(manifest.split(separator: "\n").count == 8)
        // Again: everything is in the ledger, nothing is made twice.
        let again = try await CLIProcess.run(["run", "quickstart.yaml"], in: dir)
        #expect(again.status == 0)
        #expect(again.stdout.contains("hero           0       8  0"), "\(again.stdout)")
        #expect(!again.stderr.contains("failed"), "cache hits are not failures: \(again.stderr)")
        let status = try await CLIProcess.run(["status", "quickstart.yaml"], in: dir)
        #expect(status.status == 0)
        #expect(status.stdout.contains("hero   8          0       0        8"), "\(status.stdout)")
        let plan = try await CLIProcess.run(["plan", "quickstart.yaml"], in: dir)
        #expect(plan.stdout.contains("Ledger .imagepipe/quickstart.sqlite: 8 cached, 0 to run."), "\(plan.stdout)")
        // The history: both runs, what each did and cost.
        let runs = try await CLIProcess.run(["status", "--runs", "quickstart.yaml"], in: dir)
        let rows = runs.stdout.split(separator: "\n").filter { $0.hasPrefix("#") }
        #expect(rows.count == 2, "\(runs.stdout)")
        func tail(_ row: Substring?) -> [String] { (row?.split(separator: " ").suffix(5).map(String.init)) ?? [] }
        #expect(tail(rows.first) == ["0", "8", "0", "0", "$0.00"], "exit, succeeded, failed, cached, cost: \(runs.stdout)")
        #expect(tail(rows.last) == ["0", "0", "0", "8", "$0.00"], "\(runs.stdout)")
        #expect(runs.stdout.contains("2 runs, $0.00 in all"))
        let json = try await CLIProcess.run(["status", "--runs", "--format", "json", "quickstart.yaml"], in: dir)
        let history = try #require((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["runs"] as? [[String: Any]])
        #expect(history.map { $0["succeeded"] as? Int } == [8, 0] && history.map { $0["cached"] as? Int } == [0, 8])
    }

    /// Two files with one `name:` would share `.imagepipe/NAME.sqlite` by mistake: the second is
    /// refused with both files named; once the first is gone (renamed), the ledger passes on.
    @Test func twoPipelinesWithOneNameDoNotShareALedger() async throws {
        let yaml = """
        version: 1
        name: catalog
        providers: { local: { kind: placeholder } }
        sources: { products: { csv: products.csv, key: "{{ sku }}" } }
        stages:
          hero:
            generate: { from: products, provider: local, model: placeholder-v1, prompt: "{{ name }}", size: 16x16, output: "OUT/{{ sku }}.png" }
        """
        let dir = try Self.folder(yaml.replacingOccurrences(of: "OUT", with: "a"), csv: RunHarness.products(2))
        try yaml.replacingOccurrences(of: "OUT", with: "b").write(to: dir.appendingPathComponent("other.yaml"), atomically: true, encoding: .utf8)
        let first = try await CLIProcess.run(["run", "pipeline.yaml"], in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        let second = try await CLIProcess.run(["run", "other.yaml"], in: dir)
        #expect(second.status == 2)
        #expect(second.stderr.contains("other.yaml: error: pipeline.yaml and other.yaml are both named 'catalog', so they would share the ledger .imagepipe/catalog.sqlite"),
                "\(second.stderr)")
        let plan = try await CLIProcess.run(["plan", "other.yaml"], in: dir)
        #expect(plan.stderr.contains("other.yaml:2:1: warning: pipeline.yaml has the same name 'catalog' and owns the ledger .imagepipe/catalog.sqlite"), "\(plan.stderr)")
        // Shared on purpose: `--state` names it.
        let shared = try await CLIProcess.run(["run", "--state", ".imagepipe/catalog.sqlite", "other.yaml"], in: dir)
        #expect(shared.status == 0, "\(shared.stderr)")
        // Renamed: the ledger follows the file.
        try FileManager.default.moveItem(at: dir.appendingPathComponent("pipeline.yaml"), to: dir.appendingPathComponent("renamed.yaml"))
        let renamed = try await CLIProcess.run(["run", "renamed.yaml"], in: dir)
        #expect(renamed.status == 0, "\(renamed.stderr)")
    }

    @Test func missingEnvironmentVariableExits2BeforeAnyCall() async throws {
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let dir = try Self.folder(Self.pipeline(base: emulator.baseURL, apiKey: "${NOT_SET_ANYWHERE}"), csv: RunHarness.products(3))
        let result = try await CLIProcess.run(["run", "pipeline.yaml"], in: dir)
        #expect(result.status == 2)
        #expect(result.stderr.contains("error: environment variable 'NOT_SET_ANYWHERE' is not set"), "\(result.stderr)")
        #expect(emulator.stats.snapshot.requests == 0)
    }

    @Test func someFailuresExit1AndArePrinted() async throws {
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let dir = try Self.folder(Self.pipeline(base: emulator.baseURL), csv: "sku,name\nA1,fine\nA2,[[block]] not fine\n")
        let result = try await CLIProcess.run(["run", "--progress", "plain", "pipeline.yaml"], in: dir)
        #expect(result.status == 1)
        #expect(result.stderr.contains("failed: hero A2: content_policy:"), "\(result.stderr)")
        #expect(result.stdout.contains("1 content_policy"))
    }

    @Test func interruptLetsCallsInFlightFinishAndExits130() async throws {
        var configuration = EmulatorConfiguration()
        // Long enough that a test process slowed by a loaded machine still signals while the first
        // three calls are in flight (at 1 s, and with the suite's heavier tests at 3 s, the next
        // three had sometimes started by then).
        configuration.latency = 8.0
        let emulator = Emulator(configuration: configuration, threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let dir = try Self.folder(Self.pipeline(base: emulator.baseURL, concurrency: 3), csv: RunHarness.products(30))
        let process = try CLIProcess(["run", "--progress", "plain", "--grace", "10", "pipeline.yaml"], in: dir)
        await Wait.onThread(until: "3 calls are in flight", { emulator.stats.snapshot.requests >= 3 }, then: { process.signal(SIGINT) })
        let status = await process.wait()
        #expect(status == 130, "\(process.stderr)")
        // The three calls in flight finished and were kept; nothing else started.
        #expect(emulator.stats.snapshot.requests == 3)
        #expect(try Self.checkImages(in: dir) == 3)
        let manifest = try String(contentsOf: dir.appendingPathComponent("out/manifest.jsonl"), encoding: .utf8)
        #expect(manifest.split(separator: "\n").count == 3)
        #expect(process.stdout.contains("interrupted: 27 items were not started"))
    }

    @Test func interruptPastTheGracePeriodCancelsCallsInFlight() async throws {
        var configuration = EmulatorConfiguration()
        configuration.latency = 30
        let emulator = Emulator(configuration: configuration, threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let dir = try Self.folder(Self.pipeline(base: emulator.baseURL, concurrency: 2), csv: RunHarness.products(5))
        let process = try CLIProcess(["run", "--progress", "none", "--grace", "0.3", "pipeline.yaml"], in: dir)
        await Wait.until("2 calls are in flight") { emulator.stats.snapshot.requests >= 2 }
        let start = Date()
        process.signal(SIGTERM)
        let status = await process.wait()
        #expect(status == 130)
        // Well under the 30 s calls: the grace period, not the calls, ended the run.
        #expect(Date().timeIntervalSince(start) < 25)
        #expect(try Self.checkImages(in: dir) == 0)
        let manifest = try String(contentsOf: dir.appendingPathComponent("out/manifest.jsonl"), encoding: .utf8)
        #expect(manifest.split(separator: "\n").filter { $0.contains("\"status\":\"cancelled\"") }.count == 2)
    }
}

/// The ledger as processes use it: one run at a time, and kill -9 at any moment loses nothing.
@Suite struct LedgerProcessTests {
    @Test func aSecondRunWaitsItsTurn() async throws {
        var configuration = EmulatorConfiguration()
        // Long enough that the second process, started on a loaded machine, still finds the first running.
        configuration.latency = 15
        let emulator = Emulator(configuration: configuration, threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let dir = try RunCommandTests.folder(RunCommandTests.pipeline(base: emulator.baseURL), csv: RunHarness.products(2))
        let first = try CLIProcess(["run", "--progress", "none", "pipeline.yaml"], in: dir)
        await Wait.until("the first run's call is in flight") { emulator.stats.snapshot.requests >= 1 }
        let second = try await CLIProcess.run(["run", "pipeline.yaml"], in: dir)
        #expect(second.status == 2)
        #expect(second.stderr.contains("another run of this pipeline is in progress (process \(first.process.processIdentifier)"), "\(second.stderr)")
        #expect(await first.wait() == 0)
        #expect(emulator.stats.snapshot.requests == 2)
    }

    @Test func killedAtRandomMomentsThenResumedGivesTheSameOutputs() async throws {
        var configuration = EmulatorConfiguration()
        // A whole run takes about 4 s: long enough that a test process slowed by a loaded machine
        // still kills it part-way.
        configuration.latency = 0.15
        configuration.latencyJitter = 0.2
        let emulator = Emulator(configuration: configuration, threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let items = 60, concurrency = 4
        let dir = try RunCommandTests.folder(RunCommandTests.pipeline(base: emulator.baseURL, concurrency: concurrency), csv: RunHarness.products(items))
        // The runs are started and killed from a thread of their own: a sleep on the test's
        // cooperative pool, starved by the other suites on a loaded CI machine, once lasted a
        // whole run, and the second run finished before its kill.
        let (kills, early) = try await OffPool.run { () throws -> (Int, String?) in
            var kills = 0
            for delay in [0.25, 0.4, 0.15, 0.5] {
                let run = try CLIProcess(["run", "--progress", "none", "pipeline.yaml"], in: dir)
                usleep(useconds_t((delay + Double.random(in: 0...0.1)) * 1_000_000))
                guard run.process.isRunning else {
                    return (kills, "run \(kills + 1) ended before its kill with status \(run.process.terminationStatus): \(run.stderr)")
                }
                run.signal(SIGKILL)
                run.process.waitUntilExit()
                kills += 1
            }
            return (kills, nil)
        }
        #expect(kills >= 2, "\(early ?? "")")
        let last = try await CLIProcess.run(["run", "--progress", "none", "pipeline.yaml"], in: dir)
        #expect(last.status == 0, "\(last.stderr)")

        // Every image is there, whole, and is the one the ledger and the manifest name.
        let lines = try String(contentsOf: dir.appendingPathComponent("out/manifest.jsonl"), encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == items)
        for line in lines {
            let path = dir.appendingPathComponent("out").appendingPathComponent(line["path"] as! String).path
            let bytes = try #require(FileManager.default.contents(atPath: path))
            #expect(throws: Never.self) { try ImageInspector.inspect(Array(bytes)) }
            #expect(line["sha256"] as? String == Hex.string(SHA256Digest(bytes)))
        }
        #expect(try RunCommandTests.checkImages(in: dir) == items)
        // Nothing was generated twice except calls in flight at a kill: at most `concurrency` per kill.
        let counts = emulator.stats.snapshot.byPrompt
        #expect(counts.count == items)
        let repeats = counts.values.reduce(0) { $0 + $1 - 1 }
        #expect(repeats <= kills * concurrency, "\(repeats) repeated calls over \(kills) kills")
    }
}
