/// An `s3_upload` stage: images in, object URLs out.
public struct S3UploadSpec: StageConfig {
    public var bucket: Located<String>?
    public var key: Located<String>?
    public var region: String?
    public var endpoint: String?
    public var pathStyle: Bool
    public var contentType: String?
    public var cacheControl: String?
    public var publicURL: Located<String>?
    public var checksum: String?
    /// Secrets: never printed. Nil falls back to the standard AWS environment variables.
    public var accessKeyID: String?
    public var secretAccessKey: String?
    public var sessionToken: String?

    public static let declaration = ObjectSpec("S3UploadStage", doc: "Images → URLs: PutObject to S3 or an S3-compatible store, signed with AWS Signature Version 4.", fields: StageSpec.commonFields + [
        FieldSpec("bucket", .string(), required: true, doc: "The bucket."),
        FieldSpec("key", .template, required: true, doc: "The object key, a template (e.g. `products/{{ sku }}.png`)."),
        FieldSpec("region", .string(), doc: "The region (default: `AWS_REGION`, then `us-east-1`)."),
        FieldSpec("endpoint", .url, doc: "An S3-compatible endpoint (MinIO, R2, Ceph, SeaweedFS)."),
        FieldSpec("path_style", .boolean, default: .bool(false), doc: "Address the bucket in the path instead of the host name; most S3-compatible stores need it."),
        FieldSpec("content_type", .string(), doc: "The Content-Type (default: from the image's format)."),
        FieldSpec("cache_control", .string(), doc: "The Cache-Control header stored with the object."),
        FieldSpec("public_url", .template, doc: "A template for the URL templates downstream see as `url` (for a CDN in front of the bucket); values are percent-encoded as in `http` URLs."),
        FieldSpec("checksum", .choice(["sha256"]), doc: "Also send `x-amz-checksum-sha256`, so the store verifies the body."),
        FieldSpec("access_key_id", .string(), secret: .secret, doc: "Default: `AWS_ACCESS_KEY_ID`. Never printed."),
        FieldSpec("secret_access_key", .string(), secret: .secret, doc: "Default: `AWS_SECRET_ACCESS_KEY`. Never printed."),
        FieldSpec("session_token", .string(), secret: .secret, doc: "Default: `AWS_SESSION_TOKEN`. Never printed."),
    ])

    init(_ o: ConfigObject) {
        bucket = o.string("bucket")
        key = o.string("key")
        region = o.string("region")?.value
        endpoint = o.string("endpoint")?.value
        pathStyle = o.bool("path_style") ?? false
        contentType = o.string("content_type")?.value
        cacheControl = o.string("cache_control")?.value
        publicURL = o.string("public_url")
        checksum = o.string("checksum")?.value
        accessKeyID = o.string("access_key_id")?.value
        secretAccessKey = o.string("secret_access_key")?.value
        sessionToken = o.string("session_token")?.value
    }
}
