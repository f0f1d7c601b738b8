/// Makes the provider a `ProviderSpec` describes.
enum ProviderFactory {
    static func make(_ spec: ProviderSpec, transport: HTTPTransport, workingDirectory: String) -> ImageProvider {
        switch spec.kind {
        case .placeholder: return PlaceholderProvider()
        case .openai: return OpenAIProvider(baseURL: trimmed(spec.baseURL), apiKey: spec.apiKey, transport: transport)
        case .gemini: return GeminiProvider(baseURL: trimmed(spec.baseURL), apiKey: spec.apiKey, transport: transport)
        case .command: return CommandProvider(provider: spec, workingDirectory: workingDirectory)
        }
    }

    private static func trimmed(_ url: String?) -> String {
        var url = url ?? ""
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
