import Crypto
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
    var output: Template?
    /// `edit` fed from a source: the field holding the input image's path.
    var image: Template?
    var variants = 1
    var matrix: [(field: String, values: [String])] = []

    var isPaid: Bool { true }

    var price: PriceTable.Price? {
        model.flatMap { PriceTable.price(model: $0, provider: provider, size: spec.size, resolution: spec.resolution) }
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
        return ImageConnection(provider: provider)
    }

    func prepare(_ unit: ItemContext, _ environment: UnitEnvironment) throws(UnitProblem) -> any PreparedUnit {
        let stage = environment.stage
        let prompt = try Self.render(self.prompt, unit, stage: stage, what: "prompt") ?? ""
        let negative = try Self.render(negativePrompt, unit, stage: stage, what: "negative_prompt")
        let relative = try OutputPath.resolve(try Self.render(output, unit, stage: stage, what: "output path") ?? "", stage: stage, key: unit.key)
        var inputPath: String?
        var inputSHA256: String?
        var imageField: String?
        if isEdit {
            if let field = try Self.render(image, unit, stage: stage, what: "image") {
                let path = environment.files.resolve(field)
                guard FileManager.default.fileExists(atPath: path) else {
                    throw UnitProblem("input image '\(environment.files.display(field))' for item '\(unit.key)' (stage '\(stage)') does not exist",
                                      hint: "paths in 'image:' are relative to the pipeline file")
                }
                inputPath = path
                imageField = field
                if environment.needsFingerprint {
                    inputSHA256 = FileManager.default.contents(atPath: path).map { Hex.string(SHA256.hash(data: $0)) }
                }
            } else {
                inputPath = unit.outputs.last?.itemValue(StageOutput.fileField)
                inputSHA256 = unit.outputs.last?.itemValue("sha256")
            }
        }
        let display = environment.displayPrefix + relative
        // An edit whose input is not made yet cannot be known to be cached.
        let fingerprint: String? = isEdit && inputSHA256 == nil ? nil
            : Fingerprint.image(kind: kind, provider: provider, model: model, spec: spec, prompt: prompt, negativePrompt: negative,
                                variant: unit.variant, matrix: unit.matrix, inputSHA256: inputSHA256)
        let request = ImageRequest(stage: stage, key: unit.key, variant: unit.variant, model: model ?? "", prompt: prompt,
                                   negativePrompt: negative, size: spec.size, aspectRatio: spec.aspectRatio, resolution: spec.resolution,
                                   seed: spec.seed, quality: spec.quality, background: spec.background, outputFormat: spec.outputFormat,
                                   inputImage: nil, inputImagePath: inputPath, outputPath: environment.outputDirectory + "/" + relative,
                                   timeout: environment.timeout)
        return PreparedImage(request: request, isEdit: isEdit, relativePath: relative, displayPath: display, fingerprint: fingerprint,
                             imageField: imageField, priceUSD: price?.usd, connection: environment.connection as? ImageConnection)
    }

    static func render(_ template: Template?, _ unit: ItemContext, stage: String, what: String) throws(UnitProblem) -> String? {
        guard let template else { return nil }
        do {
            return try TemplateRenderer.render(template, fields: unit)
        } catch {
            throw UnitProblem("item '\(unit.key)' has no field '\(error.path)', needed by the \(what) of stage '\(stage)'",
                              hint: "add the field, or use {{ \(error.path) | default(\"x\") }}")
        }
    }
}

/// What an image stage calls through: its provider.
struct ImageConnection: StageConnection {
    let provider: any ImageProvider
}
