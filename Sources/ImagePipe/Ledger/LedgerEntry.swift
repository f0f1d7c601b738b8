import GRDB

/// One row of the `item` table: how one (stage, item) ended for one fingerprint.
public struct LedgerEntry: Sendable {
    public var stage: String
    public var item: String
    /// The source item's key (an `item` adds the variant and matrix values).
    public var key: String
    public var fingerprint: String
    public var status: String
    public var failureClass: String?
    public var message: String?
    public var attempts: Int
    /// Relative to the output folder.
    public var path: String?
    public var sha256: String?
    public var bytes: Int?
    public var width: Int?
    public var height: Int?
    public var url: String?
    public var response: String?
    public var prompt: String?
    public var model: String?
    public var provider: String?
    public var costUSD: Double?
    public var latencyMS: Int?
    public var finishedAt: Double
    /// The manifest's line for this outcome, secrets masked.
    public var line: String?

    static let columns = "stage, item, key, fingerprint, status, failure_class, message, attempts, path, sha256, bytes, width, height, url, response, prompt, model, provider, cost_usd, latency_ms, finished_at, line"

    init(outcome: ItemOutcome, item: String, fingerprint: String, finishedAt: Double) {
        stage = outcome.stage
        self.item = item
        key = outcome.key
        self.fingerprint = fingerprint
        status = outcome.status.rawValue
        failureClass = outcome.failureClass?.rawValue
        message = outcome.message
        attempts = outcome.attempts
        path = outcome.path
        sha256 = outcome.sha256
        bytes = outcome.bytes
        width = outcome.width
        height = outcome.height
        url = outcome.url
        response = outcome.response
        prompt = outcome.prompt
        model = outcome.model
        provider = outcome.provider
        costUSD = outcome.costUSD
        latencyMS = outcome.latencyMS
        self.finishedAt = finishedAt
    }

    func arguments(runID: Int64) -> StatementArguments {
        [stage, item, key, fingerprint, status, failureClass, message, attempts, path, sha256, bytes, width, height, url, response,
         prompt, model, provider, costUSD, latencyMS, finishedAt, line, runID]
    }
}
