import Crypto
import Foundation

/// Runs a compiled pipeline: streams every source, sends each item through the DAG on its own
/// (item 7 may finish while item 900 waits for its turn), under the stages' and providers'
/// limits, with retries, the budget, and a manifest line per (stage, item).
public final class RunEngine: Sendable {
    public struct Result: Sendable {
        public var stages: [StageStats.Snapshot]
        public var stopReason: RunControl.StopReason?
        public var spentUSD: Double
        public var duration: Double
        /// `manifest.jsonl`: the current state of every (stage, item), this run's and earlier ones'.
        public var manifestPath: String
        /// `runs/RUN_ID.jsonl`: what this run did, line by line.
        public var runManifestPath: String
        /// The full disk or unwritable folder that stopped the run.
        public var fault: LocalFault?
        /// Images this run wrote.
        public var imagesWritten = 0
        /// Images paid for that could not be written (`paid_not_written`).
        public var paidNotWritten = 0
        /// Each provider's answers: throttled ones and the pace it settled at.
        public var providers: [ProviderTraffic] = []
        /// Queued providers' jobs: how many waited remotely, re-attached, and were asked after.
        public var queues: [JobQueue.Counts] = []
        /// Batch-mode stages: batches this run created and the lines they held.
        public var batches: [(stage: String, batches: Int, lines: Int)] = []

        public var notStarted: Int { stages.reduce(0) { $0 + max(0, $1.expected - $1.finished) } }
        public var allSucceeded: Bool {
            stopReason == nil && stages.allSatisfy { $0.failedCount == 0 && $0.skipped == 0 && $0.cancelled == 0 && $0.submitted == 0 }
        }
        /// Nothing failed, but some items wait in remote batches.
        public var onlyPendingRemotely: Bool {
            stopReason == nil && stages.contains { $0.submitted > 0 } && stages.allSatisfy { $0.failedCount == 0 && $0.skipped == 0 && $0.cancelled == 0 }
        }
    }

    let pipeline: CompiledPipeline
    let secrets: SecretSet
    let options: RunOptions
    public let control: RunControl
    public let budget: BudgetGate
    let transport: HTTPTransport
    /// One per provider, in the pipeline's order.
    let providerGates: [ProviderGate]
    public let manifest: ManifestWriter
    let currentManifestPath: String
    /// The run's name in its manifest lines and file: the ledger's run id, else the time and process.
    let runName: String
    /// Set once anything reaches the ledger, so that a run with nothing new leaves the manifest be.
    private let recordedAny = OnceFlag()
    /// A worker that saw the shared run finished: every item's outcome is in the ledger.
    let sawRunFinished = OnceFlag()
    let breaker: LocalFaultBreaker
    let stages: [StageRuntime]
    let rootsBySource: [String: [StageRuntime]]
    /// Joins by their source, in dependency order: run once an item's other stages are done with it.
    let joinsBySource: [String: [StageRuntime]]
    /// With `--only`: the stages above it (through joins too), which pass on what the ledger holds.
    private let aboveOnly: Set<String>
    let probe: CacheProbe
    let admission: AsyncSemaphore
    let ledger: (any LedgerStore)?
    public let runID: Int64?
    let cache: LedgerSnapshot
    let writer: LedgerWriter?
    /// The items asked for (`--limit`, `--key`, `--retry-failed`), as the plan counted them.
    let selection: ItemSelection
    /// Successes other workers recorded for items this worker claimed (a lease that ran out, a
    /// later stage's claim), by key, with the claims that use them.
    let reclaimed = Locked<[String: (claims: Int, done: LedgerSnapshot)]>([:])
    /// Each stage's ancestors, for claims stage by stage.
    let stagesAbove: [String: Set<String>]
    let rootNames: Set<String>
    /// Who hears the run's events: the manifest and the ledger from the start, then whoever subscribes.
    private let consumers = RunEventConsumers()

    /// Batch-mode stages' collectors, by stage.
    let batchCollectors = Locked<[String: BatchCollector]>([:])
    /// Units waiting in remote batches without a task of their own.
    let parking: ParkingLot

    /// The webhook receiver of `run --listen`, and the port it is bound to.
    let receiver: WebhookReceiver?
    public let listeningPort: Int?

    public struct SetupFailure: Error, CustomStringConvertible {
        public var description: String
    }

    /// With a `ledger` (locked by the caller), finished work is skipped and every result is
    /// recorded; without one, everything runs and only the manifest records it.
    package init(pipeline: CompiledPipeline, plan: PlanReport, secrets: SecretSet, options: RunOptions = RunOptions(),
                control: RunControl = RunControl(), ledger: (any LedgerStore)? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws(SetupFailure) {
        self.pipeline = pipeline
        self.ledger = ledger
        if let ledger {
            do {
                cache = options.forceAll ? LedgerSnapshot() : try ledger.successes()
                runID = try ledger.beginRun(pipelineSHA256: Self.pipelineHash(pipeline))
            } catch {
                throw SetupFailure(description: error.description)
            }
            writer = LedgerWriter(ledger: ledger, runID: runID!)
            // The ledger's own trouble is a warning, not a failure: the files and manifest hold the work.
            writer?.onFailure = { [consumers] message in Task { await consumers.emit(.warning(message)) } }
            let ledgerPlace = Ledger.displayPath(ledger.path, for: pipeline)
            writer?.onFault = { [control] fault in
                var named = fault
                named.place = ledgerPlace
                control.stop(for: named)
            }
        } else {
            cache = LedgerSnapshot()
            runID = nil
            writer = nil
        }
        self.secrets = secrets
        self.options = options
        self.control = control
        selection = plan.selection
        breaker = LocalFaultBreaker(control: control)
        budget = BudgetGate(limit: pipeline.spec.budgetUSD)
        let largest = pipeline.stages.map(\.concurrency).max() ?? 1
        let providerLimits = pipeline.spec.providers.map { $0.concurrency ?? 0 }.max() ?? 0
        transport = HTTPTransport(connectionsPerHost: max(largest, providerLimits))
        // Jobs waiting at a queued provider hold no slot: room for as many items as may wait there.
        // Batch lines wait parked, without room here, unless a join waits for them in the item's task.
        let feedingJoins = pipeline.stagesFeedingJoins
        let waitingRemotely = max(pipeline.spec.providers.filter(\.component.isQueued).map { QueueSettings($0).maxQueued }.max() ?? 0,
                                  pipeline.stages.filter { ledger?.workers != nil || feedingJoins.contains($0.name) }.map(\.body.waitingRemotely).max() ?? 0)
        admission = AsyncSemaphore(permits: options.itemsInFlight ?? max(16, 2 * largest, largest + waitingRemotely))
        parking = ParkingLot(window: admission.limit)
        do {
            currentManifestPath = options.manifestPath ?? pipeline.outputDirectory + "/manifest.jsonl"
            runName = runID.map { id in
                // Workers of one run write their own lines: `runs/<run_id>-<host>-<pid>.jsonl`.
                ledger?.workers == nil ? String(id) : "\(id)-\(WorkQueue.hostForFiles)-\(getpid())"
            } ?? String(Int(Date().timeIntervalSince1970)) + "-" + String(getpid())
            manifest = try ManifestWriter(path: pipeline.outputDirectory + "/runs/\(runName).jsonl", secrets: secrets)
        } catch {
            transport.shutdownNow()
            throw SetupFailure(description: error.description)
        }
        let manifestPlace = RelativePath.join(pipeline.displayOutputDirectory, "runs/\(runName).jsonl")
        manifest.onFault = { [control] code in
            if let fault = LocalFault(errno: code, place: manifestPlace) { control.stop(for: fault) }
        }

        consumers.add(manifest)
        if let writer { consumers.add(writer) }
        probe = CacheProbe(outputDirectory: pipeline.outputDirectory, verify: options.verify, mayCopy: true)

        var gates: [String: ProviderGate] = [:]
        var providers: [String: ImageProvider] = [:]
        for spec in pipeline.spec.providers {
            let callback = options.listen.flatMap { spec.component.isQueued ? WebhookReceiver.callbackURL(publicURL: $0.publicURL, provider: spec.name) : nil }
            let gate = ProviderGate(provider: spec, clock: control.clock, callbackURL: callback)
            gates[spec.name] = gate
            providers[spec.name] = spec.component.make(spec, transport: gate.watching(transport), workingDirectory: pipeline.files.directory)
        }
        providerGates = pipeline.spec.providers.compactMap { gates[$0.name] }
        if let shared = ledger as? PostgresLedger, let runID {
            do {
                let limits = try shared.limits(runID: runID)
                budget.shared = limits
                for gate in providerGates {
                    gate.shared = limits
                    try gate.rebalanceSlots(usable: Self.usableSlots(of: gate.name, in: pipeline))
                }
            } catch {
                transport.shutdownNow()
                throw SetupFailure(description: "\(error)")
            }
        }
        if let listen = options.listen {
            do {
                (receiver, listeningPort) = try Self.listen(listen, providers: pipeline.spec.providers, gates: gates, transport: transport, environment: environment)
            } catch {
                transport.shutdownNow()
                throw error
            }
        } else {
            receiver = nil
            listeningPort = nil
        }
        let planned = Dictionary(plan.stages.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        // Built from the leaves up, so that each stage is made with its children.
        var byName: [String: StageRuntime] = [:]
        for stage in pipeline.stages.reversed() {
            let setup = ConnectionSetup(stage: stage.name, transport: transport, environment: environment, secrets: secrets,
                                        provider: stage.provider.flatMap { providers[$0.name] }, pipeline: pipeline.spec.name, run: runName)
            let connection: (any StageConnection)?
            do {
                connection = try stage.body.connect(setup)
            } catch {
                transport.shutdownNow()
                receiver?.stopNow()
                throw SetupFailure(description: error.description)
            }
            let unitEnvironment = UnitEnvironment(pipeline: pipeline, stage: stage, environment: environment,
                                                  connection: connection)
            let gate = stage.provider.flatMap { gates[$0.name] } ?? ProviderGate(name: "stage '\(stage.name)'", clock: control.clock)
            byName[stage.name] = StageRuntime(stage: stage, environment: unitEnvironment, gate: gate, planned: planned[stage.name],
                                              children: pipeline.children(of: stage.name).compactMap { byName[$0.name] },
                                              feedsJoin: feedingJoins.contains(stage.name))
        }
        stages = pipeline.stages.compactMap { byName[$0.name] }
        rootsBySource = Dictionary(grouping: stages.filter { byName[$0.stage.inputName] == nil }, by: \.stage.inputName)
        joinsBySource = Dictionary(grouping: stages.filter(\.stage.isJoin), by: \.stage.rootSource)
        aboveOnly = options.only.map { pipeline.stagesAbove($0) } ?? []
        stagesAbove = Dictionary(uniqueKeysWithValues: pipeline.stages.map { ($0.name, pipeline.stagesAbove($0.name)) })
        rootNames = Set(rootsBySource.values.flatMap { $0.map(\.name) })
    }

    public var stageStats: [StageStats] { stages.map(\.stats) }

    /// The calls to a provider this process's stages can have at once.
    static func usableSlots(of provider: String, in pipeline: CompiledPipeline) -> Int {
        pipeline.stages.filter { $0.provider?.name == provider }.map(\.concurrency).reduce(0, +)
    }

    /// Each provider's traffic so far (answers, 429s, the pace it is held to).
    public var providerTraffic: [ProviderTraffic] { providerGates.map(\.traffic) }

    static func pipelineHash(_ pipeline: CompiledPipeline) -> String {
        let name = (pipeline.files.displayPipeline as NSString).lastPathComponent
        let bytes = FileManager.default.contents(atPath: pipeline.files.directory + "/" + name) ?? Data()
        return Hex.string(SHA256.hash(data: bytes))
    }

    /// Records how the run ended in the ledger, and lets the next run take the lock.
    public func closeLedger(result: Result, exitCode: Int32) {
        guard let ledger, let runID else { return }
        let stop: String? = result.stopReason.map {
            switch $0 {
            case .budget: return "budget"
            case .interrupted: return "interrupted"
            case .localFault: return "local_fault"
            }
        }
        ledger.endRun(runID, exitCode: exitCode, stopReason: stop, costUSD: result.spentUSD, stages: result.stages.map {
            Ledger.StageTotals(stage: $0.name, expected: $0.expected, succeeded: $0.succeeded, failed: $0.failedCount,
                               skipped: $0.skipped + $0.cancelled, cached: $0.cached, costUSD: $0.costUSD)
        }, providers: result.providers)
    }

    /// Adds a consumer of the run's events (progress, notifications); before `run()`.
    public func subscribe(_ consumer: any RunEventConsumer) { consumers.add(consumer) }

    func emit(_ event: RunEvent) async { await consumers.emit(event) }

    public func run() async -> Result {
        let start = ContinuousClock.now
        await withDiscardingTaskGroup { run in
            run.addTask { await self.parking.serve { woken in await self.processUnit(woken.parked.runtime, woken.parked.unit, resuming: woken) } }
            if let queue = ledger?.workers {
                await work(from: queue)
            } else {
                await withDiscardingTaskGroup { group in
                    for source in pipeline.sources {
                        guard let roots = rootsBySource[source.name], !roots.isEmpty else { continue }
                        group.addTask { await self.stream(source, into: roots) }
                    }
                }
            }
            parking.sourcesEnded()
        }
        if let failure = budget.sharedFailure {
            await emit(.warning("the run's budget could not be read from the shared ledger (\(failure)), so no new paid call started; run again once the database answers"))
        }
        await breaker.writeKeptAnswers()
        await receiver?.stop()
        for collector in batchCollectors.withLock({ Array($0.values) }) { collector.cleanUp() }
        manifest.flush()
        await transport.shutdown()
        await writeCurrentManifest()
        let elapsed = ContinuousClock.now - start
        return Result(stages: stages.map(\.stats.snapshot), stopReason: control.stopReason, spentUSD: budget.spent,
                      duration: elapsed.inSeconds, manifestPath: currentManifestPath, runManifestPath: manifest.path,
                      fault: control.fault, imagesWritten: breaker.written, paidNotWritten: breaker.lost,
                      providers: providerGates.map(\.traffic).filter { $0.answered > 0 },
                      queues: providerGates.compactMap { gate in gate.queue.map { $0.counts(provider: gate.name) } }.filter { $0.jobs > 0 },
                      batches: batchCollectors.withLock { $0.values.map { ($0.stage, $0.counts.batches, $0.counts.lines) } }.sorted { $0.stage < $1.stage })
    }

    /// `manifest.jsonl` from the ledger: every (stage, item) as it last ended. Without a ledger,
    /// this run's lines are all there is.
    private func writeCurrentManifest() async {
        // A run that recorded nothing (everything was done before) leaves the current state as it was.
        if !recordedAny.value, FileManager.default.fileExists(atPath: currentManifestPath) { return }
        // Workers sharing this output folder that all saw the run finished write the same file: the
        // one writing it now writes everything, and the others leave it to that one.
        var writing: ManifestWriterLock?
        if sawRunFinished.value {
            writing = ManifestWriterLock(beside: currentManifestPath)
            if writing == nil { return }
        }
        defer { writing?.release() }
        do {
            if let ledger {
                try ledger.writeCurrentManifest(to: currentManifestPath, stageOrder: pipeline.stages.map(\.name))
            } else {
                let lines = FileManager.default.contents(atPath: manifest.path) ?? Data()
                try AtomicFile.write(Array(lines), to: currentManifestPath)
            }
        } catch {
            // Written aside and renamed into place: the manifest that was there stays whole.
            await emit(.warning("\(error); the manifest from before is kept as it was, and this run's lines are in \(manifest.path)"))
        }
    }

    // MARK: - Items

    private func stream(_ source: CompiledSource, into roots: [StageRuntime]) async {
        guard var items = SourceItems(source, files: pipeline.files) else { return }
        let joins = joinsBySource[source.name] ?? []
        await withDiscardingTaskGroup { group in
            while !control.isStopping {
                guard let (count, item) = items.next() else { break }
                if selection.readsPast(row: count) { break }
                // The plan checked every key before the run; one that fails now (the file changed
                // underneath) is left out, as the plan would report it.
                guard let context = item else { continue }
                if !selection.selects(row: count, key: context.key, fields: context) { continue }
                do { try await admission.acquire() } catch { break }
                if control.isStopping {
                    admission.release()
                    break
                }
                group.addTask {
                    await self.runItem(context, roots: roots, joins: joins)
                    self.admission.release()
                }
            }
        }
    }

    /// One source item through its roots, then its joins.
    func runItem(_ item: ItemContext, roots: [StageRuntime], joins: [StageRuntime]) async {
        var context = item
        if !joins.isEmpty { context.joins = JoinCollector() }
        await send(context, to: roots)
        // Everything above the joins is done with this item: they run now.
        for join in joins { await self.join(join, context) }
    }

    func send(_ context: ItemContext, to stages: [StageRuntime]) async {
        if stages.count == 1 { return await process(stages[0], context) }
        await withDiscardingTaskGroup { group in
            for stage in stages { group.addTask { await self.process(stage, context) } }
        }
    }

    private func process(_ runtime: StageRuntime, _ incoming: ItemContext) async {
        // `when:` false: not this stage's item, nor its children's.
        guard runtime.takes(incoming) else { return }
        // A claim for one stage: only the stages on its path run (those above pass on the ledger's).
        if let claim = incoming.claim, claim.passesOn(runtime.name), stagesAbove[claim.stage]?.contains(runtime.name) != true { return }
        let expansion = runtime.stage.expansion
        if expansion.isIdentity {
            await processUnit(runtime, incoming)
        } else {
            await withDiscardingTaskGroup { group in
                for unit in expansion.units(of: incoming) { group.addTask { await self.processUnit(runtime, unit) } }
            }
        }
    }

    /// Whether `claim` runs this stage (rather than passing on what the ledger holds).
    func isClaimed(_ runtime: StageRuntime, by claim: StageClaim) -> Bool {
        claim.stage.isEmpty ? rootNames.contains(runtime.name) : claim.stage == runtime.name
    }

    /// The claim is done with the item: each child of a claimed stage that made a unit is claimed
    /// in turn, by whichever worker is free (its `when:` is tested there, on each unit). Queued
    /// before this claim is marked done, so the run never looks finished in between.
    func queueChildren(of claim: StageClaim, source: String, key: String, in queue: WorkQueue) async {
        for runtime in stages where isClaimed(runtime, by: claim) && claim.made.contains(runtime.name) && runtime.stage.rootSource == source {
            for child in runtime.children {
                await writer?.batch(.workQueued(run: queue.runID, source: source, row: claim.row, key: key, stage: child.name))
            }
        }
    }

    /// One unit through one stage, the same for every kind: render → fingerprint → cache →
    /// `--only` → attempts (under the limits and the budget) → commit → ledger → downstream.
    /// `resuming`: a parked unit whose batch has ended, carried on from its attempt in the parking
    /// lot's window (so that a batch of 50,000 results is read a window at a time).
    private func processUnit(_ runtime: StageRuntime, _ unit: ItemContext, resuming: WokenUnit? = nil) async {
        guard resuming != nil || !control.isHalted else { return }
        var outcome = ItemOutcome(stage: runtime.name, context: unit, status: .failed)
        outcome.model = runtime.stage.model
        outcome.provider = runtime.stage.provider?.name
        let prepared: any PreparedUnit
        do {
            prepared = try runtime.stage.body.prepare(unit, runtime.environment)
        } catch {
            // A parked unit was prepared before; the same fields cannot fail now, but never hang on it.
            if resuming?.parked.reserved == true { budget.settle(runtime.stage.body.price?.usd ?? 0, spent: false) }
            outcome.failureClass = error.failureClass
            outcome.message = error.message
            return await finish(runtime, outcome, context: unit, wasInFlight: resuming != nil, fingerprint: nil)
        }
        await run(prepared, runtime, unit, outcome, resuming: resuming)
    }

    private func run<U: PreparedUnit>(_ prepared: U, _ runtime: StageRuntime, _ unit: ItemContext, _ start: ItemOutcome,
                                      resuming: WokenUnit? = nil) async {
        var outcome = start
        prepared.describe(&outcome)
        let stage = runtime.name
        let item = unit.itemID
        let fingerprint = prepared.fingerprint ?? "-"
        // Above a claimed stage, the ledger's result is passed on even under --force: this run's own claim made it.
        let passingOn = unit.claim?.passesOn(stage) ?? false
        if resuming == nil, !options.isForced(stage) || passingOn,
           let entry = cache.success(stage: stage, item: item, fingerprint: fingerprint)
               ?? reclaimed.withLock({ $0[unit.key] })?.done.success(stage: stage, item: item, fingerprint: fingerprint),
           let outputs = prepared.reuse(entry, probe, into: &outcome) {
            outcome.status = .cached
            if outputs.recordAgain {
                // Same work, new name: copied into place and recorded under the new path.
                var moved = outcome
                moved.status = .succeeded
                moved.attempts = entry.attempts
                moved.costUSD = entry.costUSD
                await record(moved, item: item, fingerprint: fingerprint, url: outputs.ledgerURL)
            }
            return await succeed(runtime, outcome, context: unit, outputs: outputs, wasInFlight: false)
        }
        if resuming == nil, !options.isForced(stage), !options.retryFailed, cache.wasBlocked(stage: stage, item: item, fingerprint: fingerprint) {
            // Sending a refused prompt again unchanged risks the account being flagged.
            outcome.failureClass = .content_policy
            outcome.message = "the provider refused this exact request before (content_policy) and it has not changed, so it was not sent again; "
                + "change the prompt, or send it anyway with --retry-failed"
            return await finish(runtime, outcome, context: unit, wasInFlight: false, fingerprint: nil, record: false)
        }
        if resuming == nil, passingOn, let claim = unit.claim {
            // Above the claimed stage, and neither in the ledger nor found here: made by another
            // worker whose files this machine does not see.
            outcome.status = .skipped
            outcome.failureClass = nil
            outcome.message = "not run here: stage '\(claim.stage)' needs this item's '\(stage)', which is not done or whose file is not on this machine "
                + "(made by another worker); put output_dir on storage every worker shares (see docs/examples/kubernetes-workers.yaml)"
            return await finish(runtime, outcome, context: unit, wasInFlight: false, fingerprint: nil, record: false)
        }
        if resuming == nil, let only = options.only, only != stage {
            // `--only`: other stages pass on what the ledger holds and run nothing.
            guard aboveOnly.contains(runtime.name) else { return }
            outcome.status = .skipped
            outcome.failureClass = nil
            outcome.message = "not run (--only \(only)): stage '\(stage)' has not finished this item; run it first"
            return await finish(runtime, outcome, context: unit, wasInFlight: false, fingerprint: nil, record: false)
        }
        var line: String?
        var unwritten: U.Product?
        var current = prepared
        // Images made before this one and refused by the stage's checks: paid, and counted.
        var regenerations = resuming?.parked.regeneration?.count ?? 0
        var earlierAttempts = resuming?.parked.regeneration?.attempts ?? 0
        var earlierCost = resuming?.parked.regeneration?.cost ?? 0
        /// The last refused image's outcome: what is recorded if its regeneration never starts.
        var refused: ItemOutcome? = resuming?.parked.regeneration?.refused
        if regenerations > 0, let again = prepared.regeneration(regenerations) { current = again }
        var woken = resuming
        var result: CallResult<UnitOutputs>
        while true {
            let unitNow = current
            let keep = { (product: U.Product, outcome: inout ItemOutcome) async throws(CallFailure) -> UnitOutputs in
                try await unitNow.vet(product, into: &outcome)
                let outputs: UnitOutputs
                do throws(CallFailure) {
                    outputs = try unitNow.commit(product, into: &outcome)
                } catch {
                    guard let fault = error.localFault else { throw error }
                    // Every later write would fail the same way: stop new work, keep this answer.
                    self.breaker.trip(fault)
                    unwritten = product
                    var lost = error
                    lost.failureClass = .paid_not_written
                    throw lost
                }
                outcome.status = .succeeded
                if earlierCost > 0 { outcome.costUSD = (outcome.costUSD ?? 0) + earlierCost }
                outcome.attempts += earlierAttempts
                line = await self.record(outcome, item: item, fingerprint: fingerprint, url: outputs.ledgerURL)
                if unitNow.writes != nil { self.breaker.wrote() }
                return outputs
            }
            if let batch = current.batchCall() {
                let place = JobPlace(stage: stage, item: item, fingerprint: fingerprint, key: unit.key, provider: runtime.gate.name)
                let regeneration = regenerations == 0 ? nil : Regeneration(count: regenerations, attempts: earlierAttempts, cost: earlierCost, refused: refused)
                // A join waits for its inputs in the item's task: a stage above one waits there too.
                // A worker of a shared run holds its claim until the item is done: its lines wait in the item's task too.
                let park = runtime.feedsJoin || ledger?.workers != nil ? nil : { (attempt: Int, reserved: Bool, outcome: ItemOutcome) in
                    ParkedUnit(runtime: runtime, unit: unit, attempt: attempt, reserved: reserved,
                               failure: outcome.failureClass.map { ($0, outcome.message) }, retries: outcome.retries, regeneration: regeneration)
                }
                // A root stage's unit is made again from its source row when its batch ends: nothing of it is kept meanwhile.
                let detach = park != nil && regenerations == 0 && runtime.stage.inputName == runtime.stage.rootSource && !runtime.stage.isJoin
                result = await batchAttempts(runtime, price: current.price, outcome: &outcome, batch: batch, collector: collector(for: runtime, batch),
                                             place: place, resuming: woken, park: park, detach: detach, keep: keep)
                woken = nil
            } else if let remote = current.remoteCall(), let queue = runtime.gate.queue {
                let place = JobPlace(stage: stage, item: item, fingerprint: fingerprint, key: unit.key, provider: runtime.gate.name)
                result = await remoteAttempts(runtime, price: current.price, outcome: &outcome, remote: remote, queue: queue, place: place, keep: keep)
            } else {
                result = await attempts(runtime, price: current.price, outcome: &outcome, call: { () async throws(CallFailure) -> U.Product in
                    try await unitNow.call()
                }, keep: keep)
            }
            guard case .failed = result, outcome.failureClass == .check_failed, unwritten == nil,
                  let next = prepared.regeneration(regenerations + 1) else { break }
            // `on_check_failure: regenerate`: made again, the refused image's check in the history.
            regenerations += 1
            earlierAttempts += outcome.attempts
            earlierCost += outcome.costUSD ?? 0
            refused = outcome
            refused?.attempts = earlierAttempts
            refused?.costUSD = earlierCost
            outcome.retries.append((.check_failed, outcome.message ?? ""))
            outcome.failureClass = nil
            outcome.message = nil
            outcome.costUSD = nil
            outcome.checks = []
            outcome.status = .failed
            // The unit stays one unit in flight: the next attempts() counts it as started again.
            runtime.stats.withdrawn()
            current = next
        }
        switch result {
        case .parked: return
        case .notStarted, .cutOff:
            if var kept = refused {
                // The run stopped (or the budget ran out) before the image was made again: the
                // refused one is the item's result, paid. It is no longer counted in flight: its
                // count was withdrawn for a regeneration that never started.
                if case .cutOff = result { kept.message = (kept.message ?? "") + "; not made again: " + budgetMessage }
                return await finish(runtime, kept, context: unit, wasInFlight: false, fingerprint: fingerprint)
            }
            if case .cutOff = result { await finish(runtime, outcome, context: unit, wasInFlight: false, fingerprint: fingerprint) }
        case .failed:
            outcome.attempts += earlierAttempts
            if let product = unwritten {
                // Its own cost is settled by its second write, the refused images' with it.
                return keepForSecondWrite(product, current, runtime, unit, outcome, earlierCost: earlierCost)
            }
            if earlierAttempts > 0 { outcome.costUSD = (outcome.costUSD ?? 0) + earlierCost }
            await finish(runtime, outcome, context: unit, wasInFlight: true, fingerprint: fingerprint)
        case .success(let outputs): await succeed(runtime, outcome, context: unit, outputs: outputs, wasInFlight: true, line: line)
        }
    }

    /// An answer paid for but not written: tried once more when the run winds down, then
    /// recorded as written or as `paid_not_written` (with its cost, which was spent).
    /// `earlierCost`: images refused by the stage's checks before this one, paid either way.
    private func keepForSecondWrite<U: PreparedUnit>(_ product: U.Product, _ prepared: U, _ runtime: StageRuntime, _ unit: ItemContext,
                                                     _ failed: ItemOutcome, earlierCost: Double = 0) {
        let item = unit.itemID
        let fingerprint = prepared.fingerprint ?? "-"
        breaker.keepForSecondWrite { [self] in
            var outcome = failed
            let outputs: UnitOutputs
            do throws(CallFailure) {
                outputs = try prepared.commit(product, into: &outcome)
            } catch {
                let cost = prepared.price + earlierCost
                outcome.costUSD = cost > 0 ? cost : nil
                outcome.message = secrets.redact(error.message) + " (tried twice); the provider was paid for this image but it could not be kept: a later run makes it again"
                await finish(runtime, outcome, context: unit, wasInFlight: true, fingerprint: fingerprint)
                return false
            }
            if earlierCost > 0 { outcome.costUSD = (outcome.costUSD ?? 0) + earlierCost }
            outcome.status = .succeeded
            outcome.failureClass = nil
            outcome.message = nil
            let line = await record(outcome, item: item, fingerprint: fingerprint, url: outputs.ledgerURL)
            await succeed(runtime, outcome, context: unit, outputs: outputs, wasInFlight: true, line: line)
            return true
        }
    }

    /// Records a success (or a cache hit) and sends the item on with what this stage produced.
    private func succeed(_ runtime: StageRuntime, _ outcome: ItemOutcome, context incoming: ItemContext, outputs: UnitOutputs,
                         wasInFlight: Bool, line: String? = nil) async {
        // A stage passed on for a later stage's claim was counted by the claim that made it.
        let passingOn = incoming.claim?.passesOn(runtime.name) ?? false
        if !passingOn {
            await finish(runtime, outcome, context: incoming, wasInFlight: wasInFlight, fingerprint: nil, record: false, line: line)
        }
        if let claim = incoming.claim, isClaimed(runtime, by: claim) {
            // Its children are claimed in turn once the claim is done with the item (SharedWork).
            claim.made.insert(runtime.name)
            return
        }
        let joined = runtime.feedsJoin
        guard !runtime.children.isEmpty || joined else { return }
        var context = incoming
        let output = StageOutput(stage: runtime.name, values: outputs.values, constants: runtime.constants, json: outputs.json)
        if joined { incoming.joins?.record(output, unit: incoming) }
        context.outputs.append(output)
        await send(context, to: runtime.children)
    }

    /// A join for one item: on every unit its stages made, or skipped when one of them failed.
    private func join(_ runtime: StageRuntime, _ item: ItemContext) async {
        guard !control.isHalted, let collector = item.joins else { return }
        switch collector.readiness(of: runtime.stage, item: item) {
        case .notItsItem:
            return
        case .ready(let context):
            await process(runtime, context)
        case .skipped(let reason):
            guard runtime.takes(item) else { return }
            // Each of the join's own units is skipped, and everything below it.
            for unit in runtime.stage.expansion.isIdentity ? [item] : Array(runtime.stage.expansion.units(of: item)) {
                var skipped = ItemOutcome(stage: runtime.name, context: unit, status: .skipped)
                skipped.message = reason
                await finish(runtime, skipped, context: unit, wasInFlight: false, fingerprint: nil)
                await propagateSkip(from: runtime, skipped, context: unit)
            }
        }
    }

    /// Writes a success to the ledger (secrets masked); `url` is what the ledger keeps when the
    /// manifest shows another.
    @discardableResult
    private func record(_ unstamped: ItemOutcome, item: String, fingerprint: String, url: String?) async -> String {
        var outcome = unstamped
        stamp(&outcome)
        var recorded = ledgerCopy(outcome)
        if let url { recorded.url = url }
        var entry = LedgerEntry(outcome: recorded, item: item, fingerprint: fingerprint, finishedAt: Date().timeIntervalSince1970)
        let line = secrets.redact(outcome.jsonLine)
        entry.line = line
        recordedAny.set()
        await emit(.recorded(entry))
        return line
    }

    /// Names the run and the moment on an outcome's line.
    private func stamp(_ outcome: inout ItemOutcome) {
        outcome.runID = runName
        outcome.finishedAt = (Date().timeIntervalSince1970 * 1000).rounded() / 1000
    }

    /// What the ledger keeps of an outcome: secrets masked like everywhere else.
    func ledgerCopy(_ outcome: ItemOutcome) -> ItemOutcome {
        var copy = outcome
        copy.prompt = copy.prompt.map(secrets.redact)
        copy.message = copy.message.map(secrets.redact)
        return copy
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        Int(((ContinuousClock.now - start).inSeconds * 1000).rounded(.down))
    }

    /// Records the outcome (in the ledger too, unless `record` is false); after a failure,
    /// marks everything below it skipped.
    func finish(_ runtime: StageRuntime, _ unstamped: ItemOutcome, context: ItemContext, wasInFlight: Bool, fingerprint: String?,
                        record: Bool = true, line known: String? = nil) async {
        var outcome = unstamped
        stamp(&outcome)
        var line = known
        if record, outcome.status != .cached {
            var entry = LedgerEntry(outcome: ledgerCopy(outcome), item: context.itemID, fingerprint: fingerprint ?? "-",
                                    finishedAt: Date().timeIntervalSince1970)
            line = secrets.redact(outcome.jsonLine)
            entry.line = line
            recordedAny.set()
            await emit(.recorded(entry))
        }
        runtime.stats.ended(outcome, wasInFlight: wasInFlight)
        await emit(.finished(outcome, manifestLine: line))
        if outcome.status != .succeeded, outcome.status != .cached, runtime.feedsJoin {
            context.joins?.fail(runtime.name, because: Self.howItEnded(outcome))
        }
        guard outcome.status == .failed else { return }
        await propagateSkip(from: runtime, outcome, context: context)
    }

    /// "failed (content_policy)", "was skipped": how an upstream unit ended, for what it held back.
    private static func howItEnded(_ outcome: ItemOutcome) -> String {
        outcome.status == .failed ? "failed (\(outcome.failureClass?.rawValue ?? "error"))" : "was \(outcome.status.rawValue)"
    }

    /// Marks everything below a unit that failed (or a join that was skipped) skipped, saying why:
    /// only stages whose `when:` takes the item, so the counts match the plan's.
    private func propagateSkip(from runtime: StageRuntime, _ outcome: ItemOutcome, context: ItemContext) async {
        let why = Self.howItEnded(outcome)
        for (below, items) in runtime.descendants where below.takes(context) {
            var skipped = ItemOutcome(stage: below.name, key: outcome.key, status: .skipped)
            skipped.variant = outcome.variant
            skipped.matrix = outcome.matrix
            stamp(&skipped)
            skipped.message = "upstream stage '\(runtime.name)' \(why)" + (items > 1 ? "; \(items) items skipped" : "")
            for _ in 0..<items { below.stats.ended(skipped, wasInFlight: false) }
            if items == 1 {
                // The ledger's current state says why this unit has no result (one unit per item:
                // the same name the unit will have when it runs).
                var entry = LedgerEntry(outcome: ledgerCopy(skipped), item: context.itemID, fingerprint: "-", finishedAt: Date().timeIntervalSince1970)
                entry.line = secrets.redact(skipped.jsonLine)
                recordedAny.set()
                await emit(.recorded(entry))
            }
            await emit(.propagated(skipped))
        }
    }
}

extension RunEngine {
    /// Binds the webhook receiver before anything is submitted, with a verifier per queued provider.
    static func listen(_ listen: RunOptions.Listen, providers: [ProviderSpec], gates: [String: ProviderGate], transport: HTTPTransport,
                       environment: [String: String]) throws(SetupFailure) -> (WebhookReceiver, Int) {
        var routes: [String: WebhookReceiver.Route] = [:]
        for spec in providers {
            guard let queue = gates[spec.name]?.queue else { continue }
            do throws(WebhookRefusal) {
                guard let verifier = try spec.component.webhookVerifier(spec, transport: transport, environment: environment) else { continue }
                routes[spec.name] = WebhookReceiver.Route(queue: queue, verifier: verifier)
            } catch {
                throw SetupFailure(description: error.reason)
            }
        }
        guard !routes.isEmpty else {
            throw SetupFailure(description: "--listen receives webhooks of queued providers (fal, replicate), and this pipeline has none")
        }
        let receiver = WebhookReceiver(routes: routes)
        do {
            return (receiver, try receiver.bind(host: listen.host, port: listen.port))
        } catch {
            throw SetupFailure(description: "cannot listen on \(listen.host):\(listen.port) for webhooks: \(ListenFailure.describe(error, host: listen.host, option: "--listen HOST:PORT", anyPort: "port 0"))")
        }
    }
}

extension RunEngine {
    /// The stage's batch collector, made when its first unit asks.
    func collector<P>(for runtime: StageRuntime, _ batch: BatchCall<P>) -> BatchCollector {
        batchCollectors.withLock { collectors in
            if let existing = collectors[runtime.name] { return existing }
            let wait = options.noWait ? 0 : batch.setting.wait
            let made = BatchCollector(provider: batch.provider, setting: batch.setting, stage: runtime.name, providerName: runtime.gate.name,
                                      control: control, writer: writer, model: runtime.stage.model ?? "",
                                      metadata: [("pipeline", pipeline.spec.name), ("stage", runtime.name), ("run", runName)],
                                      timeout: runtime.environment.timeout, cancelRemote: options.cancelRemote, wait: wait, parking: parking)
            made.onDetached = { [weak self] members, outcome in self?.restream(runtime, members, outcome) }
            collectors[runtime.name] = made
            return made
        }
    }
}
