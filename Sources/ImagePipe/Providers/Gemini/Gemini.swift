/// `kind: gemini`: the Gemini API's `generateContent` with image output.
struct Gemini: ProviderKind {
    let name = "gemini"
    let summary = "Gemini API `generateContent` with image output (and Batch Mode, `batchGenerateContent`)."
    var fields: [FieldSpec] { Self.httpFields + [BatchSetting.field] }
    /// "50% of the standard price" (Gemini API Batch Mode docs and Google's announcement, 2025-07-07,
    /// as collected in shared/reference/provider-apis.md §2.6).
    var batchPriceFactor: Double? { 0.5 }
    let defaultBaseURL: String? = "https://generativelanguage.googleapis.com"
    let apiKeyVariable: String? = "GEMINI_API_KEY"

    /// From the Gemini API's image generation guide and `ImageConfig` (ai.google.dev, python-genai,
    /// read 2026-11-26): aspect ratios, and resolution tiers on the 3.x models. A `size` is mapped
    /// onto the nearest ratio (GeminiProvider.aspectRatio). Imagen answers only `:predict`.
    var models: [ModelSpec] {
        let ratios = GeminiProvider.aspectRatios
        let imagen = "Imagen models answer the :predict endpoint, which kind: gemini does not call (it calls :generateContent)"
        return [
            ModelSpec("gemini-2.5-flash-image", aliases: ["gemini-2.5-flash-image-preview", "nano-banana"], aspectRatios: ratios),
            ModelSpec("gemini-3.1-flash-image-preview", aliases: ["nano-banana-2"], aspectRatios: ratios + ["1:4", "4:1", "1:8", "8:1"],
                      resolutions: ["1K", "2K", "4K"]),
            ModelSpec("gemini-3-pro-image-preview", aliases: ["nano-banana-pro"], aspectRatios: ratios, resolutions: ["1K", "2K", "4K"]),
            ModelSpec("imagen-4.0-fast-generate-001", unsupported: imagen),
            ModelSpec("imagen-4.0-generate-001", unsupported: imagen),
            ModelSpec("imagen-4.0-ultra-generate-001", unsupported: imagen),
        ]
    }

    static let pricesSource = "built-in table (Google pricing page, ai.google.dev/gemini-api/docs/pricing, read 2026-11-26)"

    /// Per-image list prices at standard (non-batch) rates, by output resolution tier.
    func price(model: String, size: ImageSize?, resolution: String?) -> PriceTable.Price? {
        let usd: Double
        switch model.lowercased() {
        case "gemini-2.5-flash-image", "gemini-2.5-flash-image-preview", "nano-banana": usd = 0.039
        case "gemini-3.1-flash-image-preview", "nano-banana-2":
            switch resolution { case "2K"?: usd = 0.101; case "4K"?: usd = 0.151; default: usd = 0.067 }
        case "gemini-3-pro-image-preview", "nano-banana-pro": usd = resolution == "4K" ? 0.24 : 0.134
        case "imagen-4.0-fast-generate-001": usd = 0.02
        case "imagen-4.0-generate-001": usd = 0.04
        case "imagen-4.0-ultra-generate-001": usd = 0.06
        default: return nil
        }
        return PriceTable.Price(usd: usd, source: Self.pricesSource)
    }

    func make(_ spec: ProviderSpec, transport: HTTPTransport, workingDirectory: String) -> any ImageProvider {
        GeminiProvider(baseURL: Self.trimmed(spec.baseURL), apiKey: spec.apiKey, transport: transport)
    }
}
