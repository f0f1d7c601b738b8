import ImagePipeCore
/// `batch:` on a `generate` or `edit` stage, or on an `openai` or `gemini` provider: send the
/// stage's requests through the provider's batch API (half price, answered within a day).
public struct BatchSetting: Sendable, Equatable {
    /// Requests per remote batch at most; nil: the provider's limit.
    public var maxRequests: Int?
    /// Bytes of one batch's input at most; nil: the provider's limit.
    public var maxBytes: Int?
    /// Seconds `run` waits for remote batches before it leaves with exit 3; nil waits for ever.
    public var wait: Double?
    /// Seconds between two looks at a batch.
    public var pollInterval: Double

    public static let defaultPollInterval = 30.0

    public static let declaration = ObjectSpec("Batch", doc: "How a stage's requests go through the provider's batch API.", fields: [
        FieldSpec("max_requests", .integer(min: 1, max: 50_000), doc: "Requests per remote batch at most (default: the provider's limit, 50,000 for OpenAI)."),
        FieldSpec("max_bytes", .integer(min: 1024), doc: "Bytes of one batch's input file at most (default: the provider's limit, 200 MB for OpenAI)."),
        FieldSpec("wait", .string(pattern: "^(forever|[0-9]+(\\.[0-9]+)?(ms|s|m|h))$", patternHelp: "a duration like 10m, or forever"), default: .string("forever"),
                  doc: "How long `run` waits for remote batches before it leaves with exit 3 (work pending remotely); `imagepipe run --no-wait` is `wait: 0s`. A later run collects what is left."),
        FieldSpec("poll_interval", .duration, default: .string("30s"), doc: "Time between two looks at a remote batch."),
    ])

    public static let field = FieldSpec("batch", .toggleOrObject(declaration),
                                        doc: "Send the requests through the provider's batch API at its batch price (OpenAI and Gemini: half price, answered within 24 hours): `true`, or a mapping. On a provider, for all its stages; a stage's own `batch:` wins.")

    /// The setting written under `name`; nil when not written or `false`.
    public static func read(_ o: ConfigObject, _ name: String = "batch") -> BatchSetting? {
        if let flag = o.bool(name) { return flag ? BatchSetting(pollInterval: defaultPollInterval) : nil }
        guard let settings = o.object(name) else { return nil }
        let waitText = settings.string("wait")?.value ?? "forever"
        return BatchSetting(maxRequests: settings.int("max_requests"), maxBytes: settings.int("max_bytes"),
                            wait: waitText == "forever" ? nil : DurationParser.seconds(waitText),
                            pollInterval: settings.duration("poll_interval") ?? defaultPollInterval)
    }

    /// Whether `batch: false` was written (a stage turning off its provider's batch mode).
    public static func isTurnedOff(_ o: ConfigObject, _ name: String = "batch") -> Bool { o.bool(name) == false }
}
