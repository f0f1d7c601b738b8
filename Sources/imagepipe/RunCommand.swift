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
        Finished work is recorded in a ledger (SQLite) and skipped when run again with the same fingerprint and \
        the file intact; see --force, --only, --limit, --key, --where, --retry-failed.
        Exit codes: 0 every item succeeded, 1 some failed or the budget was reached, 2 invalid pipeline, usage, \
        an unwritable output or ledger folder, or another run of the pipeline in progress, 4 stopped by a full disk \
        or an unwritable folder during the run, 130 interrupted.
        """
    )

    @OptionGroup var pipelineOptions: PipelineOptions

    @Option(help: "Progress display: auto (live on a terminal, plain lines otherwise), live, plain or none.")
    var progress: ProgressReporter.Mode = .auto

    @Option(help: "Seconds between plain progress lines.")
    var progressInterval: Double = 5

    @Option(help: "Seconds that calls in flight may take to finish after an interrupt.")
    var grace: Double = 10

    @Option(help: "Where to write the manifest (default: OUTPUT_DIR/manifest.jsonl).")
    var manifest: String?

    @Option(name: .customLong("force"), help: ArgumentHelp("Run this stage again even where the ledger has its results (repeatable). '--force' alone forces every stage.", valueName: "stage"))
    var forceStages: [String] = []

    /// Set by `--force` without a stage (rewritten by `ForceArguments` before parsing).
    @Flag(name: .customLong("force-all"), help: "Run every stage again even where the ledger has its results (what '--force' alone means).")
    var forceAll = false

    @Option(help: ArgumentHelp("Run only this stage; the others pass on what the ledger already holds.", valueName: "stage"))
    var only: String?

    @Option(help: "Only the first N items of each source, for a trial.")
    var limit: Int?

    @Flag(help: "Only the items whose last attempt failed (or was skipped or cancelled).")
    var retryFailed = false

    @Option(name: .customLong("key"), help: ArgumentHelp("Only the item with this key (repeatable).", valueName: "key"))
    var keys: [String] = []

    @Option(name: .customLong("where"), help: ArgumentHelp("Only the items whose fields meet this condition, e.g. 'category == \"shoes\"' (the language of a stage's 'when:').", valueName: "condition"))
    var condition: String?

    @Option(help: ArgumentHelp("Only the items whose key hashes to shard I of N (1 to N), for a CI matrix or a Kubernetes Indexed Job; 'auto/N' reads JOB_COMPLETION_INDEX (0-based). 'imagepipe merge' combines the shards' manifests.", valueName: "I/N"))
    var shard: String?

    @Flag(help: "Re-hash every cached file instead of trusting its recorded size.")
    var verify = false

    @Flag(name: .customLong("cancel-remote"), help: "On Ctrl-C, cancel jobs waiting at queued providers (fal, Replicate) instead of leaving them for the next run to collect; they may be paid either way.")
    var cancelRemote = false

    @Flag(name: .customLong("no-wait"), help: "Send batch-mode stages' batches and leave without waiting for them (exit 3: work pending remotely); a later run collects them.")
    var noWait = false

    @Option(help: ArgumentHelp("With a PostgreSQL ledger (many workers): how long a worker's claim on an item holds without renewal, e.g. 60s (renewed at a third of that). Another worker takes over the items of one that is gone once it runs out.", valueName: "duration"))
    var lease: String = "60s"

    @Option(help: ArgumentHelp("Receive queued providers' webhooks (fal, Replicate) on this address while the run lasts; jobs are then polled only as a fallback.", valueName: "HOST:PORT"))
    var listen: String?

    @Option(name: .customLong("public-url"), help: ArgumentHelp("The address providers reach --listen at (a tunnel or load balancer); default http://HOST:PORT.", valueName: "URL"))
    var publicURL: String?

    @Option(help: ArgumentHelp("Write a JUnit XML report here when the run ends: one test case per (stage, item), for CI.", valueName: "file"))
    var junit: String?

    func validate() throws {
        guard grace >= 0 else { throw ValidationError("--grace must be 0 or more") }
        guard progressInterval > 0 else { throw ValidationError("--progress-interval must be more than 0") }
        if let limit { guard limit > 0 else { throw ValidationError("--limit must be 1 or more") } }
        _ = try WhereArgument.parse(condition)
        _ = try ShardArgument.parse(shard)
        _ = try ListenArgument.parse(listen: listen, publicURL: publicURL)
        guard let seconds = DurationParser.seconds(lease), seconds >= 1 else {
            throw ValidationError("--lease: write a duration of 1s or more, like 60s or 2m")
        }
    }

    func run() async throws {
        var options = RunOptions()
        options.manifestPath = manifest
        options.forceAll = forceAll
        options.forcedStages = Set(forceStages)
        options.only = only
        options.limit = limit
        options.retryFailed = retryFailed
        options.keys = keys
        options.condition = try WhereArgument.parse(condition)
        options.conditionText = condition ?? ""
        options.verify = verify
        options.cancelRemote = cancelRemote
        options.noWait = noWait
        options.listen = try ListenArgument.parse(listen: listen, publicURL: publicURL)
        options.shard = try ShardArgument.parse(shard)
        options.lease = DurationParser.seconds(lease) ?? 60
        let secrets = SecretSet()
        let session: RunSession
        do {
            session = try RunSession.prepare(RunSession.Request(path: pipelineOptions.file, options: options, statePath: pipelineOptions.state, secrets: secrets))
        } catch {
            StandardStream.error.write(error.lines.map { $0 + "\n" }.joined())
            throw ExitCode(error.outcome.exitCode)
        }
        if !session.warnings.isEmpty { StandardStream.error.write(session.warnings) }

        let engine = session.engine
        let progress = ProgressReporter(stats: engine.stageStats, mode: progress, interval: progressInterval, secrets: secrets,
                                         traffic: { [engine] in engine.providerTraffic })
        session.subscribe(progress)
        if let junit { session.subscribe(JUnitReport(path: junit, secrets: secrets)) }
        if let summary = ProcessInfo.processInfo.environment[StepSummary.variable], !summary.isEmpty {
            session.subscribe(StepSummary(path: summary, secrets: secrets, environment: ProcessInfo.processInfo.environment))
        }
        let grace = self.grace
        let trap = SignalTrap(onFirst: { signo in
            let name = signo == SIGTERM ? "SIGTERM" : "interrupt"
            let inFlight = engine.stageStats.map(\.snapshot.inFlight).reduce(0, +)
            progress.message("\(name): starting nothing new; waiting up to \(Int(grace))s for \(inFlight) calls in flight (Ctrl-C again to quit now)")
            session.interrupt(grace: grace)
        }, onSecond: {
            engine.manifest.flush()
            StandardStream.error.write("quitting now; the manifest holds what finished\n")
            Foundation.exit(ExitStatus.interrupted)
        })
        progress.begin()
        let result = await session.run()
        trap.cancel()
        progress.end()
        let outcome = await session.close(result)
        StandardStream.output.write(session.summary(result))
        if outcome != .succeeded { throw ExitCode(outcome.exitCode) }
    }
}

extension ProgressReporter.Mode: ExpressibleByArgument {}
