import Foundation

/// A compiled `generate` or `edit` stage: prompts in, images out.
struct ImageStageBody: StageBody {
    let kind: String
    let spec: ImageStageSpec
    let isEdit: Bool
    var provider: ProviderSpec?
    var model: String?
    var prompt: Template?
    var negativePrompt: Template?
    var params: JSONTemplate?
    /// Set when the stage's requests go through the provider's batch API.
    var batch: BatchSetting?
    var output: Template?
    /// `edit` fed from a source: the field holding the input image's path.
    var image: Template?
    var variants = 1
    var matrix: [(field: String, values: [String])] = []
    /// The stage's provenance setting, or the pipeline's.
    var provenance = ProvenanceSetting.standard
    /// Set once compiled: what every unit of the stage shares, looked up once.
    private(set) var shared: ImageStageShared?

    var isPaid: Bool { true }
    /// In batch mode, every line of one batch waits at once.
    var waitingRemotely: Int { batch.map { $0.maxRequests ?? 50_000 } ?? 0 }
    var regenerations: Int { spec.keeping.onCheckFailure == .regenerate ? spec.keeping.maxRegenerations : 0 }
    var price: PriceTable.Price? { shared?.price }
    var priceModes: PriceModes? { shared?.priceModes }
    /// A quarter of a byte per pixel: well-compressed JPEG or WebP; PNG photos take several times more.
    var bytesPerUnit: Int {
        let pixels = spec.size.map { $0.width * $0.height } ?? (spec.resolution == "4K" ? 4096 * 4096 : spec.resolution == "2K" ? 2048 * 2048 : 1024 * 1024)
        return pixels / 4
    }

    /// Called when the stage's settings are complete.
    mutating func finish() {
        var price = model.flatMap { PriceTable.price(model: $0, provider: provider, size: spec.size, resolution: spec.resolution) }
        var modes: PriceModes?
        // `batch: false` on the stage says it must not wait: no batch total to offer for it.
        if let factor = provider?.component.batchPriceFactor, let list = price, !isEdit, !spec.batchOff {
            modes = PriceModes(nowUSD: list.usd, batchUSD: list.usd * factor, inBatch: batch != nil)
            if batch != nil { price = PriceTable.Price(usd: list.usd * factor, source: list.source + "; at the batch price (\(Int(factor * 100))% of list)") }
        }
        shared = ImageStageShared(spec: spec, isEdit: isEdit, model: model, price: price, priceModes: modes, batch: batch,
                                  fingerprint: ImageFingerprint(kind: kind, provider: provider, model: model, spec: spec))
    }

    static let outputFields = ["path", "sha256", "width", "height", "bytes", "model", "prompt", "seed", "cost_usd"]

    func constants(stage: String) -> [String: String] {
        var out: [String: String] = [:]
        for field in Self.outputFields { out[field] = "<\(stage).\(field)>" }
        out["model"] = model ?? ""
        out["seed"] = spec.seed.map(String.init) ?? ""
        if let size = spec.size {
            out["width"] = String(size.width)
            out["height"] = String(size.height)
        }
        if let price { out["cost_usd"] = JSONValue.format(price.usd) }
        return out
    }

    func connect(_ setup: ConnectionSetup) throws(ConnectionProblem) -> (any StageConnection)? {
        guard let provider = setup.provider else { throw ConnectionProblem("stage '\(setup.stage)' has no provider") }
        let keeping = spec.keeping
        return ImageConnection(provider: provider, checks: ImageCheckRunner(keeping.checks),
                               stamp: provenance.enabled ? ProvenanceStamp(setting: provenance, pipeline: setup.pipeline, run: setup.run,
                                                                           provider: self.provider?.name, providerKind: self.provider?.kindName) : nil)
    }

    func prepare(_ unit: ItemContext, _ environment: UnitEnvironment) throws(UnitProblem) -> any PreparedUnit {
        let stage = environment.stage
        let prompt = try unit.render(self.prompt, stage: stage, what: "prompt") ?? ""
        let negative = try unit.render(negativePrompt, stage: stage, what: "negative_prompt")
        var renderedParams: JSONValue?
        if let params {
            do throws(TemplateRenderer.MissingField) {
                renderedParams = try params.render(fields: unit)
            } catch {
                throw UnitProblem("item '\(unit.key)' has no field '\(error.path)', needed by the params of stage '\(stage)'",
                                  hint: "add the field, or use {{ \(error.path) | default(\"x\") }}")
            }
        }
        let relative = try OutputPath.resolve(try unit.render(output, stage: stage, what: "output path") ?? "", stage: stage, key: unit.key)
        var input = PreparedImage.Input.none
        if isEdit {
            if let field = try unit.render(image, stage: stage, what: "image") {
                let path = environment.files.resolve(field)
                guard FileManager.default.fileExists(atPath: path) else {
                    throw UnitProblem("input image '\(environment.files.display(field))' for item '\(unit.key)' (stage '\(stage)') does not exist",
                                      hint: "paths in 'image:' are relative to the pipeline file")
                }
                input = .file(field: field, path: path)
            } else {
                input = .upstream(path: unit.outputs.last?.itemValue(StageOutput.fileField), sha256: unit.outputs.last?.itemValue("sha256"))
            }
        }
        return PreparedImage(shared: shared!, key: unit.key, variant: unit.variant, matrix: unit.matrix, prompt: prompt, negativePrompt: negative, params: renderedParams, relativePath: relative, input: input,
                             environment: environment)
    }
}

/// What an image stage calls through: its provider, its checks, and what it writes into each
/// image about its origin.
struct ImageConnection: StageConnection {
    let provider: any ImageProvider
    let checks: ImageCheckRunner?
    let stamp: ProvenanceStamp?
}

/// What every unit of one image stage shares, made once when the stage is compiled, so that a
/// unit carries one reference to it rather than a copy of each setting.
final class ImageStageShared: Sendable {
    let spec: ImageStageSpec
    let isEdit: Bool
    let model: String?
    let price: PriceTable.Price?
    let priceModes: PriceModes?
    let batch: BatchSetting?
    /// What every unit's fingerprint starts with, hashed once.
    let fingerprint: ImageFingerprint

    init(spec: ImageStageSpec, isEdit: Bool, model: String?, price: PriceTable.Price?, priceModes: PriceModes?, batch: BatchSetting?,
         fingerprint: ImageFingerprint) {
        self.batch = batch
        self.priceModes = priceModes
        self.spec = spec
        self.isEdit = isEdit
        self.model = model
        self.price = price
        self.fingerprint = fingerprint
    }
}
