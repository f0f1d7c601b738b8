import ImagePipeCore
/// A whole pipeline file after reading: typed, with a location on everything that can be wrong.
public struct PipelineSpec: Sendable {
    public static let namePattern = "[A-Za-z_][A-Za-z0-9_]*"
    public static let pipelineNamePattern = "[a-z0-9][a-z0-9_-]*"

    public var file: String
    public var name: String
    public var outputDir: String
    public var state: String?
    public var defaultProvider: Located<String>?
    public var defaultRetry: RetryPolicy
    public var defaultTimeout: Double
    public var defaultConcurrency: Int
    public var providers: [ProviderSpec]
    public var sources: [SourceSpec]
    public var templates: [(name: String, template: Located<String>)]
    public var stages: [StageSpec]
    public var notify: [NotifySpec]
    public var budgetUSD: Double?
    /// Whether written images carry their origin (stages may say otherwise).
    public var provenance: ProvenanceSetting
    /// Keys of the top-level `templates` mapping, for their locations.
    public var root: ConfigObject

    public static let defaultsDeclaration = ObjectSpec("Defaults", doc: "Settings every stage inherits unless it sets its own.", fields: [
        FieldSpec("provider", .reference(.provider), doc: "The provider of `generate` and `edit` stages that name none."),
        FieldSpec("retry", .object(RetryPolicy.declaration), doc: "The retry policy."),
        FieldSpec("timeout", .duration, default: .string("120s"), doc: "The longest one attempt may take."),
        FieldSpec("concurrency", .integer(min: 1, max: 10_000), default: .int(4), doc: "Items of one stage in flight at once."),
    ])

    public static let budgetDeclaration = ObjectSpec("Budget", doc: "A spending cap for one run.", fields: [
        FieldSpec("max_usd", .number(min: 0, exclusiveMinimum: true), required: true, doc: "The most a run may spend, in USD. Cost is reserved before each paid call; when the next call would pass the cap, nothing new starts."),
    ])

    package static func declaration(stages: ObjectSpec, providers: ObjectSpec) -> ObjectSpec { ObjectSpec("Pipeline", doc: "An imagepipe pipeline: sources fan out into items, stages turn items into images, uploads and requests.", fields: [
        FieldSpec("version", .choice(["1"]), required: true, doc: "The language version: 1."),
        FieldSpec("name", .string(pattern: pipelineNamePattern, patternHelp: "lower-case letters, digits, '-' and '_', starting with a letter or digit"), required: true, doc: "The pipeline's name; names the ledger and appears in notifications."),
        FieldSpec("output_dir", .path, default: .string("out"), doc: "Where images are written, relative to the pipeline file. Every `output` path stays inside it."),
        FieldSpec("state", .path, doc: "Where the run ledger lives: a SQLite file (default: `.imagepipe/NAME.sqlite` beside the pipeline file), or `postgres://USER@HOST:PORT/DB` shared by many workers (`--state` and `IMAGEPIPE_STATE` override it; the password goes in `PGPASSWORD` or `~/.pgpass`)."),
        FieldSpec("defaults", .object(defaultsDeclaration), doc: "Settings every stage inherits."),
        FieldSpec("providers", .map(.object(providers), keyPattern: namePattern), doc: "Generation backends by name."),
        FieldSpec("sources", .map(.object(SourceSpec.declaration), keyPattern: namePattern), doc: "Data sources by name."),
        FieldSpec("templates", .map(.template, keyPattern: namePattern), doc: "Named prompt templates."),
        FieldSpec("stages", .map(.object(stages), keyPattern: namePattern), doc: "The stages by name. `from:` edges form the DAG."),
        FieldSpec("notify", .list(.object(NotifySpec.declaration)), doc: "Notifications at run events."),
        FieldSpec("budget", .object(budgetDeclaration), doc: "A spending cap."),
        ProvenanceSetting.field,
    ], allowsExtensionKeys: true) }
}
