import ImagePipeCore
import ImagePipeLanguage
/// A kind of provider (`openai`, `gemini`, …), declared once in its own folder: its name, its
/// settings (from which validation, the JSON Schema and the docs come), its defaults, its
/// built-in prices (dated, with their source) and how it is made. A `ComponentRegistry` lists
/// the kinds; nothing outside a kind's folder switches over kinds.
package protocol ProviderKind: ProviderKindDeclaration {
    /// The list price of one image, or nil when the model is not known.
    func price(model: String, size: ImageSize?, resolution: String?) -> PriceTable.Price?
    /// What about this provider decides its images, beside the request: part of every image's
    /// fingerprint (a base URL, a command's argv). Never the key.
    func identity(of spec: ProviderSpec) -> String
    /// Checks the provider's own settings (a command's templates) as `validate` does.
    func check(_ spec: ProviderSpec, _ compiler: PipelineCompiler)
    func make(_ spec: ProviderSpec, transport: HTTPTransport, workingDirectory: String) -> any ImageProvider
    /// Whether its calls go through a queue (its `make` returns a `QueuedImageProvider` and it
    /// declares `QueueSettings.fields`).
    var isQueued: Bool { get }
    /// The share of the list price its batch API charges; nil when it has none (or imagepipe
    /// does not drive it yet). Set, `batch:` may be written on the provider and its stages.
    var batchPriceFactor: Double? { get }
    /// How deliveries to `run --listen` are checked; nil when the kind sends none. Throws when a
    /// setting it needs is missing (Replicate's webhook secret).
    func webhookVerifier(_ spec: ProviderSpec, transport: HTTPTransport, environment: [String: String]) throws(WebhookRefusal) -> (any WebhookVerifier)?
}

extension ProviderKind {
    /// The model of this name or alias (case-insensitive), if the kind declares it.
    package func model(named name: String) -> ModelSpec? {
        let lower = name.lowercased()
        return models.first { $0.names.contains { $0.lowercased() == lower } }
    }

    package func price(model: String, size: ImageSize?, resolution: String?) -> PriceTable.Price? { nil }
    package func identity(of spec: ProviderSpec) -> String { spec.baseURL ?? "" }
    package func check(_ spec: ProviderSpec, _ compiler: PipelineCompiler) {}
    package var isQueued: Bool { false }
    package var batchPriceFactor: Double? { nil }
    package func webhookVerifier(_ spec: ProviderSpec, transport: HTTPTransport, environment: [String: String]) throws(WebhookRefusal) -> (any WebhookVerifier)? { nil }

    /// `base_url` and `api_key`, for providers spoken to over HTTP.
    package static var httpFields: [FieldSpec] {
        [
            FieldSpec("base_url", .url, doc: "The API's base URL, as the official SDK spells it (OpenAI's includes /v1). Point it at a proxy, a compatible service or `imagepipe emulate`."),
            FieldSpec("api_key", .string(), secret: .secret, doc: "The API key, normally `${OPENAI_API_KEY}` or `${GEMINI_API_KEY}` (the default when omitted). Never printed."),
        ]
    }

    /// A base URL without trailing slashes, for joining paths onto.
    package static func trimmed(_ url: String?) -> String {
        var url = url ?? ""
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
