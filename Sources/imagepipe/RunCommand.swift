import ArgumentParser
import Foundation
import ImagePipe

/// Runs a pipeline: every item through every stage, with limits, retries and a manifest.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline: generate every image, under the pipeline's limits, retries and budget.",
        discussion: """
        Validates and plans first (every problem, missing environment variables included, stops the run before \
        any call). Writes images atomically under output_dir and one manifest line per (stage, item) to \
        OUTPUT_DIR/manifest.jsonl. Ctrl-C stops starting work and lets calls in flight finish for the grace \
        period; a second Ctrl-C quits at once.
        Exit codes: 0 every item succeeded, 1 some failed or the budget was reached, 2 invalid pipeline or usage, \
        130 interrupted.
        """
    )

    @Argument(help: "The pipeline file.")
    var file: String

    @Option(help: "Progress display: auto (live on a terminal, plain lines otherwise), live, plain or none.")
    var progress: ProgressReporter.Mode = .auto

    @Option(help: "Seconds between plain progress lines.")
    var progressInterval: Double = 5

    @Option(help: "Seconds that calls in flight may take to finish after an interrupt.")
    var grace: Double = 10

    @Option(help: "Where to write the manifest (default: OUTPUT_DIR/manifest.jsonl).")
    var manifest: String?

    func validate() throws {
        guard grace >= 0 else { throw ValidationError("--grace must be 0 or more") }
        guard progressInterval > 0 else { throw ValidationError("--progress-interval must be more than 0") }
    }

    func run() async throws {
        let secrets = SecretSet()
        // Strict: a missing environment variable stops the run before anything is called.
        let outcome = PipelineValidator(strict: true, secrets: secrets).validate(path: file)
        var report: PlanReport?
        if outcome.isValid, let pipeline = outcome.pipeline {
            report = PlanBuilder(pipeline: pipeline, diagnostics: outcome.diagnostics, sampleCount: 0).build()
        }
        let rendered = DiagnosticFormat.text.render(outcome.diagnostics.sorted(), secrets: secrets)
        if !rendered.isEmpty { FileHandle.standardError.write(Data(rendered.utf8)) }
        guard let pipeline = outcome.pipeline, let report, !outcome.diagnostics.hasErrors else { throw ExitCode(ExitStatus.invalid) }

        let unsupported = RunEngine.unsupportedStages(in: pipeline)
        if !unsupported.isEmpty {
            let names = unsupported.map { "'\($0.name)' (\($0.spec.kind.name))" }.joined(separator: ", ")
            FileHandle.standardError.write(Data("\(file): error: this version of imagepipe runs generate and edit stages only; stage \(names) cannot run yet\n".utf8))
            throw ExitCode(ExitStatus.invalid)
        }

        var options = RunOptions()
        options.gracePeriod = grace
        options.manifestPath = manifest
        let engine: RunEngine
        do {
            engine = try RunEngine(pipeline: pipeline, plan: report, secrets: secrets, options: options)
        } catch {
            FileHandle.standardError.write(Data("\(file): error: \(error.description)\n".utf8))
            throw ExitCode(ExitStatus.itemsFailed)
        }
        let progress = ProgressReporter(stats: engine.stageStats, mode: progress, interval: progressInterval, secrets: secrets)
        engine.onFailure = { progress.failure($0) }

        let runTask = Task { await engine.run() }
        let grace = self.grace
        let trap = SignalTrap(onFirst: { signo in
            engine.control.stop(.interrupted)
            let name = signo == SIGTERM ? "SIGTERM" : "interrupt"
            let inFlight = engine.stageStats.map(\.snapshot.inFlight).reduce(0, +)
            progress.message("\(name): starting nothing new; waiting up to \(Int(grace))s for \(inFlight) calls in flight (Ctrl-C again to quit now)")
            Task {
                try? await Task.sleep(for: .seconds(grace))
                runTask.cancel()
            }
        }, onSecond: {
            engine.manifest.flush()
            FileHandle.standardError.write(Data("quitting now; the manifest holds what finished\n".utf8))
            Foundation.exit(ExitStatus.interrupted)
        })
        progress.begin()
        let result = await runTask.value
        trap.cancel()
        progress.end()

        let displayManifest = manifest ?? RelativePath.join(pipeline.displayOutputDirectory, "manifest.jsonl")
        print(secrets.redact(RunSummaryPrinter.text(result, displayManifest: displayManifest, budget: pipeline.spec.budgetUSD)), terminator: "")
        if result.stopReason == .interrupted { throw ExitCode(ExitStatus.interrupted) }
        if !result.allSucceeded { throw ExitCode(ExitStatus.itemsFailed) }
    }
}

extension ProgressReporter.Mode: ExpressibleByArgument {}
