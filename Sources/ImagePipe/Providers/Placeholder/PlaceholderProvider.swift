/// Offline, free and deterministic: a PNG drawn from the prompt's hash at the requested size,
/// labelled with the item's key, its stage and variant, and the prompt's start.
struct PlaceholderProvider: ImageProvider {
    func generate(_ request: ImageRequest) async throws(CallFailure) -> ProviderImage {
        let size = request.effectiveSize
        var text = request.prompt
        if let negative = request.negativePrompt { text += "\u{0}" + negative }
        if request.variant > 1 { text += "\u{0}\(request.variant)" }
        if let seed = request.seed { text += "\u{0}seed \(seed)" }
        if let input = request.inputImage { text += "\u{0}\(Checksums.crc32(input))" }
        let label = [request.key, "\(request.stage) #\(request.variant)", String(request.prompt.prefix(24))]
        return ProviderImage(bytes: PlaceholderImage.png(prompt: text, width: size.width, height: size.height, label: label))
    }
}
