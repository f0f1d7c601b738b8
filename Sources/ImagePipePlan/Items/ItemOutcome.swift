import ImagePipeCore
import ImagePipeLanguage
/// How one (stage, item) ended, as the manifest records it.
public struct ItemOutcome: Sendable {
    public enum Status: String, Sendable {
        case succeeded, failed, skipped, cancelled
        /// Finished by an earlier run with the same fingerprint; nothing was called.
        case cached
        /// In a remote batch that has not ended (`run --no-wait`, or `batch.wait` passed): a
        /// later run collects it.
        case submitted
    }

    public var stage: String
    public var key: String
    public var variant: Int?
    public var matrix: [(field: String, value: String)] = []
    /// A `transform` with several `outputs:`: which one this line is.
    public var output: String?
    public var status: Status
    public var failureClass: FailureClass?
    public var message: String?
    public var prompt: String?
    public var model: String?
    public var provider: String?
    /// Relative to the output folder.
    public var path: String?
    public var sha256: String?
    public var width: Int?
    public var height: Int?
    public var bytes: Int?
    public var attempts = 0
    public var latencyMS: Int?
    public var costUSD: Double?
    /// Something about a success worth a look (an image of another size than asked for).
    public var warning: String?
    /// What the stage's checks measured, by check (`not_blank`: the luminance's deviation, `distinct`: the
    /// Hamming distance to the nearest earlier image…).
    public var checks: [(name: String, value: JSONValue)] = []
    /// Integrations: the object URL or request URL, the object's ETag, the answer's status.
    public var url: String?
    public var etag: String?
    public var httpStatus: Int?
    /// What the ledger keeps of an integration's answer (JSON), for cache hits downstream.
    public var response: String?
    /// Uploads: where the object went.
    public var bucket: String?
    public var objectKey: String?
    /// The failures of earlier attempts, oldest first; the result's own class and message are above.
    public var retries: [(failureClass: FailureClass, message: String)] = []
    /// The run that wrote this line, and when (seconds since 1970).
    public var runID: String?
    public var finishedAt: Double?

    public init(stage: String, key: String, status: Status) {
        self.stage = stage
        self.key = key
        self.status = status
    }

    /// An outcome for one unit of a stage, named as the manifest names it.
    package init(stage: String, context: ItemContext, status: Status) {
        self.init(stage: stage, key: context.key, status: status)
        variant = context.variant
        matrix = context.matrix
        output = context.outputName
    }

    /// The manifest's JSON line for this outcome (without the newline).
    public var jsonLine: String {
        var o = JSONObjectWriter()
        o.add("key", key)
        o.add("stage", stage)
        o.add("variant", variant)
        if !matrix.isEmpty { o.add("matrix", object: matrix.map { ($0.field, $0.value) }) }
        o.add("output", output)
        o.add("status", status.rawValue)
        o.add("failure_class", failureClass?.rawValue)
        o.add("message", message)
        o.add("warning", warning)
        if !checks.isEmpty { o.add("checks", json: .object(checks.map { ($0.name, $0.value) })) }
        o.add("prompt", prompt)
        o.add("model", model)
        o.add("provider", provider)
        o.add("path", path)
        o.add("sha256", sha256)
        o.add("width", width)
        o.add("height", height)
        o.add("bytes", bytes)
        o.add("url", url)
        o.add("bucket", bucket)
        o.add("object_key", objectKey)
        o.add("etag", etag)
        o.add("http_status", httpStatus)
        o.add("attempts", attempts)
        if !retries.isEmpty {
            o.add("retries", objects: retries.map { [("class", $0.failureClass.rawValue), ("message", $0.message)] })
        }
        o.add("latency_ms", latencyMS)
        o.add("cost_usd", costUSD)
        o.add("run_id", runID)
        o.add("finished_at", finishedAt)
        return o.finished
    }
}
