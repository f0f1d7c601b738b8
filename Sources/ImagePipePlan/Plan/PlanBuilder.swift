import ImagePipeCore
import ImagePipeLanguage
import Foundation

/// The dry run: streams every source once, renders every template for every item, and checks
/// what needs the whole data (duplicate keys, colliding or escaping output paths, data errors),
/// in memory that does not grow with the data: seen keys and paths are kept as 64-bit hashes.
public final class PlanBuilder {
    package let pipeline: CompiledPipeline
    package let diagnostics: Diagnostics
    package let sampleCount: Int

    /// Everything the per-item path needs about one stage, in one object: the item loop then
    /// follows references instead of hashing stage names and copying `CompiledStage` values.
    package final class StagePlan {
        package let stage: CompiledStage
        /// Taken out of `stage` once: the per-unit path reads these without copying the stage.
        package let name: String
        package let body: any StageBody
        package let expansion: UnitExpansion
        package let index: Int
        package var children: [StagePlan] = []
        /// The outputs that are the same for every item.
        package let constants: [String: String]
        package let environment: UnitEnvironment
        package var summary: PlanReport.StageSummary
        /// `when:`, taken out once like the rest.
        package let condition: Condition?
        /// Whether some join waits for this stage's results.
        package var feedsJoin = false

        package init(stage: CompiledStage, index: Int, environment: UnitEnvironment, summary: PlanReport.StageSummary) {
            self.stage = stage
            name = stage.name
            body = stage.body
            expansion = stage.expansion
            self.index = index
            self.environment = environment
            self.summary = summary
            constants = stage.body.constants(stage: stage.name)
            condition = stage.condition
        }
    }

    private var plans: [StagePlan] = []
    private var childrenOfSource: [String: [StagePlan]] = [:]
    /// Joins by their source, in dependency order: planned once an item's other stages are.
    private var joinsOfSource: [String: [StagePlan]] = [:]

    /// Output path hashes, tagged with the writing stage's index (the stage names its source), and
    /// the line that first wrote each: a million paths cost 24 MB rather than a copy of each path.
    private var outputsSeen = HashIndex(tagBits: PlanBuilder.stageTagBits)
    package static let stageTagBits = 8

    /// The output folder as shown, with a trailing `/`, joined to each normalized output path.
    private let outputPrefix: String

    /// The ledger's successes, to count what a run would skip.
    private let cache: (any CompletedWork)?
    private let ledgerPath: String?

    private let probe: CacheProbe
    private let environment: [String: String]
    /// Where the run will keep its ledger, to check that it can write there.
    private let stateFolder: StorageCheck.Place?
    private let selection: ItemSelection
    /// The `--key` values some item has.
    private var keysFound = Set<String>()
    /// The field names of each source's first item, to check `--where` against.
    private var firstItemFields = Set<String>()
    private let problems = DataProblems()
    /// Set to collect the path of every file the plan's units write (`imagepipe prune`), as
    /// hashes of the paths relative to output_dir.
    package var collectsOwnedPaths = false
    package private(set) var ownedPaths = Set<Int>()

    public convenience init(pipeline: CompiledPipeline, diagnostics: Diagnostics, sampleCount: Int = 3, cache: (any CompletedWork)? = nil, ledgerPath: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.init(pipeline: pipeline, diagnostics: diagnostics, sampleCount: sampleCount, cache: cache, ledgerPath: ledgerPath,
                  stateFolder: nil, environment: environment)
    }

    package init(pipeline: CompiledPipeline, diagnostics: Diagnostics, sampleCount: Int = 3, cache: (any CompletedWork)? = nil, ledgerPath: String? = nil,
                 stateFolder: StorageCheck.Place?, selection: ItemSelection = .everything,
                 environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.stateFolder = stateFolder
        self.selection = selection
        self.pipeline = pipeline
        self.environment = environment
        probe = CacheProbe(outputDirectory: pipeline.outputDirectory, verify: false, mayCopy: false)
        self.cache = cache
        self.ledgerPath = ledgerPath
        outputPrefix = pipeline.displayOutputDirectory == "." ? "" : pipeline.displayOutputDirectory + "/"
        self.diagnostics = diagnostics
        self.sampleCount = sampleCount
    }

    public func build() -> PlanReport {
        var plansByName: [String: StagePlan] = [:]
        for (n, stage) in pipeline.stages.enumerated() {
            let depth = stage.ancestors.count
            let price = stage.body.price
            var summary = PlanReport.StageSummary(name: stage.name, kind: stage.kindName, from: stage.inputName, depth: depth,
                                                  provider: stage.provider?.name, model: stage.model, items: 0,
                                                  unitPriceUSD: price?.usd, priceSource: price?.source, samples: [])
            summary.isPaid = stage.isPaid
            summary.regenerations = stage.body.regenerations
            summary.priceModes = stage.body.priceModes
            summary.unitName = stage.spec.kind.yields.unitName
            let plan = StagePlan(stage: stage, index: n,
                                 environment: UnitEnvironment(pipeline: pipeline, stage: stage, environment: environment),
                                 summary: summary)
            plans.append(plan)
            plansByName[stage.name] = plan
            // Stages come in dependency order, so a stage's input is planned before it.
            if stage.isJoin {
                joinsOfSource[stage.rootSource, default: []].append(plan)
            } else if let parent = plansByName[stage.inputName] {
                parent.children.append(plan)
            } else {
                childrenOfSource[stage.inputName, default: []].append(plan)
            }
            if price == nil, stage.isPaid, let model = stage.model, stage.provider != nil {
                diagnostics.warning("no price is known for model '\(model)', so the cost estimate leaves out stage '\(stage.name)'",
                                    at: stage.spec.body.keyLocation("model"),
                                    hint: "add 'prices: { \(model): USD_PER_IMAGE }' to provider '\(stage.provider!.name)'")
            }
        }
        let feedingJoins = pipeline.stagesFeedingJoins
        for plan in plans where feedingJoins.contains(plan.name) { plan.feedsJoin = true }
        var sources: [PlanReport.SourceSummary] = []
        for source in pipeline.sources {
            let count = stream(source)
            var path: String? = sourceFile(source)
            if case .items = source.spec.kind { path = nil }
            sources.append(.init(name: source.name, kind: source.spec.kind.name, path: path, items: count, keyed: source.key != nil))
            if source.key == nil, source.spec.key == nil, count > 0 {
                diagnostics.warning("source '\(source.name)' has no 'key', so items are numbered by row and resume depends on row order",
                                    at: source.spec.location, hint: "add a stable key, like key: \"{{ sku }}\"")
            }
        }
        problems.report(to: diagnostics)
        checkStorage()
        if let (condition, _) = selection.condition {
            // A misspelt field would be empty for every item: select nothing (or, with !=, all).
            for (path, _) in condition.fields where !["key", "variant"].contains(path[0]) && !firstItemFields.contains(path[0]) {
                diagnostics.error("--where: no source has a field '\(path[0])'", at: pipeline.spec.root.location,
                                  hint: DidYouMean.hint(for: path[0], among: firstItemFields.sorted()) ?? "fields: " + firstItemFields.sorted().joined(separator: ", "))
            }
        }
        for key in (selection.keys ?? []).subtracting(keysFound).sorted() {
            diagnostics.warning("--key \(key) matches no item of any source", at: pipeline.spec.root.location,
                                hint: "keys are what each source's 'key:' renders; 'imagepipe plan' shows them in its samples")
        }
        if let budget = pipeline.spec.budgetUSD {
            let total = plans.compactMap(\.summary.costUSD).reduce(0, +)
            if total > budget {
                diagnostics.warning(String(format: "the estimated cost $%.2f exceeds budget.max_usd $%.2f: the run will stop when the budget is reached", total, budget),
                                    at: pipeline.spec.root.keyLocation("budget"), hint: "raise max_usd, or try a part first with fewer items")
            }
        }
        var report = PlanReport(pipeline: pipeline.spec.name, file: pipeline.files.displayPipeline, outputDirectory: pipeline.displayOutputDirectory,
                                sources: sources, stages: plans.map(\.summary), budgetUSD: pipeline.spec.budgetUSD, ledger: ledgerPath)
        report.selection = selection
        return report
    }

    /// A run that cannot write its images or its ledger would pay for nothing: say so first, and
    /// warn when the disk clearly lacks room for the images the plan will write.
    private func checkStorage() {
        let root = pipeline.spec.root
        let output = StorageCheck.Place(role: "the output folder", path: pipeline.outputDirectory, display: outputPrefix.isEmpty ? "./" : outputPrefix)
        var places = [(output, root.keyLocation("output_dir"), "output_dir")]
        if let stateFolder { places.append((stateFolder, root.keyLocation("state"), "state")) }
        for (place, location, key) in places {
            guard let fault = StorageCheck.unwritable(place) else { continue }
            diagnostics.error("\(place.role) \(place.display) cannot be written (\(fault.reason)), so a run would pay for work it cannot keep",
                              at: location, hint: "make it writable, or set '\(key)' to a folder that is")
        }
        let bytes = plans.reduce(Int64(0)) { $0 + Int64($1.body.bytesPerUnit) * Int64(max(0, $1.summary.items - $1.summary.cached)) }
        if bytes > 0, let free = StorageCheck.freeBytes(pipeline.outputDirectory), free < bytes {
            diagnostics.warning("the disk holding \(output.display) has \(StorageCheck.size(free)) free, and this plan writes at least \(StorageCheck.size(bytes)) of images: "
                                + "the run will stop when the disk is full", at: root.keyLocation("output_dir"),
                                hint: "free space first, or set 'output_dir' to a larger disk (finished work is kept either way)")
        }
    }

    private func sourceFile(_ source: CompiledSource) -> String {
        switch source.spec.kind {
        case .csv(let p), .jsonl(let p): return pipeline.files.display(p.value)
        case .items: return pipeline.files.displayPipeline
        }
    }

    /// Streams one source through its stages; returns its item count.
    private func stream(_ source: CompiledSource) -> Int {
        let records: RecordStream
        do {
            records = try RecordStream(source: source.spec, files: pipeline.files)
        } catch {
            diagnostics.error(error.message, at: error.location, hint: error.hint)
            return 0
        }
        let displayPath = records.displayPath
        let rows = ReadAhead(records)
        defer { rows.stop() }
        // Key hash → line of first use.
        var keysSeen = HashIndex()
        var count = 0
        let stages = childrenOfSource[source.name] ?? []
        let joins = joinsOfSource[source.name] ?? []
        while true {
            let next: (record: Record, location: SourceLocation)?
            do {
                next = try rows.next()
            } catch {
                diagnostics.error(error.message, at: SourceLocation(file: displayPath, line: error.line, column: error.column), hint: error.hint)
                if error.rest == .rowSkipped { continue }
                break
            }
            guard let (record, location) = next else { break }
            count += 1
            if count == 1 {
                switch record {
                case .row(let header, _): firstItemFields.formUnion(header.names)
                case .object(let pairs): firstItemFields.formUnion(pairs.map(\.0))
                }
            }
            let key: String
            let keySetting = source.spec.key?.location ?? source.spec.location
            do {
                key = try ItemKey.resolve(source.key, record: record, row: count, source: source.name)
            } catch {
                problems.add(cause: error.cause, at: keySetting, example: "row \(count) (\(location.file):\(location.line))", message: error.message,
                             location: location, hint: error.hint, diagnostics)
                continue
            }
            let hash = key.hashValue
            if let firstLine = keysSeen.insertOrFind(UInt64(bitPattern: Int64(hash)), payload: location.line)?.payload {
                problems.add(cause: "duplicate keys in source '\(source.name)'", at: keySetting,
                             example: "'\(key)' at \(location.file):\(location.line), first at line \(firstLine)",
                             message: "duplicate key '\(key)' in source '\(source.name)': first at \(location.file):\(firstLine)", location: location,
                             hint: "keys must be unique: each names one item's outputs and its resume state", diagnostics)
                // Its outputs would only collide with the first item's: one error is enough.
                continue
            }
            var context = ItemContext(record: record, key: key, location: location)
            if !joins.isEmpty { context.joins = JoinCollector() }
            // Items outside the selection are still checked (a run of everything would meet them),
            // but counted apart.
            let selected = selection.selects(row: count, key: key, fields: context)
            if let keys = selection.keys, keys.contains(key) { keysFound.insert(key) }
            for stage in stages { process(stage, context, selected: selected) }
            for join in joins {
                if case .ready(let joined) = context.joins!.readiness(of: join.stage, item: context) { process(join, joined, selected: selected) }
            }
        }
        return count
    }

    private func process(_ plan: StagePlan, _ incoming: ItemContext, selected: Bool) {
        if let condition = plan.condition, !condition.holds(for: incoming) { return }
        let expansion = plan.expansion
        if expansion.isIdentity { return processUnit(plan, incoming, selected: selected) }
        for unit in expansion.units(of: incoming) { processUnit(plan, unit, selected: selected) }
    }

    /// Renders one unit exactly as a run would, checks its output path against every other, and
    /// asks the ledger whether a run would skip it.
    private func processUnit(_ plan: StagePlan, _ unit: ItemContext, selected: Bool) {
        let prepared: any PreparedUnit
        do {
            prepared = try plan.body.prepare(unit, plan.environment)
        } catch {
            if plan.feedsJoin { unit.joins?.fail(plan.name, because: "has a problem") }
            let body = plan.stage.spec.body
            problems.add(cause: error.cause, at: error.setting.map { body.keyLocation($0) } ?? body.location,
                         example: "'\(unit.key)' (\(unit.location.file):\(unit.location.line))", message: error.message, location: unit.location,
                         hint: error.hint, diagnostics)
            return
        }
        if let path = prepared.writes {
            checkCollision(path, plan, unit)
            if collectsOwnedPaths { ownedPaths.insert(path.hashValue) }
        }
        var forwarded: UnitOutputs?
        var cached = false
        if let cache, let fingerprint = prepared.fingerprint,
           let entry = cache.success(stage: plan.name, item: unit.itemID, fingerprint: fingerprint) {
            if plan.children.isEmpty {
                cached = prepared.stands(entry, probe)
            } else {
                var outcome = ItemOutcome(stage: plan.name, context: unit, status: .cached)
                forwarded = prepared.reuse(entry, probe, into: &outcome)
                cached = forwarded != nil
            }
        }
        if selected {
            if cached { plan.summary.cached += 1 }
            if !cached, selection.unfinished == nil, let cache, let fingerprint = prepared.fingerprint,
               cache.wasBlocked(stage: plan.name, item: unit.itemID, fingerprint: fingerprint) {
                plan.summary.blocked += 1
            }
            record(plan, unit, lines: prepared.sample + (cached ? [("status", "cached")] : []))
        } else {
            plan.summary.items += 1
            if cached { plan.summary.doneEarlier += 1 } else { plan.summary.notSelected += 1 }
        }
        let joined = plan.feedsJoin
        guard !plan.children.isEmpty || joined else { return }
        var context = unit
        let outputs = forwarded ?? UnitOutputs(prepared.planned)
        let output = StageOutput(stage: plan.name, values: outputs.values, constants: plan.constants, json: outputs.json)
        if joined { unit.joins?.record(output, unit: unit) }
        context.outputs.append(output)
        for child in plan.children { process(child, context, selected: selected) }
    }

    private func checkCollision(_ normalized: String, _ plan: StagePlan, _ context: ItemContext) {
        let hash = normalized.hashValue
        let tagged = HashIndex.tagged(hash, tag: plan.index, bits: Self.stageTagBits)
        guard let first = outputsSeen.insertOrFind(tagged, payload: context.location.line) else { return }
        let largestTag = (1 << Self.stageTagBits) - 1
        let firstIndex = Int(first.hash & UInt64(largestTag))
        // Stages past the tag's range share its largest value, so the writer is then unknown.
        let known = firstIndex < largestTag || pipeline.stages.count <= largestTag + 1
        let firstStage = pipeline.stages[firstIndex]
        let firstFile = pipeline.sources.first { $0.name == firstStage.rootSource }.map(sourceFile) ?? context.location.file
        let writer = known ? "stage '\(firstStage.name)'" : "another stage"
        let sameStage = known && firstStage.name == plan.name
        let template = plan.stage.spec.body.string("output")?.value ?? normalized
        problems.add(cause: sameStage ? "stage '\(plan.name)' output '\(template)' gives several items one path" : "stage '\(plan.name)' output '\(template)' writes paths \(writer) writes",
                     at: plan.stage.spec.body.keyLocation("output"),
                     example: "'\(outputPrefix)\(normalized)' for '\(context.key)' (\(context.location.file):\(context.location.line)), first at \(firstFile):\(first.payload)",
                     message: "stage '\(plan.name)' output path '\(normalized)' for item '\(context.key)' is already written by \(writer) for the item at \(firstFile):\(first.payload)",
                     location: context.location, hint: "make the output path unique per item, e.g. with {{ key }}", diagnostics)
    }

    /// Counts the item, and keeps it as a sample while there are fewer than `sampleCount`; the
    /// sample's lines are only built then.
    private func record(_ plan: StagePlan, _ context: ItemContext, lines: @autoclosure () -> [(String, String)]) {
        plan.summary.items += 1
        guard plan.summary.samples.count < sampleCount else { return }
        var key = context.key
        if plan.expansion.variants > 1 { key += " #\(context.variant)" }
        if !context.matrix.isEmpty { key += " " + context.matrix.map { "\($0.field)=\($0.value)" }.joined(separator: " ") }
        if let output = context.outputName { key += " output=\(output)" }
        plan.summary.samples.append(.init(key: key, lines: lines()))
    }
}
