import ImagePipeCore

/// The fields of a manifest line (`manifest.jsonl`, `runs/RUN_ID.jsonl`), declared once: the
/// JSON Schema users validate downstream jobs against (`imagepipe schema --manifest`,
/// schemas/manifest.schema.json) comes from here, and a test holds `ItemOutcome.jsonLine` to it.
public enum ManifestLineSchema {
    public struct Field: Sendable {
        public var name: String
        /// JSON Schema type: string, integer, number, object, array.
        public var type: String
        public var doc: String
        public var values: [String]? = nil
        public var required = false
    }

    public static let fields: [Field] = [
        Field(name: "key", type: "string", doc: "The item's key (the source's `key:` template).", required: true),
        Field(name: "stage", type: "string", doc: "The stage.", required: true),
        Field(name: "variant", type: "integer", doc: "The variant number, 1 to `variants`.", required: true),
        Field(name: "matrix", type: "object", doc: "The matrix values of this unit, by field."),
        Field(name: "output", type: "string", doc: "A `transform` with several `outputs:`: the output's name (one line per output)."),
        Field(name: "status", type: "string", doc: "How the (stage, item) ended (`submitted`: in a remote batch a later run collects).", values: ["succeeded", "failed", "skipped", "cancelled", "cached", "submitted"], required: true),
        Field(name: "failure_class", type: "string", doc: "Why it failed or was cancelled (only then).", values: FailureClass.allCases.map(\.rawValue)),
        Field(name: "message", type: "string", doc: "What happened, for people (failures, skips and cancellations)."),
        Field(name: "warning", type: "string", doc: "Something about a success worth a look: an image of another size than the stage asked for."),
        Field(name: "checks", type: "object", doc: "Images with `checks:`: what each check measured (`min_width`/`min_height`: pixels, `aspect_ratio`: width ÷ height, `max_bytes`: bytes, `not_blank`: the luminance's standard deviation 0–255, `distinct`: the Hamming distance of the perceptual hash to the nearest earlier image of the stage, 64 when none), on failures too."),
        Field(name: "prompt", type: "string", doc: "Images: the rendered prompt."),
        Field(name: "model", type: "string", doc: "Images: the model."),
        Field(name: "provider", type: "string", doc: "Images: the provider's name in the pipeline."),
        Field(name: "path", type: "string", doc: "The image's path relative to `output_dir` (for uploads, the image uploaded)."),
        Field(name: "sha256", type: "string", doc: "Images: the SHA-256 of the file, hex."),
        Field(name: "width", type: "integer", doc: "Images: pixels."),
        Field(name: "height", type: "integer", doc: "Images: pixels."),
        Field(name: "bytes", type: "integer", doc: "Images: the file's size."),
        Field(name: "url", type: "string", doc: "Uploads: the object's (or `public_url`'s) URL; requests: the URL called."),
        Field(name: "bucket", type: "string", doc: "Uploads: the bucket."),
        Field(name: "object_key", type: "string", doc: "Uploads: the object key."),
        Field(name: "etag", type: "string", doc: "Uploads: the store's ETag."),
        Field(name: "http_status", type: "integer", doc: "Requests: the answer's status."),
        Field(name: "attempts", type: "integer", doc: "Requests sent for this result (0 when nothing was sent).", required: true),
        Field(name: "retries", type: "array", doc: "Earlier attempts that failed, oldest first: `{class, message}`; the result's own class and message are above."),
        Field(name: "latency_ms", type: "integer", doc: "The last call's own time, without waiting for a rate-limit turn."),
        Field(name: "cost_usd", type: "number", doc: "What the result cost when it was made (on `cached` rows too; a run spent nothing on those, and `paid_not_written` rows were paid for)."),
        Field(name: "run_id", type: "string", doc: "The run that wrote the line (the ledger's run number, or the time and process without a ledger).", required: true),
        Field(name: "finished_at", type: "number", doc: "When it ended, in seconds since 1970 (UTC).", required: true),
    ]

    public static func schema() -> JSONValue {
        var properties: [(String, JSONValue)] = []
        for field in fields {
            var property: [(String, JSONValue)] = [("type", .string(field.type)), ("description", .string(field.doc))]
            if let values = field.values { property.append(("enum", .array(values.map(JSONValue.string)))) }
            if field.name == "checks" { property.append(("additionalProperties", .object([("type", .string("number"))]))) }
            if field.name == "matrix" { property.append(("additionalProperties", .object([("type", .string("string"))]))) }
            if field.name == "retries" {
                property.append(("items", .object([
                    ("type", .string("object")), ("required", .array([.string("class"), .string("message")])),
                    ("properties", .object([("class", .object([("type", .string("string"))])), ("message", .object([("type", .string("string"))]))])),
                ])))
            }
            properties.append((field.name, .object(property)))
        }
        return .object([
            ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
            ("$id", .string("https://github.com/imagepipe/imagepipe/schemas/manifest.schema.json")),
            ("title", .string("imagepipe manifest line")),
            ("description", .string("One line of OUTPUT_DIR/manifest.jsonl (the current state of every (stage, item)) or OUTPUT_DIR/runs/RUN_ID.jsonl (one run's lines).")),
            ("type", .string("object")),
            ("required", .array(fields.filter(\.required).map { .string($0.name) })),
            ("additionalProperties", .bool(false)),
            ("properties", .object(properties)),
        ])
    }
}
