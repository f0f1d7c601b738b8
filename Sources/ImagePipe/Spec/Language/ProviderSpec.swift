/// A generation backend and how it may be called.
public struct ProviderSpec: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case placeholder, openai, gemini, command

        /// The official SDK's base URL and key variable for HTTP providers.
        var defaultBaseURL: String? {
            switch self {
            case .openai: return "https://api.openai.com/v1"
            case .gemini: return "https://generativelanguage.googleapis.com"
            case .placeholder, .command: return nil
            }
        }

        var apiKeyVariable: String? {
            switch self {
            case .openai: return "OPENAI_API_KEY"
            case .gemini: return "GEMINI_API_KEY"
            case .placeholder, .command: return nil
            }
        }
    }

    public var name: String
    public var location: SourceLocation
    public var kind: Kind
    public var baseURL: String?
    /// A secret: never printed.
    public var apiKey: String?
    public var apiKeyIsSet: Bool
    /// Set when `api_key` is omitted and the kind's standard variable is not set either.
    public var missingKeyVariable: String?
    public var concurrency: Int?
    public var rateLimit: RateLimit?
    public var prices: [String: Double]
    public var command: [Located<String>]

    private static let httpFields = [
        FieldSpec("base_url", .url, doc: "The API's base URL, as the official SDK spells it (OpenAI's includes /v1). Point it at a proxy, a compatible service or `imagepipe emulate`."),
        FieldSpec("api_key", .string(), doc: "The API key, normally `${OPENAI_API_KEY}` or `${GEMINI_API_KEY}` (the default when omitted). Never printed."),
    ]

    public static let declaration = ObjectSpec("Provider", doc: "A generation backend. Stages name it with `provider:`.", fields: [
        FieldSpec("kind", .choice(Kind.allCases.map(\.rawValue)), required: true, doc: "Which backend: `placeholder` (offline, deterministic test images, free), `openai`, `gemini` or `command` (any CLI)."),
        FieldSpec("concurrency", .integer(min: 1, max: 10_000), doc: "The most calls in flight at once across all stages that use this provider."),
        FieldSpec("rate_limit", .object(RateLimit.declaration), doc: "The most requests per minute or second."),
        FieldSpec("prices", .map(.number(min: 0)), doc: "USD per image by model, overriding the built-in price table for cost estimates and the budget."),
    ], discriminator: .init(field: "kind", variants: [
        .init("placeholder", doc: "Built in and offline: renders a deterministic PNG from the prompt, at no cost."),
        .init("openai", doc: "OpenAI Images API (`/images/generations`, `/images/edits`).", fields: httpFields),
        .init("gemini", doc: "Gemini API `generateContent` with image output.", fields: httpFields),
        .init("command", doc: "Runs a program without a shell for each image, e.g. a vendor CLI.", fields: [
            FieldSpec("command", .templateList, required: true, doc: "The argv, each element a template over prompt, negative_prompt, model, output, size, width, height, aspect_ratio, resolution, seed, variant, key and image."),
        ]),
    ]))

    /// The fields a `command` provider's argv templates may use.
    public static let commandFields = ["prompt", "negative_prompt", "model", "output", "size", "width", "height", "aspect_ratio",
                                       "resolution", "seed", "variant", "key", "image"]

    init?(name: String, object: ConfigObject, environment: [String: String]) {
        guard let kind = object.string("kind").flatMap({ Kind(rawValue: $0.value) }) else { return nil }
        self.name = name
        self.location = object.location
        self.kind = kind
        let isHTTP = kind == .openai || kind == .gemini
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
        prices = Dictionary(object.map("prices")?.compactMap { pair -> (String, Double)? in
            switch pair.value.value {
            case .number(let d): return (pair.key.value, d)
            case .integer(let i): return (pair.key.value, Double(i))
            default: return nil
            }
        } ?? [], uniquingKeysWith: { $1 })
        command = kind == .command ? (object.strings("command") ?? []) : []
    }
}
