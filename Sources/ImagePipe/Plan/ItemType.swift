/// What flows along a `from:` edge. Each stage kind accepts some types and yields one.
public enum ItemType: String, Sendable {
    case records, images, urls, responses

    public static func output(of kind: StageSpec.Kind) -> ItemType {
        switch kind {
        case .generate, .edit: return .images
        case .s3Upload: return .urls
        case .http: return .responses
        }
    }

    public static func accepts(_ kind: StageSpec.Kind) -> [ItemType] {
        switch kind {
        case .generate: return [.records]
        case .edit: return [.records, .images]
        case .s3Upload: return [.images]
        case .http: return [.records, .images, .urls, .responses]
        }
    }

    /// The fields a stage of this kind offers downstream templates as `{{ stage.field }}`.
    public static func outputFields(of kind: StageSpec.Kind) -> [String] {
        switch kind {
        case .generate, .edit: return imageOutputFields
        case .s3Upload: return uploadOutputFields
        case .http: return httpOutputFields
        }
    }

    public static let imageOutputFields = ["path", "sha256", "width", "height", "bytes", "model", "prompt", "seed", "cost_usd"]
    public static let uploadOutputFields = ["url", "bucket", "key", "etag"]
    public static let httpOutputFields = ["status", "json"]

    /// Output fields whose value is a JSON document that templates may index into (`cms.json.id`).
    public static func openOutputFields(of kind: StageSpec.Kind) -> Set<String> {
        if case .http = kind { return ["json"] }
        return []
    }
}
