import ImagePipeCore
import ImagePipeLanguage
/// A compiled stage's kind-specific part: how `plan` and `run` render one unit (the same code for
/// both, so the dry run says what the run will do) and what a run connects to.
package protocol StageBody: Sendable {
    var model: String? { get }
    var provider: ProviderSpec? { get }
    /// Images per item; templates see `{{ variant }}`.
    var variants: Int { get }
    /// Fans each item out over every combination of these values.
    var matrix: [(field: String, values: [String])] { get }
    /// Named outputs each item is made once for (a `transform`'s `outputs:`); empty for one.
    var outputNames: [String] { get }
    /// The output path template, for checks across stages (two stages writing one path).
    var output: Template? { get }
    /// Whether each unit is paid for (a price per image).
    var isPaid: Bool { get }
    /// The stage's concurrency when it sets none, in place of `defaults.concurrency` (which is
    /// about providers): local CPU work runs one unit per core.
    var defaultConcurrency: Int? { get }
    /// Units that may wait remotely at once holding no slot (a batch's lines): room the engine
    /// admits beside the stage's concurrency.
    var waitingRemotely: Int { get }
    /// How many more times one unit may be made when its result fails the stage's checks
    /// (`on_check_failure: regenerate`): the plan's worst case.
    var regenerations: Int { get }
    /// USD per unit, from the provider's prices or the built-in table; nil when unknown or free.
    var price: PriceTable.Price? { get }
    /// USD per unit called now and through the provider's batch API, when the stage may go either
    /// way (`plan` shows both totals); nil otherwise.
    var priceModes: PriceModes? { get }
    /// About how many bytes each unit writes under `output_dir` (a low estimate: the free-space
    /// warning must not cry wolf); 0 for stages that write nothing there.
    var bytesPerUnit: Int { get }
    /// Outputs that are the same for every item: what downstream templates see beside each
    /// item's own values, and for items not made yet.
    func constants(stage: String) -> [String: String]
    /// Renders one unit: its request, its fingerprint, what `plan` shows.
    func prepare(_ unit: ItemContext, _ environment: UnitEnvironment) throws(UnitProblem) -> any PreparedUnit
    /// What a run needs before any call (credentials), as one message per problem.
    func missingSettings(environment: [String: String]) -> [String]
    /// What a run calls through: a provider, a signed client. Nil for a stage that needs nothing.
    func connect(_ setup: ConnectionSetup) throws(ConnectionProblem) -> (any StageConnection)?
}

extension StageBody {
    package var model: String? { nil }
    package var provider: ProviderSpec? { nil }
    package var variants: Int { 1 }
    package var matrix: [(field: String, values: [String])] { [] }
    package var outputNames: [String] { [] }
    package var output: Template? { nil }
    package var isPaid: Bool { false }
    package var defaultConcurrency: Int? { nil }
    package var waitingRemotely: Int { 0 }
    package var priceModes: PriceModes? { nil }
    package var regenerations: Int { 0 }
    package var price: PriceTable.Price? { nil }
    package var bytesPerUnit: Int { 0 }
    package func missingSettings(environment: [String: String]) -> [String] { [] }
}

/// What a stage calls through at run time, made once per run by its body's `connect`.
package protocol StageConnection: Sendable {}

/// Why a run cannot connect a stage (missing credentials): said before anything is called.
package struct ConnectionProblem: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// One item's problem in one stage before anything is called (a missing field, an output path
/// that leaves output_dir, a header the data would break): `plan` reports it at the item's line,
/// a run records it as the unit's failure, never sent.
package struct UnitProblem: Error {
    package var message: String
    package var hint: String?
    /// How a run records the item: its own setup (`local_error`), or a request that must never
    /// be sent as it stands (`bad_request`).
    package var failureClass: FailureClass
    /// The cause without the item ("no field 'colour', needed by the prompt of stage 'hero'"), so
    /// that `plan` can say it once, with a count, for every item it hits.
    package var cause: String?
    /// The stage setting the cause lies in (`output`, `prompt`, `url`…), where `plan` says it.
    package var setting: String?
    package init(_ message: String, hint: String? = nil, failureClass: FailureClass = .local_error, cause: String? = nil, setting: String? = nil) {
        self.message = message
        self.hint = hint
        self.failureClass = failureClass
        self.cause = cause
        self.setting = setting
    }
}

/// A unit's price called at once and in a batch, and which of the two the stage uses.
public struct PriceModes: Sendable, Equatable {
    public var nowUSD: Double
    public var batchUSD: Double
    public var inBatch: Bool

    public init(nowUSD: Double, batchUSD: Double, inBatch: Bool) {
        self.nowUSD = nowUSD
        self.batchUSD = batchUSD
        self.inBatch = inBatch
    }
}
