import Crypto
import Foundation

/// One image to transform into one output: its input (as the stage above made or recorded it),
/// its recipe and its path.
struct PreparedTransform: PreparedUnit {
    struct Product: Sendable {
        /// The encoded image with the input's provenance in it (unless stripped).
        var result: ImageTransformer.Result
        /// Why provenance the input had is not in the result.
        var warning: String?
    }

    let body: TransformBody
    let recipe: TransformRecipe
    let itemID: String
    let outputName: String?
    let relativePath: String
    /// Absolute, with its SHA-256: nil in a dry run before the stage above has made it.
    let input: String?
    let inputSHA256: String?
    let environment: UnitEnvironment

    private var connection: TransformConnection? { environment.connection as? TransformConnection }
    var displayPath: String { environment.displayPrefix + relativePath }
    var outputPath: String { environment.outputDirectory + "/" + relativePath }
    var writes: String? { relativePath }
    var price: Double { 0 }
    var planned: [(name: String, value: String)] { [("path", displayPath)] }
    var sample: [(label: String, value: String)] { [("steps", recipe.description), ("output", displayPath)] }

    var fingerprint: String? {
        guard input != nil, let inputSHA256 else { return nil }
        let provenance = body.provenance.enabled && !recipe.strip ? "keep" : "drop"
        return Fingerprint.hash(["transform", "1", recipe.description, provenance, inputSHA256])
    }

    func describe(_ outcome: inout ItemOutcome) {
        outcome.path = relativePath
    }

    func reuse(_ entry: RecordedSuccess, _ probe: CacheProbe, into outcome: inout ItemOutcome) -> UnitOutputs? {
        guard let reuse = probe.image(entry, at: relativePath) else { return nil }
        let file = probe.outputDirectory + "/" + (reuse == .moved && !probe.mayCopy ? entry.path! : relativePath)
        connection?.checks?.remember(file: file, item: itemID, output: outputName)
        outcome.sha256 = entry.sha256
        outcome.width = entry.width
        outcome.height = entry.height
        outcome.bytes = entry.bytes
        var outputs = outputs(of: outcome, file: file, format: TransformSpec.Format.from(extension: relativePath) ?? recipe.format)
        outputs.recordAgain = reuse == .moved
        return outputs
    }

    func call() async throws(CallFailure) -> Product {
        guard let input, let data = FileManager.default.contents(atPath: input) else {
            throw CallFailure(.local_error, "cannot read the input image \(input ?? "(none)")")
        }
        let bytes = Array(data)
        let recipe = self.recipe
        let keeps = connection?.keepsProvenance ?? false
        let provenance = keeps && !recipe.strip ? XMPEmbedding.extract(from: bytes) : nil
        do throws(Libvips.Failure) {
            var result = try await Libvips.run { () throws(Libvips.Failure) in try ImageTransformer.apply(recipe, to: bytes, provenance: provenance) }
            // Written in before the checks, so that `max_bytes` sees the file as it will be (AVIF's
            // is in already, written by libvips).
            guard let provenance, result.format != .avif else { return Product(result: result) }
            let stamped = ProvenanceStamp.stamp(result.bytes, with: provenance)
            result.bytes = stamped.bytes
            return Product(result: result, warning: stamped.warning)
        } catch {
            throw CallFailure(.local_error, "libvips could not transform the image (\(recipe.description)): \(error.description)")
        }
    }

    func vet(_ product: Product, into outcome: inout ItemOutcome) async throws(CallFailure) {
        try await connection?.checks?.vet(product.result.bytes, width: product.result.width, height: product.result.height, item: itemID,
                                          output: outputName, into: &outcome, cost: nil)
    }

    func commit(_ product: Product, into outcome: inout ItemOutcome) throws(CallFailure) -> UnitOutputs {
        let bytes = product.result.bytes
        outcome.warning = product.warning
        try environment.writeImage(bytes, to: outputPath)
        outcome.sha256 = Hex.string(SHA256.hash(data: bytes))
        outcome.width = product.result.width
        outcome.height = product.result.height
        outcome.bytes = bytes.count
        return outputs(of: outcome, file: outputPath, format: product.result.format)
    }

    private func outputs(of outcome: ItemOutcome, file: String, format: TransformSpec.Format?) -> UnitOutputs {
        UnitOutputs([
            ("path", displayPath), ("sha256", outcome.sha256 ?? ""), ("width", outcome.width.map(String.init) ?? ""),
            ("height", outcome.height.map(String.init) ?? ""), ("bytes", outcome.bytes.map(String.init) ?? ""),
            ("format", format?.rawValue ?? ""), (StageOutput.fileField, file),
        ])
    }
}
