import Foundation
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan
import ImagePipeEmulator

/// Runs a pipeline in-process against a real loopback emulator, as `imagepipe run` would, and
/// collects what a test needs: the result, the manifest lines and what the emulator saw.
struct RunHarness {
    struct Outcome {
        var result: RunEngine.Result
        /// This run's lines (`runs/RUN_ID.jsonl`).
        var manifest: [[String: Any]]
        /// `manifest.jsonl`: the current state of every (stage, item).
        var current: [[String: Any]]
        var emulator: EmulatorStats.Snapshot?
        var directory: URL
        /// Budget still reserved when the run ended: always 0 unless a reservation leaked.
        var budgetReserved: Double
        /// How the run ended, as `imagepipe run` would exit.
        var ending: RunOutcome
        /// The warnings the run gave (a consumer of its events, as progress output is).
        var warnings: [String] = []

        func lines(stage: String) -> [[String: Any]] { manifest.filter { $0["stage"] as? String == stage } }
        func stage(_ name: String) -> StageStats.Snapshot { result.stages.first { $0.name == name }! }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// `{{BASE}}` in the YAML becomes the emulator's base URL.
    /// `server` is an emulator the caller keeps across runs (to count calls over several runs);
    /// `directory` re-runs in the same folder; `ledger` keeps a ledger there, as `imagepipe run` does.
    static func run(_ yaml: String, files: [String: String] = [:], emulator configuration: EmulatorConfiguration? = nil,
                    server: Emulator? = nil, directory: URL? = nil, ledger useLedger: Bool = false,
                    options: RunOptions = RunOptions(), control: RunControl = RunControl(), environment: [String: String] = Fixtures.environment,
                    registry: ComponentRegistry = .builtIn, setUp: (URL) throws -> Void = { _ in }) async throws -> Outcome {
        var emulator = server
        var ownsEmulator = false
        if emulator == nil, let configuration {
            // Its own event loop, so that the engine's work never delays the emulator's clock.
            let e = Emulator(configuration: configuration, threads: 1)
            try await e.start()
            emulator = e
            ownsEmulator = true
        }
        let text = emulator.map { yaml.replacingOccurrences(of: "{{BASE}}", with: $0.baseURL) } ?? yaml
        defer { if ownsEmulator, let emulator { Task { await emulator.stop() } } }
        let secrets = SecretSet()
        // Writes the files and checks the pipeline, then runs it through the same session as `imagepipe run`.
        let (checked, dir) = Fixtures.validate(text, files: files, environment: environment, strict: true, secrets: secrets, directory: directory,
                                               registry: registry)
        try setUp(dir)
        guard checked.isValid else { throw Failure(description: Fixtures.lines(checked).joined(separator: "\n")) }
        var request = RunSession.Request(path: dir.appendingPathComponent("pipeline.yaml").path, environment: environment, options: options,
                                         secrets: secrets)
        request.displayPath = "pipeline.yaml"
        request.usesLedger = useLedger
        request.control = control
        request.registry = registry
        let session: RunSession
        do {
            session = try RunSession.prepare(request)
        } catch {
            throw Failure(description: error.lines.joined(separator: "\n"))
        }
        let warnings = WarningCollector()
        session.subscribe(warnings)
        let result = await session.run()
        let ending = await session.close(result)
        return Outcome(result: result, manifest: jsonLines(result.runManifestPath), current: jsonLines(result.manifestPath),
                       emulator: emulator?.stats.snapshot, directory: dir, budgetReserved: session.engine.budget.reservedUSD, ending: ending,
                       warnings: warnings.said)
    }

    static func jsonLines(_ path: String) -> [[String: Any]] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// A CSV of `count` products: sku, name.
    static func products(_ count: Int, name: (Int) -> String = { "Product \($0)" }) -> String {
        "sku,name\n" + (1...count).map { "P\($0),\(name($0))" }.joined(separator: "\n") + "\n"
    }
}

/// Keeps the warnings a run gives.
final class WarningCollector: RunEventConsumer, @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []

    var said: [String] { lock.withLock { messages } }

    func handle(_ event: RunEvent) async {
        if case .warning(let message) = event { lock.withLock { messages.append(message) } }
    }
}
