import ImagePipeCore
/// A generation backend and how it may be called.
public struct ProviderSpec: Sendable {
    public var name: String
    public var location: SourceLocation
    /// The provider's kind, found in the registry by `kind:`.
    public var kind: any ProviderKindDeclaration
    public var kindName: String { kind.name }
    public var baseURL: String?
    /// A secret: never printed.
    public var apiKey: String?
    public var apiKeyIsSet: Bool
    /// Set when `api_key` is omitted and the kind's standard variable is not set either.
    public var missingKeyVariable: String?
    public var concurrency: Int?
    public var rateLimit: RateLimit?
    /// Learn the provider's limit from its answers and pace below it (on unless `adaptive: false`).
    public var adaptive: Bool
    public var prices: [String: Double]
    public var command: [Located<String>]
    /// The whole `providers.NAME` mapping, for settings a kind declares for itself.
    public var settings: ConfigObject

    /// The `providers.NAME` declaration for these kinds: the common keys, and each kind's own.
    package static func declaration(kinds: [any ProviderKindDeclaration]) -> ObjectSpec {
        let names = kinds.map(\.name)
        let listed = names.map { "`\($0)`" }.joined(separator: ", ")
        return ObjectSpec("Provider", doc: "A generation backend. Stages name it with `provider:`.", fields: [
            FieldSpec("kind", .choice(names), required: true, doc: "Which backend: \(listed)."),
            FieldSpec("concurrency", .integer(min: 1, max: 10_000), doc: "The most calls in flight at once across all stages that use this provider."),
            FieldSpec("rate_limit", .object(RateLimit.declaration), doc: "The most requests per minute or second."),
            FieldSpec("adaptive", .boolean, default: .bool(true),
                      doc: "Learn the provider's limit from its answers (rate headers, stated quotas, frequent 429s) and pace just below it, never above `rate_limit`; a 429 holds back only the request it refused unless the quota is used up. `false`: every 429 pauses the provider for its Retry-After."),
            FieldSpec("prices", .map(.number(min: 0)), doc: "USD per image by model, overriding the built-in price table for cost estimates and the budget."),
        ], discriminator: .init(field: "kind", variants: kinds.map { .init($0.name, doc: $0.summary, fields: $0.fields) }))
    }

    package init?(name: String, object: ConfigObject, environment: [String: String], registry: LanguageRegistry) {
        guard let kind = object.string("kind").flatMap({ registry.providerKind(named: $0.value) }) else { return nil }
        self.name = name
        self.location = object.location
        self.kind = kind
        settings = object
        let isHTTP = kind.defaultBaseURL != nil
        baseURL = isHTTP ? (object.string("base_url")?.value ?? kind.defaultBaseURL) : nil
        if isHTTP, object.wasWritten("api_key") {
            apiKey = object.string("api_key")?.value
            apiKeyIsSet = !object.isUnresolved("api_key")
        } else if let variable = kind.apiKeyVariable {
            apiKey = environment[variable]
            apiKeyIsSet = apiKey != nil
            missingKeyVariable = apiKeyIsSet ? nil : variable
        } else {
            apiKey = nil
            apiKeyIsSet = true
        }
        concurrency = object.int("concurrency")
        rateLimit = RateLimit(object.object("rate_limit"))
        adaptive = object.bool("adaptive") ?? true
        prices = Dictionary(object.map("prices")?.compactMap { pair -> (String, Double)? in
            switch pair.value.value {
            case .number(let d): return (pair.key.value, d)
            case .integer(let i): return (pair.key.value, Double(i))
            default: return nil
            }
        } ?? [], uniquingKeysWith: { $1 })
        command = object.has("command") ? (object.strings("command") ?? []) : []
    }
}
