/// `kind: placeholder`: offline, free, deterministic test images.
struct Placeholder: ProviderKind {
    let name = "placeholder"
    let summary = "Built in and offline: renders a deterministic PNG from the prompt, at no cost."

    func price(model: String, size: ImageSize?, resolution: String?) -> PriceTable.Price? {
        PriceTable.Price(usd: 0, source: "placeholder provider (free)")
    }

    func identity(of spec: ProviderSpec) -> String { "" }

    func make(_ spec: ProviderSpec, transport: HTTPTransport, workingDirectory: String) -> any ImageProvider {
        PlaceholderProvider()
    }
}
