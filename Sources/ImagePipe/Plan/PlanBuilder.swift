import Crypto
import Foundation

/// The dry run: streams every source once, renders every template for every item, and checks
/// what needs the whole data (duplicate keys, colliding or escaping output paths, data errors),
/// in memory that does not grow with the data: seen keys and paths are kept as 64-bit hashes.
public final class PlanBuilder {
    let pipeline: CompiledPipeline
    let diagnostics: Diagnostics
    let sampleCount: Int

    /// Everything the per-item path needs about one stage, in one object: the item loop then
    /// follows references instead of hashing stage names and copying `CompiledStage` values.
    final class StagePlan {
        let stage: CompiledStage
        let index: Int
        var children: [StagePlan] = []
        /// Every combination of matrix values (one empty combination without a matrix).
        let combinations: [[(field: String, value: String)]]
        /// The outputs that are the same for every item.
        let constants: [String: String]
        var summary: PlanReport.StageSummary

        init(stage: CompiledStage, index: Int, constants: [String: String], summary: PlanReport.StageSummary) {
            self.stage = stage
            self.index = index
            self.constants = constants
            self.summary = summary
            combinations = stage.matrix.reduce([[]]) { combos, axis in
                combos.flatMap { combo in axis.values.map { combo + [(axis.field, $0)] } }
            }
        }
    }

    private var plans: [StagePlan] = []
    private var childrenOfSource: [String: [StagePlan]] = [:]
    /// Output path hashes, tagged with the writing stage's index (the stage names its source), and
    /// the line that first wrote each: a million paths cost 24 MB rather than a copy of each path.
    private var outputsSeen = HashIndex(tagBits: PlanBuilder.stageTagBits)
    static let stageTagBits = 8

    /// The output folder as shown, with a trailing `/`, joined to each normalized output path.
    private let outputPrefix: String

    /// The ledger's successes, to count what a run would skip.
    private let cache: LedgerSnapshot?
    private let ledgerPath: String?

    public init(pipeline: CompiledPipeline, diagnostics: Diagnostics, sampleCount: Int = 3, cache: LedgerSnapshot? = nil, ledgerPath: String? = nil) {
        self.pipeline = pipeline
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
            let price: PriceTable.Price? = stage.model.flatMap {
                PriceTable.price(model: $0, provider: stage.provider, size: sizeOf(stage), resolution: resolutionOf(stage))
            }
            let summary = PlanReport.StageSummary(name: stage.name, kind: stage.spec.kind.name, from: stage.inputName, depth: depth,
                                                  provider: stage.provider?.name, model: stage.model, items: 0,
                                                  unitPriceUSD: price?.usd, priceSource: price?.source, samples: [])
            let plan = StagePlan(stage: stage, index: n, constants: constantOutputs(of: stage, price: price), summary: summary)
            plans.append(plan)
            plansByName[stage.name] = plan
            // Stages come in dependency order, so a stage's input is planned before it.
            if let parent = plansByName[stage.inputName] { parent.children.append(plan) } else { childrenOfSource[stage.inputName, default: []].append(plan) }
            if price == nil, let model = stage.model, stage.provider != nil {
                diagnostics.warning("no price is known for model '\(model)', so the cost estimate leaves out stage '\(stage.name)'",
                                    at: stage.spec.body.keyLocation("model"),
                                    hint: "add 'prices: { \(model): USD_PER_IMAGE }' to provider '\(stage.provider!.name)'")
            }
        }
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
        if let budget = pipeline.spec.budgetUSD {
            let total = plans.compactMap(\.summary.costUSD).reduce(0, +)
            if total > budget {
                diagnostics.warning(String(format: "the estimated cost $%.2f exceeds budget.max_usd $%.2f: the run will stop when the budget is reached", total, budget),
                                    at: pipeline.spec.root.keyLocation("budget"), hint: "raise max_usd, or try a part first with fewer items")
            }
        }
        return PlanReport(pipeline: pipeline.spec.name, file: pipeline.files.displayPipeline, outputDirectory: pipeline.displayOutputDirectory,
                          sources: sources, stages: plans.map(\.summary), budgetUSD: pipeline.spec.budgetUSD, ledger: ledgerPath)
    }

    private func constantOutputs(of stage: CompiledStage, price: PriceTable.Price?) -> [String: String] {
        var out: [String: String] = [:]
        for field in ItemType.outputFields(of: stage.spec.kind) { out[field] = "<\(stage.name).\(field)>" }
        switch stage.spec.kind {
        case .generate(let image), .edit(let image):
            out["model"] = stage.model ?? ""
            out["seed"] = image.seed.map(String.init) ?? ""
            if let size = image.size {
                out["width"] = String(size.width)
                out["height"] = String(size.height)
            }
            if let price { out["cost_usd"] = JSONValue.format(price.usd) }
        case .s3Upload:
            out["bucket"] = stage.bucket ?? ""
        case .http:
            break
        }
        return out
    }

    private func sourceFile(_ source: CompiledSource) -> String {
        switch source.spec.kind {
        case .csv(let p), .jsonl(let p): return pipeline.files.display(p.value)
        case .items: return pipeline.files.displayPipeline
        }
    }

    private func sizeOf(_ stage: CompiledStage) -> ImageSize? {
        switch stage.spec.kind {
        case .generate(let s), .edit(let s): return s.size
        default: return nil
        }
    }

    private func resolutionOf(_ stage: CompiledStage) -> String? {
        switch stage.spec.kind {
        case .generate(let s), .edit(let s): return s.resolution
        default: return nil
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
        // Key hash → line of first use.
        var keysSeen = HashIndex()
        var count = 0
        let stages = childrenOfSource[source.name] ?? []
        while true {
            let next: (record: Record, location: SourceLocation)?
            do {
                next = try records.next()
            } catch {
                diagnostics.error(error.message, at: SourceLocation(file: records.displayPath, line: error.line, column: error.column), hint: error.hint)
                // A ragged row or a bad field is reported and skipped; a broken quote ends the file.
                if error.message.hasPrefix("this row has") || error.message.contains("not valid UTF-8") { continue }
                break
            }
            guard let (record, location) = next else { break }
            count += 1
            var key = String(count)
            if let template = source.key {
                do {
                    key = try TemplateRenderer.render(template, fields: record)
                } catch {
                    diagnostics.error("this item has no field '\(error.path)' for source '\(source.name)' key", at: location,
                                      hint: "add the field, or use {{ \(error.path) | default(\"x\") }}")
                    continue
                }
                if key.isEmpty {
                    diagnostics.error("this item's key is empty (source '\(source.name)')", at: location, hint: "every item needs a key")
                    continue
                }
            }
            let hash = key.hashValue
            if let firstLine = keysSeen.insertOrFind(UInt64(bitPattern: Int64(hash)), payload: location.line)?.payload {
                diagnostics.error("duplicate key '\(key)' in source '\(source.name)': first at \(location.file):\(firstLine)", at: location,
                                  hint: "keys must be unique: each names one item's outputs and its resume state")
            }
            let context = ItemContext(record: record, key: key, location: location)
            for stage in stages { process(stage, context) }
        }
        return count
    }

    private func render(_ template: Template?, _ context: ItemContext, stage: CompiledStage, what: String) -> String? {
        guard let template else { return nil }
        do {
            return try TemplateRenderer.render(template, fields: context)
        } catch {
            diagnostics.error("item '\(context.key)' has no field '\(error.path)', needed by the \(what) of stage '\(stage.name)'",
                              at: context.location, hint: "add the field, or use {{ \(error.path) | default(\"x\") }}")
            return nil
        }
    }

    private func process(_ plan: StagePlan, _ incoming: ItemContext) {
        let stage = plan.stage
        switch stage.spec.kind {
        case .generate, .edit:
            for variant in 1...stage.variants {
                for combination in plan.combinations {
                    var context = incoming
                    if stage.variants > 1 { context.variant = variant }
                    if !combination.isEmpty { context.matrix += combination }
                    processImage(plan, context)
                }
            }
        case .s3Upload(let upload):
            var context = incoming
            guard let key = render(stage.objectKey, context, stage: stage, what: "key") else { return }
            // The URL is derived from the key, so it is only built where it is shown or used.
            var customURL: String?
            if stage.publicURL != nil {
                guard let rendered = render(stage.publicURL, context, stage: stage, what: "public_url") else { return }
                customURL = rendered
            }
            func url() -> String {
                customURL ?? S3Address.objectURL(bucket: stage.bucket ?? "", key: key, region: upload.region, endpoint: upload.endpoint,
                                                 pathStyle: upload.pathStyle)
            }
            record(plan, context, lines: [("key", key), ("url", url())])
            forward(plan, &context, values: [("url", url()), ("key", key)])
        case .http(let http):
            var context = incoming
            guard let url = render(stage.url, context, stage: stage, what: "url") else { return }
            var body: JSONValue?
            if let json = stage.json {
                do {
                    body = try json.render(fields: context)
                } catch {
                    diagnostics.error("item '\(context.key)' has no field '\(error.path)', needed by the json body of stage '\(stage.name)'",
                                      at: context.location, hint: "add the field, or use {{ \(error.path) | default(\"x\") }}")
                    return
                }
            }
            record(plan, context, lines: [("request", "\(http.method) \(url)")] + (body.map { [("json", $0.serialized(pretty: false))] } ?? []))
            forward(plan, &context, values: [])
        }
    }

    private func processImage(_ plan: StagePlan, _ incoming: ItemContext) {
        var context = incoming
        let stage = plan.stage
        guard let prompt = render(stage.prompt, context, stage: stage, what: "prompt"),
              let relative = render(stage.output, context, stage: stage, what: "output path") else { return }
        let negative = render(stage.negativePrompt, context, stage: stage, what: "negative_prompt")
        guard !relative.hasPrefix("/"), let normalized = RelativePath.normalize(relative), !normalized.isEmpty else {
            diagnostics.error("stage '\(stage.name)' output path '\(relative)' for item '\(context.key)' leaves output_dir", at: context.location,
                              hint: "this item's data contains '..' or '/' where the path uses it; clean the data or use the 'slug' filter")
            return
        }
        let hash = normalized.hashValue
        let tagged = HashIndex.tagged(hash, tag: plan.index, bits: Self.stageTagBits)
        if let first = outputsSeen.insertOrFind(tagged, payload: context.location.line) {
            let largestTag = (1 << Self.stageTagBits) - 1
            let firstIndex = Int(first.hash & UInt64(largestTag))
            // Stages past the tag's range share its largest value, so the writer is then unknown.
            let known = firstIndex < largestTag || pipeline.stages.count <= largestTag + 1
            let firstStage = pipeline.stages[firstIndex]
            let firstFile = pipeline.sources.first { $0.name == firstStage.rootSource }.map(sourceFile) ?? context.location.file
            let writer = known ? "stage '\(firstStage.name)'" : "another stage"
            diagnostics.error("stage '\(stage.name)' output path '\(normalized)' for item '\(context.key)' is already written by \(writer) for the item at \(firstFile):\(first.payload)",
                              at: context.location, hint: "make the output path unique per item, e.g. with {{ key }}")
        }
        let image = render(stage.image, context, stage: stage, what: "image")
        if let image, !FileManager.default.fileExists(atPath: pipeline.files.resolve(image)) {
            diagnostics.error("input image '\(pipeline.files.display(image))' for item '\(context.key)' (stage '\(stage.name)') does not exist",
                              at: context.location, hint: "paths in 'image:' are relative to the pipeline file")
        }
        let displayPath = outputPrefix + normalized
        var cachedSHA: String?
        if let cache {
            var inputSHA: String?
            if let image {
                inputSHA = FileManager.default.contents(atPath: pipeline.files.resolve(image)).map { Hex.string(SHA256.hash(data: $0)) }
            } else if case .edit = stage.spec.kind {
                inputSHA = context.outputs.last?.itemValue("sha256")
            }
            // An edit whose input is not made yet cannot be known to be cached.
            if !(stage.spec.kind.name == "edit" && inputSHA == nil) {
                let fingerprint = Fingerprint.image(stage: stage, prompt: prompt, negativePrompt: negative, variant: context.variant,
                                                    matrix: context.matrix, inputSHA256: inputSHA)
                let item = context.itemID
                if let entry = cache.success(stage: stage.name, item: item, fingerprint: fingerprint), let path = entry.path,
                   Self.fileSize(pipeline.outputDirectory + "/" + path) == entry.bytes {
                    plan.summary.cached += 1
                    cachedSHA = entry.sha256
                }
            }
        }
        record(plan, context, lines: (image.map { [("image", $0)] } ?? []) + [("prompt", prompt)]
            + (negative.map { [("negative", $0)] } ?? []) + [("output", displayPath)] + (cachedSHA != nil ? [("status", "cached")] : []))
        forward(plan, &context, values: [("path", displayPath), ("prompt", prompt)] + (cachedSHA.map { [("sha256", $0)] } ?? []))
    }

    static func fileSize(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }

    /// Counts the item, and keeps it as a sample while there are fewer than `sampleCount`; the
    /// sample's lines are only built then.
    private func record(_ plan: StagePlan, _ context: ItemContext, lines: @autoclosure () -> [(String, String)]) {
        plan.summary.items += 1
        guard plan.summary.samples.count < sampleCount else { return }
        var key = context.key
        if plan.stage.variants > 1 { key += " #\(context.variant)" }
        if !context.matrix.isEmpty { key += " " + context.matrix.map { "\($0.field)=\($0.value)" }.joined(separator: " ") }
        plan.summary.samples.append(.init(key: key, lines: lines()))
    }

    /// Passes the item on to the stages fed by `plan`, with what this stage produced for it.
    private func forward(_ plan: StagePlan, _ context: inout ItemContext, values: @autoclosure () -> [(name: String, value: String)]) {
        guard !plan.children.isEmpty else { return }
        context.outputs.append(StageOutput(stage: plan.stage.name, values: values(), constants: plan.constants))
        for child in plan.children { process(child, context) }
    }
}
