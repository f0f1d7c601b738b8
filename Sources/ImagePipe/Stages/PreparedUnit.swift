/// One unit of a stage, rendered: what `plan` shows and what a run would send, with the
/// fingerprint that decides whether recorded work can stand for it.
protocol PreparedUnit: Sendable {
    /// What a call gives back before it is committed (an image's bytes, an answer).
    associatedtype Product: Sendable

    /// Nil when it cannot be known before upstream work runs (a dry run of an edit whose input
    /// is not made yet).
    var fingerprint: String? { get }
    /// The plan's sample lines for this unit.
    var sample: [(label: String, value: String)] { get }
    /// The file this unit writes, relative to output_dir, for the plan's collision check.
    var writes: String? { get }
    /// What downstream templates see before this unit has run (a dry run, not cached).
    var planned: [(name: String, value: String)] { get }
    /// USD the call costs (reserved from the budget before it goes out).
    var price: Double { get }

    /// What the outcome records before any call: the prompt, the path, the URL.
    func describe(_ outcome: inout ItemOutcome)
    /// A recorded success as this unit's result, or nil when it cannot stand (its file is gone).
    func reuse(_ entry: LedgerSnapshot.Output, _ probe: CacheProbe, into outcome: inout ItemOutcome) -> UnitOutputs?
    /// The call, retried by the engine as the stage's policy says.
    func call() async throws(CallFailure) -> Product
    /// Keeps what the call gave (writes the file) and says what goes downstream; a failure here
    /// is local (a full disk), not the provider's.
    func commit(_ product: Product, into outcome: inout ItemOutcome) throws(CallFailure) -> UnitOutputs
}

/// What a unit passes to the stages below it (made now or recorded earlier).
struct UnitOutputs: Sendable {
    var values: [(name: String, value: String)]
    /// An answer's JSON, for `{{ stage.json.field }}`.
    var json: JSONValue?
    /// What the ledger keeps as `url` when the manifest shows another (an upload behind a CDN).
    var ledgerURL: String?
    /// A cache hit under a new path (copied into place): recorded again under that path.
    var recordAgain = false

    init(_ values: [(name: String, value: String)], json: JSONValue? = nil, ledgerURL: String? = nil) {
        self.values = values
        self.json = json
        self.ledgerURL = ledgerURL
    }
}

/// What rendering a unit may use beyond the item: the pipeline's folders, the environment and,
/// in a run, the stage's connection. One per stage, shared by all its units.
final class UnitEnvironment: Sendable {
    let files: PipelineFiles
    /// Absolute.
    let outputDirectory: String
    /// As the user wrote it, for messages and plan lines.
    let displayOutputDirectory: String
    /// `displayOutputDirectory` with a trailing `/` (empty for `.`), for display paths.
    let displayPrefix: String
    let stage: String
    /// The longest one attempt may take.
    let timeout: Double
    let environment: [String: String]
    let connection: (any StageConnection)?

    init(pipeline: CompiledPipeline, stage: CompiledStage, environment: [String: String], connection: (any StageConnection)? = nil) {
        files = pipeline.files
        outputDirectory = pipeline.outputDirectory
        displayOutputDirectory = pipeline.displayOutputDirectory
        displayPrefix = pipeline.displayOutputDirectory == "." ? "" : pipeline.displayOutputDirectory + "/"
        self.stage = stage.name
        timeout = stage.timeout
        self.environment = environment
        self.connection = connection
    }
}

/// What a run hands a stage's `connect`.
struct ConnectionSetup {
    var stage: String
    var transport: HTTPTransport
    var environment: [String: String]
    var secrets: SecretSet
    var workingDirectory: String
    /// The provider instance for this stage's provider, made once per run and shared.
    var provider: (any ImageProvider)?
}
