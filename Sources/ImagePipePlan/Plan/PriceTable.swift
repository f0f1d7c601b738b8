import ImagePipeCore
import ImagePipeLanguage
/// USD prices per image, for cost estimates and the budget: a provider's own `prices` first,
/// else its kind's built-in list prices (each provider component dates and sources its own).
public enum PriceTable {
    public struct Price: Equatable, Sendable {
        public var usd: Double
        public var source: String

        public init(usd: Double, source: String) {
            self.usd = usd
            self.source = source
        }
    }

    /// The price of one image, or nil when the model is not known.
    public static func price(model: String, provider: ProviderSpec?, size: ImageSize?, resolution: String?) -> Price? {
        guard let provider else { return nil }
        if let custom = provider.prices[model] { return Price(usd: custom, source: "providers.\(provider.name).prices") }
        return provider.component.price(model: model, size: size, resolution: resolution)
    }
}
