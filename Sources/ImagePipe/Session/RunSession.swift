import Foundation

/// The "run a pipeline" use case, owned by the library so that the CLI and the tests run the
/// same sequence: `prepare` (validate, plan, check credentials and stage names, lock the
/// ledger, set the engine up) → `run` (events to the consumers) → `close` (record the ending,
/// notify, unlock), returning a `RunOutcome` that maps to the exit code.
public final class RunSession: @unchecked Sendable {
    public struct Request: Sendable {
        public var path: String
        /// How messages name the file (the path as the user typed it); nil is `path`.
        public var displayPath: String?
        public var environment: [String: String]
        public var options: RunOptions
        /// The ledger file; nil is the pipeline's `state:`, else `.imagepipe/NAME.sqlite`.
        public var statePath: String?
        /// False runs without a ledger: everything runs, only the manifest records it.
        public var usesLedger = true
        public var secrets: SecretSet
        /// Stops the run (an interrupt) from outside.
        public var control = RunControl()
        /// The stage and provider kinds the language knows.
        var registry = ComponentRegistry.builtIn

        public init(path: String, environment: [String: String] = ProcessInfo.processInfo.environment, options: RunOptions = RunOptions(),
                    statePath: String? = nil, secrets: SecretSet = SecretSet()) {
            self.path = path
            self.environment = environment
            self.options = options
            self.statePath = statePath
            self.secrets = secrets
        }
    }

    /// Why a run did not start, as lines for standard error, and how it ends.
    public struct Refusal: Error, Sendable {
        public var lines: [String]
        public var outcome: RunOutcome
    }

    public let pipeline: CompiledPipeline
    public let plan: PlanReport
    public let engine: RunEngine
    /// The validator's warnings (errors refuse the run), rendered with secrets masked.
    public let warnings: String
    /// The manifest as the user would type its path.
    public let displayManifest: String
    let ledger: (any LedgerStore)?
    let notifier: Notifier
    let secrets: SecretSet
    let info: RunInfo
    /// The run's task once started, so that an interrupt can cancel calls past the grace period.
    private let lock = NSLock()
    private var task: Task<RunEngine.Result, Never>?

    /// Checks everything a run needs before anything is called or paid for.
    public static func prepare(_ request: Request) throws(Refusal) -> RunSession {
        let secrets = request.secrets
        // Strict: a missing environment variable stops the run before anything is called.
        var validator = PipelineValidator(environment: request.environment, strict: true, secrets: secrets)
        validator.registry = request.registry
        let outcome = validator.validate(path: request.path, displayPath: request.displayPath)
        var report: PlanReport?
        if outcome.isValid, let pipeline = outcome.pipeline {
            let ledgerPath = request.statePath ?? Ledger.defaultPath(for: pipeline)
            var selection = ItemSelection(limit: request.options.limit, keys: request.options.keys.isEmpty ? nil : Set(request.options.keys),
                                          condition: request.options.condition.map { ($0, request.options.conditionText) },
                                          shard: request.options.shard)
            // Only a partial run needs the ledger before it is locked (read-only): `--retry-failed` for
            // its unfinished keys, and the plan to count the rest as done earlier; reading it twice
            // would slow a full resume.
            var done: LedgerSnapshot?
            if !selection.isEverything || request.options.retryFailed, request.usesLedger {
                let existing = try? LedgerStores.existing(ledgerPath, pipeline: pipeline.spec.name)
                if request.options.retryFailed { selection.unfinished = (try? existing?.unfinishedKeys()) ?? [] }
                if !request.options.forceAll { done = try? existing?.successes() }
            }
            report = PlanBuilder(pipeline: pipeline, diagnostics: outcome.diagnostics, sampleCount: 0, cache: done,
                                 stateFolder: request.usesLedger ? Ledger.folderPlace(ledgerPath, for: pipeline) : nil,
                                 selection: selection, environment: request.environment).build()
        }
        let rendered = DiagnosticFormat.text.render(outcome.diagnostics.sorted(), secrets: secrets)
        guard let pipeline = outcome.pipeline, let report, !outcome.diagnostics.hasErrors else {
            throw Refusal(lines: rendered.split(separator: "\n").map(String.init), outcome: .refused)
        }
        let file = request.displayPath ?? request.path
        // Names given to --force and --only must be stages.
        let names = pipeline.stages.map(\.name)
        for name in request.options.forcedStages.sorted() + (request.options.only.map { [$0] } ?? []) where !names.contains(name) {
            let hint = DidYouMean.hint(for: name, among: names) ?? "stages: " + names.joined(separator: ", ")
            throw Refusal(lines: ["\(file): error: no stage named '\(name)'; \(hint)"], outcome: .refused)
        }
        var ledger: (any LedgerStore)?
        if request.usesLedger {
            do {
                let path = request.statePath ?? Ledger.defaultPath(for: pipeline)
                // A shared ledger's password (in its URL, or PGPASSWORD) is masked like any secret.
                LedgerStores.secrets(of: path, environment: request.environment).forEach(secrets.register)
                let opened = try LedgerStores.open(path, pipeline: pipeline.spec.name)
                opened.workers?.lease = request.options.lease
                // A ledger named by `state:` or `--state` may be shared on purpose; the default one
                // is found by `name:` alone, which two files can share by mistake.
                if request.statePath == nil, pipeline.spec.state == nil, let other = try opened.claim(for: pipeline.files.pipelineFile) {
                    let display = Ledger.displayPath(path, for: pipeline)
                    throw Refusal(lines: ["\(file): error: \(Ledger.shown(other)) and \(file) are both named '\(pipeline.spec.name)', so they would share the ledger "
                                          + "\(display): their records would mix and each would lock the other out; give this pipeline its own 'name:', "
                                          + "or set 'state:' to a ledger of its own (or to \(display), to share it on purpose)"], outcome: .refused)
                }
                try opened.lock()
                try (opened as? PostgresLedger)?.checkJoin(pipelineSHA256: RunEngine.pipelineHash(pipeline))
                ledger = opened
            } catch let refusal as Refusal {
                throw refusal
            } catch {
                throw Refusal(lines: ["\(file): error: \(error)"], outcome: .refused)
            }
        }
        let engine: RunEngine
        do {
            engine = try RunEngine(pipeline: pipeline, plan: report, secrets: secrets, options: request.options,
                                   control: request.control, ledger: ledger, environment: request.environment)
        } catch {
            ledger?.unlock()
            throw Refusal(lines: ["\(file): error: \(error.description)"], outcome: .setupFailed)
        }
        return RunSession(pipeline: pipeline, plan: report, engine: engine, warnings: rendered, ledger: ledger, secrets: secrets,
                          manifest: request.options.manifestPath)
    }

    private init(pipeline: CompiledPipeline, plan: PlanReport, engine: RunEngine, warnings: String, ledger: (any LedgerStore)?, secrets: SecretSet,
                 manifest: String?) {
        self.pipeline = pipeline
        self.plan = plan
        self.engine = engine
        self.warnings = warnings
        self.ledger = ledger
        self.secrets = secrets
        displayManifest = manifest ?? RelativePath.join(pipeline.displayOutputDirectory, "manifest.jsonl")
        notifier = Notifier(specs: pipeline.spec.notify, secrets: secrets, clock: engine.control.clock)
        let engine = engine
        info = RunInfo(pipeline: pipeline.spec.name, runID: engine.runID.map(String.init) ?? UUID().uuidString, manifest: displayManifest,
                       stages: { engine.stageStats.map(\.snapshot) })
        notifier.onWarning = { [engine] text in await engine.emit(.warning(text)) }
        engine.subscribe(notifier)
    }

    /// Adds a consumer of the run's events (progress); before `run()`.
    public func subscribe(_ consumer: any RunEventConsumer) { engine.subscribe(consumer) }

    /// Streams every item through the DAG; the `started` event goes out first.
    public func run() async -> RunEngine.Result {
        let engine = engine
        let info = info
        let task = Task {
            await engine.emit(.started(info))
            return await engine.run()
        }
        lock.withLock { self.task = task }
        return await task.value
    }

    /// Ctrl-C: nothing new starts; calls in flight get `grace` seconds to finish, then are cancelled.
    public func interrupt(grace: Double) {
        engine.control.stop(.interrupted)
        let clock = engine.control.clock
        Task {
            try? await clock.sleep(for: grace)
            self.lock.withLock { self.task }?.cancel()
        }
    }

    /// Records how the run ended in the ledger, tells the consumers, lets the next run take the
    /// lock, and says how it ended.
    public func close(_ result: RunEngine.Result) async -> RunOutcome {
        let outcome = RunOutcome(result)
        engine.closeLedger(result: result, exitCode: outcome.exitCode)
        await engine.emit(.ended(info, result, outcome))
        await notifier.shutdown()
        ledger?.unlock()
        return outcome
    }

    /// The summary table, secrets masked.
    public func summary(_ result: RunEngine.Result) -> String {
        secrets.redact(RunSummaryPrinter.text(result, displayManifest: displayManifest, budget: pipeline.spec.budgetUSD))
    }
}

extension Notifier: RunEventConsumer {
    public func handle(_ event: RunEvent) async {
        switch event {
        case .started(let info):
            await send(Summary(pipeline: info.pipeline, runID: info.runID, event: .start, status: "running", stages: info.stages(),
                               costUSD: 0, duration: 0, manifest: info.manifest))
        case .ended(let info, let result, let outcome):
            await send(Summary(pipeline: info.pipeline, runID: info.runID, event: .finish, status: outcome.status, stages: result.stages,
                               costUSD: result.spentUSD, duration: result.duration, manifest: info.manifest))
        default:
            break
        }
    }
}
