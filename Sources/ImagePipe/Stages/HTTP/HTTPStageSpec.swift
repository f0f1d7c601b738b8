/// An `http` stage: one request per item, the response as output.
public struct HTTPStageSpec: StageConfig {
    public var method: String
    public var url: Located<String>?
    public var headers: [(name: Located<String>, value: ConfigNode)]
    public var query: [(name: Located<String>, value: ConfigNode)]
    public var json: ConfigNode?
    public var success: [Int]?

    public static let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    public static let declaration = ObjectSpec("HTTPStage", doc: "Anything → a response: one HTTP request per item. Its status and JSON body are outputs downstream (`{{ cms.status }}`, `{{ cms.json.id }}`).", fields: StageSpec.commonFields + [
        FieldSpec("method", .choice(methods), default: .string("POST"), doc: "The HTTP method."),
        FieldSpec("url", .url, required: true, doc: "The URL, a template after the host (e.g. `https://cms.example.com/api/products/{{ sku }}`). Values are percent-encoded so data stays inside one path segment or query value (RFC 6570 simple expansion); `{{ next | raw }}` lets a value carry `/`, `?` and `#`. A value that makes a `.` or `..` path segment fails its item as `bad_request`, unsent."),
        FieldSpec("query", .map(.template), secret: .credentialHeaders, doc: "Query parameters added to the URL; names and values are percent-encoded (`query: { q: \"{{ name }}\" }` → `?q=Blue%20Mug`). Values of parameters named like credentials (`access_token`, `api_key`, `signature`…) are never printed."),
        FieldSpec("headers", .map(.template), secret: .credentialHeaders, doc: "Request headers; values are templates. A value the data gives a line break or another control character fails its item as `bad_request`, unsent (and `plan` reports it). The values of credential headers (`Authorization`, `X-Api-Key`, `Cookie`, names with `token`, `key`, `secret`, `auth`) are never printed."),
        FieldSpec("json", .json, doc: "A JSON body; its strings are templates."),
        FieldSpec("success", .list(.integer(min: 100, max: 599), minCount: 1), doc: "Status codes that count as success (default: any 2xx)."),
    ])

    init(_ o: ConfigObject) {
        method = o.string("method")?.value ?? "POST"
        url = o.string("url")
        headers = (o.map("headers") ?? []).map { ($0.key, $0.value) }
        query = (o.map("query") ?? []).map { ($0.key, $0.value) }
        json = o.node("json")
        success = o.list("success")?.compactMap {
            if case .integer(let i) = $0.value { return i }
            return nil
        }
    }
}
