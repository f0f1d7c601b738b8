import ImagePipeCore
import ImagePipeLanguage
/// One unit of a stage, rendered: what `plan` shows and what a run would send, with the
/// fingerprint that decides whether recorded work can stand for it.
package protocol PreparedUnit: Sendable {
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
    /// Whether a recorded success can stand for this unit, without making what it passes on
    /// (a dry run's leaf stages only count).
    func stands(_ entry: RecordedSuccess, _ probe: CacheProbe) -> Bool
    /// A recorded success as this unit's result, or nil when it cannot stand (its file is gone).
    func reuse(_ entry: RecordedSuccess, _ probe: CacheProbe, into outcome: inout ItemOutcome) -> UnitOutputs?
    /// The call, retried by the engine as the stage's policy says.
    func call() async throws(CallFailure) -> Product
    /// Looks at what the call gave before it is kept (an image stage's `checks:`): throws
    /// `check_failed` with what it measured; the call was made (and paid) either way.
    func vet(_ product: Product, into outcome: inout ItemOutcome) async throws(CallFailure)
    /// The unit made again after its product failed `vet`, for the `n`th time (a new seed), or
    /// nil when the stage does not regenerate or has made as many as it may.
    func regeneration(_ n: Int) -> Self?
    /// Keeps what the call gave (writes the file) and says what goes downstream; a failure here
    /// is local (a full disk), not the provider's.
    func commit(_ product: Product, into outcome: inout ItemOutcome) throws(CallFailure) -> UnitOutputs
    /// The call split into a submit and a wait, when the provider works through a queue.
    func remoteCall() -> RemoteCall<Product>?
    /// The call as a line of a remote batch, when the stage is in batch mode.
    func batchCall() -> BatchCall<Product>?
}

extension PreparedUnit {
    package func vet(_ product: Product, into outcome: inout ItemOutcome) async throws(CallFailure) {}
    package func regeneration(_ n: Int) -> Self? { nil }
    package func remoteCall() -> RemoteCall<Product>? { nil }
    package func batchCall() -> BatchCall<Product>? { nil }

    package func stands(_ entry: RecordedSuccess, _ probe: CacheProbe) -> Bool {
        var outcome = ItemOutcome(stage: "", key: "", status: .cached)
        return reuse(entry, probe, into: &outcome) != nil
    }
}

/// What a unit passes to the stages below it (made now or recorded earlier).
package struct UnitOutputs: Sendable {
    package var values: [(name: String, value: String)]
    /// An answer's JSON, for `{{ stage.json.field }}`.
    package var json: JSONValue?
    /// What the ledger keeps as `url` when the manifest shows another (an upload behind a CDN).
    package var ledgerURL: String?
    /// A cache hit under a new path (copied into place): recorded again under that path.
    package var recordAgain = false

    package init(_ values: [(name: String, value: String)], json: JSONValue? = nil, ledgerURL: String? = nil) {
        self.values = values
        self.json = json
        self.ledgerURL = ledgerURL
    }
}

/// What rendering a unit may use beyond the item: the pipeline's folders, the environment and,
/// in a run, the stage's connection. One per stage, shared by all its units.
package final class UnitEnvironment: Sendable {
    package let files: PipelineFiles
    /// Absolute.
    package let outputDirectory: String
    /// `displayOutputDirectory` with a trailing `/` (empty for `.`), for display paths.
    package let displayPrefix: String
    package let stage: String
    /// The longest one attempt may take.
    package let timeout: Double
    package let environment: [String: String]
    package let connection: (any StageConnection)?

    package init(pipeline: CompiledPipeline, stage: CompiledStage, environment: [String: String], connection: (any StageConnection)? = nil) {
        files = pipeline.files
        outputDirectory = pipeline.outputDirectory
        displayPrefix = pipeline.displayOutputDirectory == "." ? "" : pipeline.displayOutputDirectory + "/"
        self.stage = stage.name
        timeout = stage.timeout
        self.environment = environment
        self.connection = connection
    }
}

/// What a run hands a stage's `connect`.
package struct ConnectionSetup {
    package var stage: String
    package var transport: HTTPTransport
    package var environment: [String: String]
    package var secrets: SecretSet
    /// The provider instance for this stage's provider, made once per run and shared.
    package var provider: (any ImageProvider)?
    /// The pipeline's name and the run's, for what images say of their origin.
    package var pipeline: String
    package var run: String

    package init(stage: String, transport: HTTPTransport, environment: [String: String], secrets: SecretSet,
                 provider: (any ImageProvider)?, pipeline: String, run: String) {
        self.pipeline = pipeline
        self.run = run
        self.stage = stage
        self.transport = transport
        self.environment = environment
        self.secrets = secrets
        self.provider = provider
    }
}
