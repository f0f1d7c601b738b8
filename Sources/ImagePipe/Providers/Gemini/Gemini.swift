/// `kind: gemini`: the Gemini API's `generateContent` with image output.
struct Gemini: ProviderKind {
    let name = "gemini"
    let summary = "Gemini API `generateContent` with image output."
    var fields: [FieldSpec] { Self.httpFields }
    let defaultBaseURL: String? = "https://generativelanguage.googleapis.com"
    let apiKeyVariable: String? = "GEMINI_API_KEY"

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
