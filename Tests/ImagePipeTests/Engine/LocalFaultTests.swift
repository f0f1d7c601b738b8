import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
import ImagePipeEmulator

/// A full disk, a read-only folder and a closed pipe, for real (a tmpfs the test mounts): never a
/// crash, never paying for images that cannot be kept, and a second run finishes the work.
@Suite(.serialized) struct LocalFaultTests {
    static let concurrency = 8

    static func pipeline(items: Int) -> (yaml: String, csv: String) {
        let yaml = """
        version: 1
        name: full-disk
        output_dir: disk/out
        state: disk/ledger.sqlite
        providers:
          p: { kind: openai, base_url: "${BASE}/v1", api_key: test-key-123456 }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate: { from: products, provider: p, model: gpt-image-1, prompt: "{{ name }} photo", size: 1024x1024, output: "{{ sku }}.png", concurrency: \(concurrency) }
        """
        return (yaml, "sku,name\n" + (0..<items).map { "P\($0),Product \($0)" }.joined(separator: "\n") + "\n")
    }

    static func images(in disk: SmallDisk) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: disk.url.appendingPathComponent("out").path)) ?? []).filter { $0.hasSuffix(".png") }.count
    }

    /// Output, ledger and the run's log (`> run.log 2>&1`) on a 3 MB disk, 1,000 paid images.
    @Test func aFullDiskStopsNewWorkAndTheNextRunFinishes() async throws {
        let dir = Fixtures.temporaryDirectory()
        let (yaml, csv) = Self.pipeline(items: 1000)
        try yaml.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        try csv.write(to: dir.appendingPathComponent("products.csv"), atomically: true, encoding: .utf8)
        let disk = try SmallDisk(megabytes: 3, in: dir)
        defer { disk.unmount() }
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let environment = ["BASE": emulator.baseURL]

        let log = disk.url.appendingPathComponent("run.log")
        let first = try CLIProcess(["run", "--progress", "plain", "p.yaml"], in: dir, environment: environment, log: log)
        let status = await first.wait()
        #expect(status == ExitStatus.localFault, "exit \(status): \(first.stdout.suffix(2000))")
        #expect(!first.stdout.contains("Fatal error") && !first.stdout.contains("Illegal instruction"))
        let written = Self.images(in: disk)
        let paid = emulator.stats.snapshot.requests
        #expect(written > 0 && written < 1000)
        #expect(paid - written <= 2 * Self.concurrency, "\(paid) paid calls for \(written) images kept")

        try disk.grow(toMegabytes: 400)
        // The ledger survived (its last run's end may not have fitted on the disk).
        let history = try await CLIProcess.run(["status", "p.yaml"], in: dir)
        #expect(history.status == 0 && history.stdout.contains("hero"), "\(history.stdout)\n\(history.stderr)")
        let second = try await CLIProcess.run(["run", "--progress", "plain", "p.yaml"], in: dir, environment: environment)
        #expect(second.status == ExitStatus.ok, "\(second.stdout)\n\(second.stderr)")
        #expect(Self.images(in: disk) == 1000)
        #expect(emulator.stats.snapshot.requests <= 1000 + 2 * Self.concurrency)
        let manifest = RunHarness.jsonLines(disk.url.appendingPathComponent("out/manifest.jsonl").path)
        #expect(manifest.count == 1000 && manifest.allSatisfy { $0["status"] as? String == "succeeded" })
    }

    /// With the log elsewhere the closing message is read in full, and lost images are named.
    @Test func theRunSaysWhatFilledAndWhatWasLost() async throws {
        let dir = Fixtures.temporaryDirectory()
        let (yaml, csv) = Self.pipeline(items: 300)
        try yaml.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        try csv.write(to: dir.appendingPathComponent("products.csv"), atomically: true, encoding: .utf8)
        let disk = try SmallDisk(megabytes: 1, in: dir)
        defer { disk.unmount() }
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let run = try await CLIProcess.run(["run", "--progress", "plain", "p.yaml"], in: dir, environment: ["BASE": emulator.baseURL])
        #expect(run.status == ExitStatus.localFault)
        let written = Self.images(in: disk)
        // The images or the ledger (on the same disk) may hit the wall first.
        let said = run.stdout.contains("stopped: the disk holding disk/out/ is full") || run.stdout.contains("stopped: the disk holding disk/ledger.sqlite is full")
        #expect(said && run.stdout.contains(" is full after \(written) images; nothing new was started; free space and run again: finished work is kept."),
                "\(run.stdout)")
        #expect(run.stderr.contains("the disk holding disk/out/ has"), "the plan warned first: \(run.stderr)")
        let lost = emulator.stats.snapshot.requests - written
        if lost > 0 {
            #expect(run.stdout.contains("\(lost) image\(lost == 1 ? " was" : "s were") paid for but could not be written (paid_not_written"))
        }
    }

    @Test func aReadOnlyOutputFolderIsRefusedBeforeAnyCall() async throws {
        let dir = Fixtures.temporaryDirectory()
        let (yaml, csv) = Self.pipeline(items: 10)
        try yaml.replacingOccurrences(of: "state: disk/ledger.sqlite", with: "").write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        try csv.write(to: dir.appendingPathComponent("products.csv"), atomically: true, encoding: .utf8)
        let disk = try SmallDisk(megabytes: 1, in: dir)
        defer { disk.unmount() }
        try FileManager.default.createDirectory(at: disk.url.appendingPathComponent("out"), withIntermediateDirectories: true)
        try disk.makeReadOnly()
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let run = try await CLIProcess.run(["run", "p.yaml"], in: dir, environment: ["BASE": emulator.baseURL])
        #expect(run.status == ExitStatus.invalid)
        #expect(run.stderr.contains("p.yaml:3:1: error: the output folder disk/out/ cannot be written (Read-only file system), so a run would pay for work it cannot keep"), "\(run.stderr)")
        #expect(emulator.stats.snapshot.requests == 0)
        let plan = try await CLIProcess.run(["plan", "p.yaml"], in: dir, environment: ["BASE": emulator.baseURL])
        #expect(plan.status == ExitStatus.invalid && plan.stderr.contains("the output folder disk/out/ cannot be written"))
    }

    /// `imagepipe plan big.yaml | head -1`: the pipe closes early; no trap, an ordinary exit.
    @Test func aClosedPipeEndsPlanQuietly() async throws {
        let dir = Fixtures.temporaryDirectory()
        let (yaml, csv) = Self.pipeline(items: 20000)
        try yaml.replacingOccurrences(of: "disk/", with: "").write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        try csv.write(to: dir.appendingPathComponent("products.csv"), atomically: true, encoding: .utf8)
        let script = "'\(CLIProcess.binary.path)' plan --format json --samples 20000 p.yaml | head -1 > /dev/null; echo \"exit ${PIPESTATUS[0]}\" >&2"
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = dir
        process.environment = ["BASE": "http://127.0.0.1:9", "PATH": "/usr/bin:/bin"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: await process.finish(reading: errors)[0], as: UTF8.self)
        #expect(text.hasSuffix("exit 0\n") || text.hasSuffix("exit 141\n"), "\(text)")
        #expect(!text.contains("Fatal error"))
    }
}
