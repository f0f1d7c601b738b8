/// `kind: openai`: OpenAI's Images API.
struct OpenAI: ProviderKind {
    let name = "openai"
    let summary = "OpenAI Images API (`/images/generations`, `/images/edits`)."
    var fields: [FieldSpec] { Self.httpFields }
    let defaultBaseURL: String? = "https://api.openai.com/v1"
    let apiKeyVariable: String? = "OPENAI_API_KEY"

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
