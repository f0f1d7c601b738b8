import Crypto
import Foundation

/// One image to make, rendered: the request, where it goes, and its fingerprint.
struct PreparedImage: PreparedUnit {
    typealias Product = (bytes: [UInt8], info: ImageInfo)

    let request: ImageRequest
    let isEdit: Bool
    let relativePath: String
    let displayPath: String
    let fingerprint: String?
    /// `edit` fed from a source: the input image as the item names it.
    let imageField: String?
    let priceUSD: Double?
    let connection: ImageConnection?

    var writes: String? { relativePath }
    var sample: [(label: String, value: String)] {
        (imageField.map { [("image", $0)] } ?? []) + [("prompt", request.prompt)]
            + (request.negativePrompt.map { [("negative", $0)] } ?? []) + [("output", displayPath)]
    }
    var price: Double { priceUSD ?? 0 }
    var planned: [(name: String, value: String)] { [("path", displayPath), ("prompt", request.prompt)] }

    func describe(_ outcome: inout ItemOutcome) {
        outcome.prompt = request.prompt
        outcome.path = relativePath
    }

    func reuse(_ entry: LedgerSnapshot.Output, _ probe: CacheProbe, into outcome: inout ItemOutcome) -> UnitOutputs? {
        guard let reuse = probe.image(entry, at: relativePath) else { return nil }
        outcome.sha256 = entry.sha256
        outcome.width = entry.width
        outcome.height = entry.height
        outcome.bytes = entry.bytes
        // A dry run forwards the file that is there now; a run has copied it into place.
        let file = probe.outputDirectory + "/" + (reuse == .moved && !probe.mayCopy ? entry.path! : relativePath)
        var outputs = outputs(of: outcome, file: file)
        outputs.recordAgain = reuse == .moved
        return outputs
    }

    func call() async throws(CallFailure) -> Product {
        guard let provider = connection?.provider else { throw CallFailure(.local_error, "stage '\(request.stage)' has no provider") }
        var request = self.request
        if isEdit {
            guard let path = request.inputImagePath, let data = FileManager.default.contents(atPath: path) else {
                throw CallFailure(.local_error, "cannot read the input image \(request.inputImagePath ?? "(none)")")
            }
            request.inputImage = Array(data)
        }
        let image = try await provider.generate(request)
        do throws(ImageInspector.Problem) {
            return (image.bytes, try ImageInspector.inspect(image.bytes))
        } catch {
            throw CallFailure(.invalid_output, "the provider's answer is not a usable image: \(error.description)")
        }
    }

    func commit(_ product: Product, into outcome: inout ItemOutcome) throws(CallFailure) -> UnitOutputs {
        do {
            try AtomicFile.write(product.bytes, to: request.outputPath)
        } catch {
            throw CallFailure(.local_error, error.description)
        }
        outcome.sha256 = Hex.string(SHA256.hash(data: product.bytes))
        outcome.width = product.info.width
        outcome.height = product.info.height
        outcome.bytes = product.bytes.count
        outcome.costUSD = priceUSD
        return outputs(of: outcome, file: request.outputPath)
    }

    private func outputs(of outcome: ItemOutcome, file: String) -> UnitOutputs {
        var values: [(name: String, value: String)] = [
            ("path", displayPath), ("prompt", request.prompt), ("sha256", outcome.sha256 ?? ""), ("width", outcome.width.map(String.init) ?? ""),
            ("height", outcome.height.map(String.init) ?? ""), ("bytes", outcome.bytes.map(String.init) ?? ""), (StageOutput.fileField, file),
        ]
        if let priceUSD { values.append(("cost_usd", JSONValue.format(priceUSD))) }
        return UnitOutputs(values)
    }
}
