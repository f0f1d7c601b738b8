import ImagePipeCore
/// What the language knows of a kind of provider (`openai`, `command`, …): its name, its
/// settings and, for HTTP providers, the official SDK's defaults. The rest (prices, the
/// constructor) lives with the kind in the library's `Providers/` folder.
public protocol ProviderKindDeclaration: Sendable {
    var name: String { get }
    /// The docs' line for `kind: NAME`.
    var summary: String { get }
    /// Settings of its own beside `kind`, `concurrency`, `rate_limit` and `prices`.
    var fields: [FieldSpec] { get }
    /// HTTP providers: the official SDK's base URL, used when `base_url` is not set.
    var defaultBaseURL: String? { get }
    /// HTTP providers: the variable the official SDK reads the key from, used without `api_key`.
    var apiKeyVariable: String? { get }
    /// The models it serves and what each accepts, as the API documents them; empty when any
    /// model name goes (a command, a placeholder).
    var models: [ModelSpec] { get }
}

extension ProviderKindDeclaration {
    public var fields: [FieldSpec] { [] }
    public var defaultBaseURL: String? { nil }
    public var apiKeyVariable: String? { nil }
    public var models: [ModelSpec] { [] }
}
