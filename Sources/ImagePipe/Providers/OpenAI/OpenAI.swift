/// `kind: openai`: OpenAI's Images API.
struct OpenAI: ProviderKind {
    let name = "openai"
    let summary = "OpenAI Images API (`/images/generations`, `/images/edits`)."
    var fields: [FieldSpec] { Self.httpFields + [BatchSetting.field] }
    /// "50% lower cost" (OpenAI's Batch API FAQ and its announcement for GPT Image models, 2026-02,
    /// as collected in shared/reference/provider-apis.md §1.8).
    var batchPriceFactor: Double? { 0.5 }
    let defaultBaseURL: String? = "https://api.openai.com/v1"
    let apiKeyVariable: String? = "OPENAI_API_KEY"

    /// From the Images API reference (platform.openai.com/docs/api-reference/images, read 2026-11-26):
    /// the gpt-image models take three sizes (or `auto`) and low/medium/high quality, gpt-image-2 any
    /// size in multiples of 16; DALL·E 3 makes three other sizes in standard or hd and edits nothing.
    var models: [ModelSpec] {
        let gptSizes = ModelSpec.Sizes.only([ImageSize(width: 1024, height: 1024), ImageSize(width: 1536, height: 1024), ImageSize(width: 1024, height: 1536)])
        let gptQualities = ["auto", "low", "medium", "high"]
        // `aspect_ratio` is mapped onto the nearest size (OpenAIProvider.size(for:)).
        let ratios = ["1:1", "3:2", "2:3"]
        return [
            ModelSpec("gpt-image-1", sizes: gptSizes, aspectRatios: ratios, qualities: gptQualities, takesFormatOptions: true),
            ModelSpec("gpt-image-1-mini", sizes: gptSizes, aspectRatios: ratios, qualities: gptQualities, takesFormatOptions: true),
            ModelSpec("gpt-image-1.5", sizes: gptSizes, aspectRatios: ratios, qualities: gptQualities, takesFormatOptions: true),
            ModelSpec("gpt-image-2", sizes: .free(step: 16, maxRatio: 3, maxWidth: 3840, maxHeight: 3840), aspectRatios: ratios,
                      qualities: gptQualities, takesFormatOptions: true),
            ModelSpec("dall-e-3", sizes: .only([ImageSize(width: 1024, height: 1024), ImageSize(width: 1792, height: 1024), ImageSize(width: 1024, height: 1792)]),
                      qualities: ["standard", "hd"], edits: false),
            ModelSpec("dall-e-2", sizes: .only([ImageSize(width: 256, height: 256), ImageSize(width: 512, height: 512), ImageSize(width: 1024, height: 1024)]),
                      qualities: ["standard"]),
        ]
    }

    static let pricesSource = "built-in table (OpenAI pricing page, platform.openai.com/docs/pricing, read 2026-11-26)"

    /// Per-image list prices at standard (non-batch) rates: 1024x1024 at medium quality unless
    /// the size says otherwise.
    func price(model: String, size: ImageSize?, resolution: String?) -> PriceTable.Price? {
        let large = (size.map { $0.width * $0.height } ?? 1024 * 1024) > 1024 * 1024
        let usd: Double
        switch model.lowercased() {
        case "gpt-image-1": usd = large ? 0.063 : 0.042
        case "gpt-image-1.5": usd = large ? 0.05 : 0.034
        case "gpt-image-1-mini": usd = large ? 0.015 : 0.011
        case "dall-e-3": usd = large ? 0.08 : 0.04
        case "dall-e-2": usd = 0.02
        default: return nil
        }
        return PriceTable.Price(usd: usd, source: Self.pricesSource)
    }

    func make(_ spec: ProviderSpec, transport: HTTPTransport, workingDirectory: String) -> any ImageProvider {
        OpenAIProvider(baseURL: Self.trimmed(spec.baseURL), apiKey: spec.apiKey, transport: transport)
    }
}
