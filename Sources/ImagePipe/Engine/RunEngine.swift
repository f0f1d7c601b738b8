import Crypto
import Foundation

/// Runs a compiled pipeline: streams every source, sends each item through the DAG on its own
/// (item 7 may finish while item 900 waits for its turn), under the stages' and providers'
/// limits, with retries, the budget, and a manifest line per (stage, item).
public final class RunEngine: @unchecked Sendable {
    public struct Result: Sendable {
        public var stages: [StageStats.Snapshot]
        public var stopReason: RunControl.StopReason?
        public var spentUSD: Double
        public var duration: Double
        public var manifestPath: String

        public var notStarted: Int { stages.reduce(0) { $0 + max(0, $1.expected - $1.finished) } }
        public var allSucceeded: Bool {
            stopReason == nil && stages.allSatisfy { $0.failedCount == 0 && $0.skipped == 0 && $0.cancelled == 0 }
        }
    }

    let pipeline: CompiledPipeline
    let secrets: SecretSet
    let options: RunOptions
    public let control: RunControl
    public let budget: BudgetGate
    let transport: HTTPTransport
    public let manifest: ManifestWriter
    let stages: [StageRuntime]
    private var rootsBySource: [String: [StageRuntime]] = [:]
    let admission: AsyncSemaphore
    let ledger: Ledger?
    public let runID: Int64?
    let cache: LedgerSnapshot
    let writer: LedgerWriter?
    /// With `--retry-failed`: the items to retry.
    let unfinishedKeys: Set<String>?
    /// Told about every failure as it happens (progress prints it).
    public var onFailure: (@Sendable (ItemOutcome) -> Void)?

    /// What a run needs from the environment beyond the pipeline's own `${…}`: S3 credentials.
    /// Checked before anything is called; each problem is one line.
    public static func missingSettings(in pipeline: CompiledPipeline, environment: [String: String]) -> [String] {
        pipeline.stages.compactMap { stage in
            guard case .s3Upload(let spec) = stage.spec.kind, S3Uploader.credentials(spec, environment: environment) == nil else { return nil }
            return "stage '\(stage.name)' has no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or its access_key_id and secret_access_key"
        }
    }

    public struct SetupFailure: Error, CustomStringConvertible {
        public var description: String
    }

    /// With a `ledger` (locked by the caller), finished work is skipped and every result is
    /// recorded; without one, everything runs and only the manifest records it.
    public init(pipeline: CompiledPipeline, plan: PlanReport, secrets: SecretSet, options: RunOptions = RunOptions(),
                control: RunControl = RunControl(), ledger: Ledger? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws(SetupFailure) {
        self.pipeline = pipeline
        self.ledger = ledger
        if let ledger {
            do {
                cache = options.forceAll ? LedgerSnapshot() : try ledger.successes()
                unfinishedKeys = options.retryFailed ? try ledger.unfinishedKeys() : nil
                runID = try ledger.beginRun(pipelineSHA256: Self.pipelineHash(pipeline))
            } catch {
                throw SetupFailure(description: error.description)
            }
            writer = LedgerWriter(ledger: ledger, runID: runID!)
        } else {
            cache = LedgerSnapshot()
            unfinishedKeys = nil
            runID = nil
            writer = nil
        }
        self.secrets = secrets
        self.options = options
        self.control = control
        budget = BudgetGate(limit: pipeline.spec.budgetUSD)
        let largest = pipeline.stages.map(\.concurrency).max() ?? 1
        let providerLimits = pipeline.spec.providers.map { $0.concurrency ?? 0 }.max() ?? 0
        transport = HTTPTransport(connectionsPerHost: max(largest, providerLimits))
        admission = AsyncSemaphore(permits: options.itemsInFlight ?? max(16, 2 * largest))
        do {
            manifest = try ManifestWriter(path: options.manifestPath ?? pipeline.outputDirectory + "/manifest.jsonl", secrets: secrets)
        } catch {
            throw SetupFailure(description: error.description)
        }

        var gates: [String: ProviderGate] = [:]
        var providers: [String: ImageProvider] = [:]
        for spec in pipeline.spec.providers {
            gates[spec.name] = ProviderGate(provider: spec)
            providers[spec.name] = ProviderFactory.make(spec, transport: transport, workingDirectory: pipeline.files.directory)
        }
        let expected = Dictionary(plan.stages.map { ($0.name, $0.items) }, uniquingKeysWith: { a, _ in a })
        var byName: [String: StageRuntime] = [:]
        var runtimes: [StageRuntime] = []
        for stage in pipeline.stages {
            let image: ImageStageSpec? = { switch stage.spec.kind { case .generate(let s), .edit(let s): return s; default: return nil } }()
            let price = stage.model.flatMap { PriceTable.price(model: $0, provider: stage.provider, size: image?.size, resolution: image?.resolution)?.usd }
            let gate = stage.provider.flatMap { gates[$0.name] } ?? (image == nil ? ProviderGate(name: "stage '\(stage.name)'") : nil)
            let runtime = StageRuntime(stage: stage, gate: gate, provider: stage.provider.flatMap { providers[$0.name] },
                                       price: price, expected: expected[stage.name] ?? 0)
            if case .s3Upload(let spec) = stage.spec.kind {
                guard let credentials = S3Uploader.credentials(spec, environment: environment) else {
                    throw SetupFailure(description: Self.missingSettings(in: pipeline, environment: environment).joined(separator: "\n"))
                }
                // Credentials written in the file are as secret as those from the environment.
                for value in [credentials.accessKeyID, credentials.secretAccessKey, credentials.sessionToken].compactMap({ $0 }) { secrets.register(value) }
                runtime.uploader = S3Uploader(transport: transport,
                                              signer: SigV4Signer(credentials: credentials, region: S3Uploader.region(spec, environment: environment), service: "s3"),
                                              bucket: stage.bucket ?? "", endpoint: spec.endpoint, pathStyle: spec.pathStyle,
                                              cacheControl: spec.cacheControl, checksum: spec.checksum == "sha256")
            }
            runtimes.append(runtime)
            byName[stage.name] = runtime
            if let parent = byName[stage.inputName] { parent.children.append(runtime) } else { rootsBySource[stage.inputName, default: []].append(runtime) }
        }
        stages = runtimes
    }

    public var stageStats: [StageStats] { stages.map(\.stats) }

    static func pipelineHash(_ pipeline: CompiledPipeline) -> String {
        let name = (pipeline.files.displayPipeline as NSString).lastPathComponent
        let bytes = FileManager.default.contents(atPath: pipeline.files.directory + "/" + name) ?? Data()
        return Hex.string(SHA256.hash(data: bytes))
    }

    /// Records how the run ended in the ledger, and lets the next run take the lock.
    public func closeLedger(result: Result, exitCode: Int32) {
        guard let ledger, let runID else { return }
        let stop: String? = result.stopReason.map { $0 == .budget ? "budget" : "interrupted" }
        ledger.endRun(runID, exitCode: exitCode, stopReason: stop, costUSD: result.spentUSD, stages: result.stages.map {
            Ledger.StageTotals(stage: $0.name, expected: $0.expected, succeeded: $0.succeeded, failed: $0.failedCount,
                               skipped: $0.skipped + $0.cancelled, cached: $0.cached, costUSD: $0.costUSD)
        })
    }

    public var onLedgerFailure: (@Sendable (String) -> Void)? {
        get { writer?.onFailure }
        set { writer?.onFailure = newValue }
    }

    public func run() async -> Result {
        let start = ContinuousClock.now
        await withDiscardingTaskGroup { group in
            for source in pipeline.sources {
                guard let roots = rootsBySource[source.name], !roots.isEmpty else { continue }
                group.addTask { await self.stream(source, into: roots) }
            }
        }
        manifest.flush()
        await transport.shutdown()
        let elapsed = ContinuousClock.now - start
        return Result(stages: stages.map(\.stats.snapshot), stopReason: control.stopReason, spentUSD: budget.spent,
                      duration: elapsed.inSeconds,
                      manifestPath: manifest.path)
    }

    // MARK: - Items

    private func stream(_ source: CompiledSource, into roots: [StageRuntime]) async {
        guard let records = try? RecordStream(source: source.spec, files: pipeline.files) else { return }
        await withDiscardingTaskGroup { group in
            var count = 0
            while !control.isStopping {
                // The plan read this file without errors before the run; a row that fails now
                // (the file changed underneath) is left out, as the plan would report it.
                let next: (record: Record, location: SourceLocation)?
                do { next = try records.next() } catch { continue }
                guard let (record, location) = next else { break }
                count += 1
                if let limit = options.limit, count > limit { break }
                var key = String(count)
                if let template = source.key {
                    guard let rendered = try? TemplateRenderer.render(template, fields: record), !rendered.isEmpty else { continue }
                    key = rendered
                }
                if let unfinishedKeys, !unfinishedKeys.contains(key) { continue }
                do { try await admission.acquire() } catch { break }
                if control.isStopping {
                    admission.release()
                    break
                }
                let context = ItemContext(record: record, key: key, location: location)
                group.addTask {
                    await self.send(context, to: roots)
                    self.admission.release()
                }
            }
        }
    }

    func send(_ context: ItemContext, to stages: [StageRuntime]) async {
        if stages.count == 1 { return await process(stages[0], context) }
        await withDiscardingTaskGroup { group in
            for stage in stages { group.addTask { await self.process(stage, context) } }
        }
    }

    private func process(_ runtime: StageRuntime, _ incoming: ItemContext) async {
        let stage = runtime.stage
        var units: [ItemContext] = []
        for variant in 1...stage.variants {
            for combination in runtime.combinations {
                var context = incoming
                // A stage without variants of its own keeps its input's (an edit of variant 2 is #2).
                if stage.variants > 1 { context.variant = variant }
                if !combination.isEmpty { context.matrix += combination }
                units.append(context)
            }
        }
        if units.count == 1 { return await processUnit(runtime, units[0]) }
        await withDiscardingTaskGroup { group in
            for unit in units { group.addTask { await self.processUnit(runtime, unit) } }
        }
    }

    private func processUnit(_ runtime: StageRuntime, _ context: ItemContext) async {
        switch runtime.stage.spec.kind {
        case .generate, .edit: await processImage(runtime, context)
        case .s3Upload: await processUpload(runtime, context)
        case .http: await processHTTP(runtime, context)
        }
    }

    func render(_ template: Template?, _ context: ItemContext) throws(CallFailure) -> String? {
        guard let template else { return nil }
        do {
            return try TemplateRenderer.render(template, fields: context)
        } catch {
            throw CallFailure(.local_error, "the item has no field '\(error.path)'")
        }
    }

    private func processImage(_ runtime: StageRuntime, _ incoming: ItemContext) async {
        guard !control.isStopping else { return }
        let stage = runtime.stage
        var context = incoming
        var outcome = ItemOutcome(stage: stage.name, context: context, status: .failed)
        outcome.model = stage.model
        outcome.provider = stage.provider?.name

        let request: ImageRequest
        let absolutePath: String
        do throws(CallFailure) {
            let prompt = try render(stage.prompt, context) ?? ""
            outcome.prompt = prompt
            guard let relative = try render(stage.output, context), !relative.hasPrefix("/"),
                  let normalized = RelativePath.normalize(relative), !normalized.isEmpty else {
                throw CallFailure(.local_error, "the output path leaves output_dir")
            }
            outcome.path = normalized
            absolutePath = pipeline.outputDirectory + "/" + normalized
            var input: [UInt8]?
            var inputPath: String?
            if runtime.isEdit {
                if let field = try render(stage.image, context) {
                    inputPath = pipeline.files.resolve(field)
                } else {
                    inputPath = context.outputs.last?.value(StageOutput.fileField)
                }
                guard let path = inputPath, let data = FileManager.default.contents(atPath: path) else {
                    throw CallFailure(.local_error, "cannot read the input image \(inputPath ?? "(none)")")
                }
                input = Array(data)
            }
            let spec = runtime.image
            request = ImageRequest(stage: stage.name, key: context.key, variant: context.variant, model: stage.model ?? "", prompt: prompt,
                                   negativePrompt: try render(stage.negativePrompt, context), size: spec?.size, aspectRatio: spec?.aspectRatio,
                                   resolution: spec?.resolution, seed: spec?.seed, quality: spec?.quality, background: spec?.background,
                                   outputFormat: spec?.outputFormat, inputImage: input, inputImagePath: inputPath, outputPath: absolutePath,
                                   timeout: stage.timeout)
        } catch {
            outcome.failureClass = error.failureClass
            outcome.message = error.message
            return await finish(runtime, outcome, context: context, wasInFlight: false, fingerprint: nil)
        }

        let fingerprint = Fingerprint.image(stage: stage, prompt: request.prompt, negativePrompt: request.negativePrompt, variant: context.variant,
                                            matrix: context.matrix, inputSHA256: request.inputImage.map { Hex.string(SHA256.hash(data: $0)) })
        let item = context.itemID
        if !options.isForced(stage.name),
           let entry = cache.success(stage: stage.name, item: item, fingerprint: fingerprint),
           let moved = reuse(entry, at: outcome.path!) {
            var cached = outcome
            cached.status = .cached
            cached.sha256 = entry.sha256
            cached.width = entry.width
            cached.height = entry.height
            cached.bytes = entry.bytes
            cached.attempts = 0
            if moved {
                // Same work, new name: copied into place and recorded under the new path.
                await writer?.record(LedgerEntry(outcome: { var o = cached; o.status = .succeeded; o.attempts = entry.attempts; o.costUSD = entry.costUSD; return o }(),
                                                 item: item, fingerprint: fingerprint, finishedAt: Date().timeIntervalSince1970))
            }
            return await succeed(runtime, cached, context: context, absolutePath: absolutePath, prompt: request.prompt)
        }
        if let only = options.only, only != stage.name {
            // `--only`: other stages pass on what the ledger holds and run nothing.
            if runtime.children.contains(where: { $0.name == only || $0.descendants.contains { $0.stage.name == only } }) {
                var skipped = outcome
                skipped.status = .skipped
                skipped.message = "not run (--only \(only)): stage '\(stage.name)' has not finished this item; run it first"
                return await finish(runtime, skipped, context: context, wasInFlight: false, fingerprint: nil, record: false)
            }
            return
        }

        guard let provider = runtime.provider, let gate = runtime.gate else {
            // The compiler gives every image stage a provider; this guards the engine's own use.
            outcome.failureClass = .local_error
            outcome.message = "stage '\(stage.name)' has no provider"
            return await finish(runtime, outcome, context: context, wasInFlight: false, fingerprint: fingerprint)
        }
        let price = runtime.price ?? 0
        let result = await attempts(runtime, gate: gate, price: price, outcome: &outcome) { () async throws(CallFailure) -> ([UInt8], ImageInfo) in
            let image = try await provider.generate(request)
            do throws(ImageInspector.Problem) {
                return (image.bytes, try ImageInspector.inspect(image.bytes))
            } catch {
                throw CallFailure(.invalid_output, "the provider's answer is not a usable image: \(error.description)")
            }
        }
        if case .notStarted = result { return }
        var produced: (bytes: [UInt8], info: ImageInfo)?
        if case .success(let value) = result { produced = (value.0, value.1) }
        // Started means reserved: a failed call gives its reservation back.
        budget.settle(price, spent: produced != nil)
        guard let (bytes, info) = produced else {
            return await finish(runtime, outcome, context: context, wasInFlight: true, fingerprint: fingerprint)
        }
        do {
            try AtomicFile.write(bytes, to: absolutePath)
        } catch {
            runtime.slots.release()
            outcome.failureClass = .local_error
            outcome.message = error.description
            return await finish(runtime, outcome, context: context, wasInFlight: true, fingerprint: fingerprint)
        }
        outcome.status = .succeeded
        outcome.sha256 = Hex.string(SHA256.hash(data: bytes))
        outcome.width = info.width
        outcome.height = info.height
        outcome.bytes = bytes.count
        outcome.costUSD = runtime.price
        await writer?.record(LedgerEntry(outcome: ledgerCopy(outcome), item: item, fingerprint: fingerprint, finishedAt: Date().timeIntervalSince1970))
        runtime.slots.release()
        await succeed(runtime, outcome, context: context, absolutePath: absolutePath, prompt: request.prompt, wasInFlight: true)
    }

    /// Records a success (or a cache hit) and sends the item on with what this stage produced.
    private func succeed(_ runtime: StageRuntime, _ outcome: ItemOutcome, context incoming: ItemContext, absolutePath: String, prompt: String,
                         wasInFlight: Bool = false) async {
        var context = incoming
        await finish(runtime, outcome, context: context, wasInFlight: wasInFlight, fingerprint: nil, record: false)
        guard !runtime.children.isEmpty else { return }
        let display = RelativePath.join(pipeline.displayOutputDirectory, outcome.path!)
        var values: [(name: String, value: String)] = [
            ("path", display), ("prompt", prompt), ("sha256", outcome.sha256 ?? ""), ("width", outcome.width.map(String.init) ?? ""),
            ("height", outcome.height.map(String.init) ?? ""), ("bytes", outcome.bytes.map(String.init) ?? ""), (StageOutput.fileField, absolutePath),
        ]
        if let price = runtime.price { values.append(("cost_usd", JSONValue.format(price))) }
        context.outputs.append(StageOutput(stage: runtime.name, values: values, constants: runtime.constants))
        await send(context, to: runtime.children)
    }

    /// What the ledger keeps of an outcome: secrets masked like everywhere else.
    func ledgerCopy(_ outcome: ItemOutcome) -> ItemOutcome {
        var copy = outcome
        copy.prompt = copy.prompt.map(secrets.redact)
        copy.message = copy.message.map(secrets.redact)
        return copy
    }

    /// Whether a recorded success can stand (nil when not): its file is where the ledger says,
    /// with the recorded size (and checksum, with `--verify`). A file recorded under another path
    /// (the output template changed, the work did not) is copied to `path`: true.
    private func reuse(_ entry: LedgerSnapshot.Output, at path: String) -> Bool? {
        guard let recorded = entry.path, let size = entry.bytes else { return nil }
        let file = pipeline.outputDirectory + "/" + recorded
        var info = stat()
        guard stat(file, &info) == 0, Int(info.st_size) == size else { return nil }
        if options.verify || recorded != path {
            guard let data = FileManager.default.contents(atPath: file) else { return nil }
            if options.verify, Hex.string(SHA256.hash(data: data)) != entry.sha256 { return nil }
            if recorded != path {
                do { try AtomicFile.write(Array(data), to: pipeline.outputDirectory + "/" + path) } catch { return nil }
                return true
            }
        }
        return false
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        Int(((ContinuousClock.now - start).inSeconds * 1000).rounded(.down))
    }

    /// Records the outcome (in the ledger too, unless `record` is false); after a failure,
    /// marks everything below it skipped.
    func finish(_ runtime: StageRuntime, _ outcome: ItemOutcome, context: ItemContext, wasInFlight: Bool, fingerprint: String?,
                        record: Bool = true) async {
        if record, let writer, outcome.status != .cached {
            await writer.record(LedgerEntry(outcome: ledgerCopy(outcome),
                                            item: context.itemID,
                                            fingerprint: fingerprint ?? "-", finishedAt: Date().timeIntervalSince1970))
        }
        runtime.stats.ended(outcome, wasInFlight: wasInFlight)
        manifest.append(outcome)
        if outcome.status == .failed || outcome.status == .skipped { onFailure?(outcome) }
        guard outcome.status == .failed else { return }
        for (below, items) in runtime.descendants {
            var skipped = ItemOutcome(stage: below.name, key: outcome.key, status: .skipped)
            skipped.variant = outcome.variant
            skipped.matrix = outcome.matrix
            skipped.message = "upstream stage '\(runtime.name)' failed (\(outcome.failureClass?.rawValue ?? "error"))" + (items > 1 ? "; \(items) items skipped" : "")
            for _ in 0..<items { below.stats.ended(skipped, wasInFlight: false) }
            manifest.append(skipped)
        }
    }
}
