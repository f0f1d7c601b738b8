import Crypto
import Foundation

/// One image to make, rendered: its prompt, where it goes, what it edits. The fingerprint, the
/// request and the plan's lines are made only when asked for (a dry run without a ledger needs
/// none of them for most units).
struct PreparedImage: PreparedUnit {
    /// The image as it will be written (its provenance in it) and why provenance is missing, if it is.
    typealias Product = (bytes: [UInt8], info: ImageInfo, warning: String?)

    enum Input: Sendable {
        case none
        /// `image:` names a file (relative to the pipeline).
        case file(field: String, path: String)
        /// The image an upstream stage made (or recorded).
        case upstream(path: String?, sha256: String?)
    }

    let shared: ImageStageShared
    let key: String
    let variant: Int
    let matrix: [(field: String, value: String)]
    let prompt: String
    let negativePrompt: String?
    /// `params:` rendered for this unit.
    let params: JSONValue?
    let relativePath: String
    let input: Input
    let environment: UnitEnvironment
    /// How many times the image was made again after failing its checks (0: the first).
    var regeneration = 0

    private var connection: ImageConnection? { environment.connection as? ImageConnection }
    private var itemID: String { Fingerprint.itemID(key: key, variant: variant, matrix: matrix) }

    /// The seed sent: the stage's, moved by one per regeneration; a regeneration of an image
    /// without a seed sends one derived from the item, so that it differs where the provider
    /// takes seeds.
    var seed: Int? {
        if let seed = shared.spec.seed { return (seed &+ regeneration) & Int.max }
        guard regeneration > 0 else { return nil }
        return Int(PlaceholderImage.fnv1a(itemID + "\u{0}" + prompt) & 0x3FFF_FFFF) + regeneration
    }

    var displayPath: String { environment.displayPrefix + relativePath }
    var outputPath: String { environment.outputDirectory + "/" + relativePath }
    var writes: String? { relativePath }
    var price: Double { shared.price?.usd ?? 0 }
    var planned: [(name: String, value: String)] { [("path", displayPath), ("prompt", prompt)] }

    var sample: [(label: String, value: String)] {
        var lines: [(label: String, value: String)] = []
        if case .file(let field, _) = input { lines.append(("image", field)) }
        lines.append(("prompt", prompt))
        if let negativePrompt { lines.append(("negative", negativePrompt)) }
        lines.append(("output", displayPath))
        return lines
    }

    /// Nil for an edit whose input is not made yet: it cannot be known to be cached.
    var fingerprint: String? {
        var inputSHA256: String?
        switch input {
        case .none: break
        case .file(_, let path): inputSHA256 = FileManager.default.contents(atPath: path).map { Hex.string(SHA256.hash(data: $0)) }
        case .upstream(_, let sha256): inputSHA256 = sha256
        }
        if shared.isEdit, inputSHA256 == nil { return nil }
        return shared.fingerprint.hash(prompt: prompt, negativePrompt: negativePrompt, variant: variant, matrix: matrix, inputSHA256: inputSHA256,
                                       params: params)
    }

    func describe(_ outcome: inout ItemOutcome) {
        outcome.prompt = prompt
        outcome.path = relativePath
    }

    func stands(_ entry: RecordedSuccess, _ probe: CacheProbe) -> Bool {
        probe.image(entry, at: relativePath) != nil
    }

    func reuse(_ entry: RecordedSuccess, _ probe: CacheProbe, into outcome: inout ItemOutcome) -> UnitOutputs? {
        guard let reuse = probe.image(entry, at: relativePath) else { return nil }
        // A dry run forwards the file that is there now; a run has copied it into place.
        let file = probe.outputDirectory + "/" + (reuse == .moved && !probe.mayCopy ? entry.path! : relativePath)
        connection?.checks?.remember(file: file, item: itemID)
        outcome.sha256 = entry.sha256
        outcome.width = entry.width
        outcome.height = entry.height
        outcome.bytes = entry.bytes
        outcome.costUSD = entry.costUSD
        var outputs = outputs(of: outcome, file: file)
        outputs.recordAgain = reuse == .moved
        return outputs
    }

    func call() async throws(CallFailure) -> Product {
        guard let provider = connection?.provider else {
            throw CallFailure(.local_error, "stage '\(environment.stage)' has no provider")
        }
        return try finish(try await provider.generate(try request()))
    }

    func remoteCall() -> RemoteCall<Product>? {
        guard let provider = connection?.provider as? any QueuedImageProvider else { return nil }
        let unit = self
        return RemoteCall(provider: provider, submit: { (webhook: String?) async throws(CallFailure) -> RemoteSubmission in
            try await provider.submit(try unit.request(), webhook: webhook)
        }, finish: { (image: ProviderImage) throws(CallFailure) -> Product in
            try unit.finish(image)
        })
    }

    func batchCall() -> BatchCall<Product>? {
        guard let setting = shared.batch, let provider = connection?.provider as? any BatchImageProvider else { return nil }
        let unit = self
        return BatchCall(provider: provider, setting: setting, line: { (customID: String) throws(CallFailure) -> [UInt8] in
            try provider.batchLine(try unit.request(), customID: customID)
        }, finish: { (image: ProviderImage) throws(CallFailure) -> Product in
            try unit.finish(image)
        })
    }

    /// What the provider is asked for, the input image read in for an edit.
    private func request() throws(CallFailure) -> ImageRequest {
        let spec = shared.spec
        var request = ImageRequest(stage: environment.stage, key: key, variant: variant, model: shared.model ?? "", prompt: prompt,
                                   negativePrompt: negativePrompt, size: spec.size, aspectRatio: spec.aspectRatio, resolution: spec.resolution,
                                   seed: seed, quality: spec.quality, background: spec.background, outputFormat: spec.outputFormat,
                                   inputImage: nil, inputImagePath: nil, outputPath: outputPath, timeout: environment.timeout)
        request.params = params
        switch input {
        case .none: break
        case .file(_, let path): request.inputImagePath = path
        case .upstream(let path, _): request.inputImagePath = path
        }
        if shared.isEdit {
            guard let path = request.inputImagePath, let data = FileManager.default.contents(atPath: path) else {
                throw CallFailure(.local_error, "cannot read the input image \(request.inputImagePath ?? "(none)")")
            }
            request.inputImage = Array(data)
        }
        return request
    }

    /// The provider's image as it will be kept: inspected, its provenance written in.
    private func finish(_ image: ProviderImage) throws(CallFailure) -> Product {
        let info: ImageInfo
        do throws(ImageInspector.Problem) {
            info = try ImageInspector.inspect(image.bytes)
        } catch {
            throw CallFailure(.invalid_output, "the provider's answer is not a usable image: \(error.description)")
        }
        // Written in before the checks, so that `max_bytes` sees the file as it will be.
        guard let stamp = connection?.stamp else { return (image.bytes, info, nil) }
        let packet = stamp.packet(stage: environment.stage, item: itemID, model: shared.model, prompt: prompt, seed: seed)
        let stamped = ProvenanceStamp.stamp(image.bytes, with: packet.xml)
        return (stamped.bytes, info, stamped.warning)
    }

    func regeneration(_ n: Int) -> PreparedImage? {
        let keeping = shared.spec.keeping
        guard keeping.onCheckFailure == .regenerate, n <= keeping.maxRegenerations else { return nil }
        var again = self
        again.regeneration = n
        return again
    }

    func vet(_ product: Product, into outcome: inout ItemOutcome) async throws(CallFailure) {
        try await connection?.checks?.vet(product.bytes, width: product.info.width, height: product.info.height, item: itemID,
                                          into: &outcome, cost: shared.price?.usd)
    }

    func commit(_ product: Product, into outcome: inout ItemOutcome) throws(CallFailure) -> UnitOutputs {
        let path = outputPath
        let bytes = product.bytes
        try environment.writeImage(bytes, to: path)
        outcome.sha256 = Hex.string(SHA256.hash(data: bytes))
        outcome.width = product.info.width
        outcome.height = product.info.height
        outcome.bytes = bytes.count
        outcome.costUSD = shared.price?.usd
        var warnings: [String] = []
        if let asked = shared.spec.size, asked.width != product.info.width || asked.height != product.info.height {
            warnings.append("asked for \(asked), the provider sent \(product.info.width)x\(product.info.height)")
        }
        if let warning = product.warning { warnings.append(warning) }
        outcome.warning = warnings.isEmpty ? nil : warnings.joined(separator: "; ")
        return outputs(of: outcome, file: path)
    }

    private func outputs(of outcome: ItemOutcome, file: String) -> UnitOutputs {
        var values: [(name: String, value: String)] = [
            ("path", displayPath), ("prompt", prompt), ("sha256", outcome.sha256 ?? ""), ("width", outcome.width.map(String.init) ?? ""),
            ("height", outcome.height.map(String.init) ?? ""), ("bytes", outcome.bytes.map(String.init) ?? ""), (StageOutput.fileField, file),
        ]
        if let price = shared.price?.usd { values.append(("cost_usd", JSONValue.format(price))) }
        return UnitOutputs(values)
    }
}
