/// One step of the DAG. It holds exactly one kind; `from:` names its input.
public struct StageSpec: Sendable {
    public enum Kind: Sendable {
        case generate(ImageStageSpec)
        case edit(ImageStageSpec)
        case s3Upload(S3UploadSpec)
        case http(HTTPStageSpec)

        public var name: String {
            switch self {
            case .generate: return "generate"
            case .edit: return "edit"
            case .s3Upload: return "s3_upload"
            case .http: return "http"
            }
        }
    }

    public var name: String
    public var location: SourceLocation
    public var kind: Kind
    public var from: Located<String>
    public var concurrency: Int?
    public var retry: ConfigObject?
    public var timeout: Double?
    /// The mapping under the kind key, for locations of its keys.
    public var body: ConfigObject

    /// Keys every stage kind accepts.
    static let commonFields = [
        FieldSpec("from", .reference(.stageOrSource), required: true, doc: "The source or stage whose items this stage receives."),
        FieldSpec("concurrency", .integer(min: 1, max: 10_000), doc: "The most items of this stage in flight at once (default: `defaults.concurrency`)."),
        FieldSpec("retry", .object(RetryPolicy.declaration), doc: "Overrides `defaults.retry` key by key."),
        FieldSpec("timeout", .duration, doc: "The longest one attempt may take (default: `defaults.timeout`)."),
    ]

    public static let declaration = ObjectSpec("Stage", doc: "A stage holds exactly one kind: `generate`, `edit`, `s3_upload` or `http`.", fields: [
        FieldSpec("generate", .object(ImageStageSpec.generateDeclaration), doc: "Records → images: one prompt per item, sent to a provider."),
        FieldSpec("edit", .object(ImageStageSpec.editDeclaration), doc: "Images → images: image-to-image with a prompt."),
        FieldSpec("s3_upload", .object(S3UploadSpec.declaration), doc: "Images → URLs: uploads each image to S3 or an S3-compatible store."),
        FieldSpec("http", .object(HTTPStageSpec.declaration), doc: "Anything → a response: one HTTP request per item (a CMS update, a webhook)."),
    ], exactlyOne: [["generate", "edit", "s3_upload", "http"]])

    init?(name: String, object: ConfigObject) {
        let body: ConfigObject
        let kind: Kind
        if let o = object.object("generate") {
            body = o
            kind = .generate(ImageStageSpec(o))
        } else if let o = object.object("edit") {
            body = o
            kind = .edit(ImageStageSpec(o))
        } else if let o = object.object("s3_upload") {
            body = o
            kind = .s3Upload(S3UploadSpec(o))
        } else if let o = object.object("http") {
            body = o
            kind = .http(HTTPStageSpec(o))
        } else {
            return nil
        }
        guard let from = body.string("from") else { return nil }
        self.name = name
        self.location = object.location
        self.kind = kind
        self.from = from
        self.body = body
        concurrency = body.int("concurrency")
        retry = body.object("retry")
        timeout = body.duration("timeout")
    }
}
