/// Built-in USD prices per image, for cost estimates and the budget when a provider sets no
/// `prices`. Per-image list prices at standard (non-batch) rates, read from the vendors'
/// pricing pages on 2026-11-26: OpenAI (platform.openai.com/docs/pricing, image generation
/// per-image table, 1024x1024 at medium quality unless the size says otherwise) and Google
/// (ai.google.dev/gemini-api/docs/pricing, image output per 1K/2K/4K image).
/// Prices change: `providers.NAME.prices` overrides any entry.
public enum PriceTable {
    public static let source = "built-in table (OpenAI and Google pricing pages, read 2026-11-26)"

    public struct Price: Equatable, Sendable {
        public var usd: Double
        public var source: String
    }

    /// The price of one image, or nil when the model is not known.
    public static func price(model: String, provider: ProviderSpec?, size: ImageSize?, resolution: String?) -> Price? {
        if let provider {
            if let custom = provider.prices[model] { return Price(usd: custom, source: "providers.\(provider.name).prices") }
            if provider.kind == .placeholder { return Price(usd: 0, source: "placeholder provider (free)") }
        }
        let pixels = size.map { $0.width * $0.height } ?? 1024 * 1024
        let large = pixels > 1024 * 1024
        let usd: Double?
        switch model.lowercased() {
        case "gpt-image-1": usd = large ? 0.063 : 0.042
        case "gpt-image-1.5": usd = large ? 0.05 : 0.034
        case "gpt-image-1-mini": usd = large ? 0.015 : 0.011
        case "dall-e-3": usd = large ? 0.08 : 0.04
        case "dall-e-2": usd = 0.02
        case "gemini-2.5-flash-image", "gemini-2.5-flash-image-preview", "nano-banana": usd = 0.039
        case "gemini-3.1-flash-image-preview", "nano-banana-2":
            switch resolution { case "2K"?: usd = 0.101; case "4K"?: usd = 0.151; default: usd = 0.067 }
        case "gemini-3-pro-image-preview", "nano-banana-pro": usd = resolution == "4K" ? 0.24 : 0.134
        case "imagen-4.0-fast-generate-001": usd = 0.02
        case "imagen-4.0-generate-001": usd = 0.04
        case "imagen-4.0-ultra-generate-001": usd = 0.06
        default: usd = nil
        }
        return usd.map { Price(usd: $0, source: source) }
    }
}
