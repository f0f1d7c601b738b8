import Foundation

/// The dry run: streams every source once, renders every template for every item, and checks
/// what needs the whole data (duplicate keys, colliding or escaping output paths, data errors),
/// in memory that does not grow with the data: seen keys and paths are kept as 64-bit hashes.
public final class PlanBuilder {
    let pipeline: CompiledPipeline
    let diagnostics: Diagnostics
    let sampleCount: Int

    private var summaries: [String: PlanReport.StageSummary] = [:]
    private var children: [String: [CompiledStage]] = [:]
    private var matrixCombinations: [String: [[(field: String, value: String)]]] = [:]
    /// Output path hash → where it was first written, packed as line << 32 | stage index (the
    /// stage names its source), so that a million paths cost about 16 MB rather than a copy of each.
    private var outputsSeen: [Int: Int] = [:]
    private var stageIndex: [String: Int] = [:]
    /// Per stage, the outputs that are the same for every item.
    private var constants: [String: [String: String]] = [:]

    /// The output folder as shown, with a trailing `/`, joined to each normalized output path.
    private let outputPrefix: String

    public init(pipeline: CompiledPipeline, diagnostics: Diagnostics, sampleCount: Int = 3) {
        self.pipeline = pipeline
        outputPrefix = pipeline.displayOutputDirectory == "." ? "" : pipeline.displayOutputDirectory + "/"
        self.diagnostics = diagnostics
        self.sampleCount = sampleCount
    }

    public func build() -> PlanReport {
        for (n, stage) in pipeline.stages.enumerated() {
            stageIndex[stage.name] = n
            children[stage.inputName, default: []].append(stage)
            matrixCombinations[stage.name] = stage.matrix.reduce([[]]) { combos, axis in
                combos.flatMap { combo in axis.values.map { combo + [(axis.field, $0)] } }
            }
            let depth = stage.ancestors.count
            let price: PriceTable.Price? = stage.model.flatMap {
                PriceTable.price(model: $0, provider: stage.provider, size: sizeOf(stage), resolution: resolutionOf(stage))
            }
            constants[stage.name] = constantOutputs(of: stage, price: price)
            summaries[stage.name] = PlanReport.StageSummary(name: stage.name, kind: stage.spec.kind.name, from: stage.inputName, depth: depth,
                                                            provider: stage.provider?.name, model: stage.model, items: 0,
                                                            unitPriceUSD: price?.usd, priceSource: price?.source, samples: [])
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
            let total = pipeline.stages.compactMap { summaries[$0.name]?.costUSD }.reduce(0, +)
            if total > budget {
                diagnostics.warning(String(format: "the estimated cost $%.2f exceeds budget.max_usd $%.2f: the run will stop when the budget is reached", total, budget),
                                    at: pipeline.spec.root.keyLocation("budget"), hint: "raise max_usd, or try a part first with fewer items")
            }
        }
        return PlanReport(pipeline: pipeline.spec.name, file: pipeline.files.displayPipeline, outputDirectory: pipeline.displayOutputDirectory,
                          sources: sources, stages: pipeline.stages.compactMap { summaries[$0.name] }, budgetUSD: pipeline.spec.budgetUSD)
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
        var keysSeen: [Int: Int] = [:]
        var count = 0
        let stages = children[source.name] ?? []
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
                    key = try TemplateRenderer.render(template, lookup: { record.text(at: $0[...]) })
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
            if let firstLine = keysSeen[hash] {
                diagnostics.error("duplicate key '\(key)' in source '\(source.name)': first at \(location.file):\(firstLine)", at: location,
                                  hint: "keys must be unique: each names one item's outputs and its resume state")
            } else {
                keysSeen[hash] = location.line
            }
            let context = ItemContext(record: record, key: key, location: location)
            for stage in stages { process(stage, context) }
        }
        return count
    }

    private func render(_ template: Template?, _ context: ItemContext, stage: CompiledStage, what: String) -> String? {
        guard let template else { return nil }
        do {
            return try TemplateRenderer.render(template, lookup: context.lookup)
        } catch {
            diagnostics.error("item '\(context.key)' has no field '\(error.path)', needed by the \(what) of stage '\(stage.name)'",
                              at: context.location, hint: "add the field, or use {{ \(error.path) | default(\"x\") }}")
            return nil
        }
    }

    private func process(_ stage: CompiledStage, _ incoming: ItemContext) {
        switch stage.spec.kind {
        case .generate, .edit:
            for variant in 1...stage.variants {
                for combination in matrixCombinations[stage.name] ?? [[]] {
                    var context = incoming
                    context.variant = variant
                    context.matrix += combination
                    processImage(stage, context)
                }
            }
        case .s3Upload(let upload):
            var context = incoming
            guard let key = render(stage.objectKey, context, stage: stage, what: "key") else { return }
            let bucket = stage.bucket ?? ""
            var url = S3Address.objectURL(bucket: bucket, key: key, region: upload.region, endpoint: upload.endpoint, pathStyle: upload.pathStyle)
            if stage.publicURL != nil, let custom = render(stage.publicURL, context, stage: stage, what: "public_url") { url = custom }
            record(stage, context, lines: [("key", key), ("url", url)])
            context.outputs.append(StageOutput(stage: stage.name, values: [("url", url), ("key", key)], constants: constants[stage.name] ?? [:]))
            forward(stage, context)
        case .http(let http):
            var context = incoming
            guard let url = render(stage.url, context, stage: stage, what: "url") else { return }
            var lines: [(String, String)] = [("request", "\(http.method) \(url)")]
            if let json = stage.json {
                do {
                    let body = try json.render(lookup: context.lookup)
                    lines.append(("json", body.serialized(pretty: false)))
                } catch {
                    diagnostics.error("item '\(context.key)' has no field '\(error.path)', needed by the json body of stage '\(stage.name)'",
                                      at: context.location, hint: "add the field, or use {{ \(error.path) | default(\"x\") }}")
                    return
                }
            }
            record(stage, context, lines: lines)
            context.outputs.append(StageOutput(stage: stage.name, values: [], constants: constants[stage.name] ?? [:]))
            forward(stage, context)
        }
    }

    private func processImage(_ stage: CompiledStage, _ incoming: ItemContext) {
        var context = incoming
        guard let prompt = render(stage.prompt, context, stage: stage, what: "prompt"),
              let relative = render(stage.output, context, stage: stage, what: "output path") else { return }
        let negative = render(stage.negativePrompt, context, stage: stage, what: "negative_prompt")
        guard !relative.hasPrefix("/"), let normalized = RelativePath.normalize(relative), !normalized.isEmpty else {
            diagnostics.error("stage '\(stage.name)' output path '\(relative)' for item '\(context.key)' leaves output_dir", at: context.location,
                              hint: "this item's data contains '..' or '/' where the path uses it; clean the data or use the 'slug' filter")
            return
        }
        let hash = normalized.hashValue
        if let packed = outputsSeen[hash] {
            let firstStage = pipeline.stages[packed & 0xFFFF_FFFF]
            let firstFile = pipeline.sources.first { $0.name == firstStage.rootSource }.map(sourceFile) ?? context.location.file
            diagnostics.error("stage '\(stage.name)' output path '\(normalized)' for item '\(context.key)' is already written by stage '\(firstStage.name)' for the item at \(firstFile):\(packed >> 32)",
                              at: context.location, hint: "make the output path unique per item, e.g. with {{ key }}")
        } else {
            outputsSeen[hash] = context.location.line << 32 | (stageIndex[stage.name] ?? 0)
        }
        var lines: [(String, String)] = []
        if let image = render(stage.image, context, stage: stage, what: "image") {
            lines.append(("image", image))
            if !FileManager.default.fileExists(atPath: pipeline.files.resolve(image)) {
                diagnostics.error("input image '\(pipeline.files.display(image))' for item '\(context.key)' (stage '\(stage.name)') does not exist",
                                  at: context.location, hint: "paths in 'image:' are relative to the pipeline file")
            }
        }
        lines.append(("prompt", prompt))
        if let negative { lines.append(("negative", negative)) }
        let displayPath = outputPrefix + normalized
        lines.append(("output", displayPath))
        record(stage, context, lines: lines)
        guard children[stage.name] != nil else { return }
        context.outputs.append(StageOutput(stage: stage.name, values: [("path", displayPath), ("prompt", prompt)], constants: constants[stage.name] ?? [:]))
        forward(stage, context)
    }

    private func record(_ stage: CompiledStage, _ context: ItemContext, lines: [(String, String)]) {
        summaries[stage.name]!.items += 1
        if summaries[stage.name]!.samples.count < sampleCount {
            var key = context.key
            if stage.variants > 1 { key += " #\(context.variant)" }
            if !context.matrix.isEmpty { key += " " + context.matrix.map { "\($0.field)=\($0.value)" }.joined(separator: " ") }
            summaries[stage.name]!.samples.append(.init(key: key, lines: lines))
        }
    }

    private func forward(_ stage: CompiledStage, _ context: ItemContext) {
        for child in children[stage.name] ?? [] { process(child, context) }
    }
}
