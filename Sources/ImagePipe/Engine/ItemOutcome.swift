/// How one (stage, item) ended, as the manifest records it.
public struct ItemOutcome: Sendable {
    public enum Status: String, Sendable {
        case succeeded, failed, skipped, cancelled
    }

    public var stage: String
    public var key: String
    public var variant: Int?
    public var matrix: [(field: String, value: String)] = []
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

    public init(stage: String, key: String, status: Status) {
        self.stage = stage
        self.key = key
        self.status = status
    }

    /// The manifest's JSON line for this outcome.
    public var json: JSONValue {
        var o: [(String, JSONValue)] = [("key", .string(key)), ("stage", .string(stage))]
        if let variant { o.append(("variant", .int(variant))) }
        if !matrix.isEmpty { o.append(("matrix", .object(matrix.map { ($0.field, .string($0.value)) }))) }
        o.append(("status", .string(status.rawValue)))
        if let failureClass { o.append(("failure_class", .string(failureClass.rawValue))) }
        if let message { o.append(("message", .string(message))) }
        if let prompt { o.append(("prompt", .string(prompt))) }
        if let model { o.append(("model", .string(model))) }
        if let provider { o.append(("provider", .string(provider))) }
        if let path { o.append(("path", .string(path))) }
        if let sha256 { o.append(("sha256", .string(sha256))) }
        if let width { o.append(("width", .int(width))) }
        if let height { o.append(("height", .int(height))) }
        if let bytes { o.append(("bytes", .int(bytes))) }
        o.append(("attempts", .int(attempts)))
        if let latencyMS { o.append(("latency_ms", .int(latencyMS))) }
        if let costUSD { o.append(("cost_usd", .double(costUSD))) }
        return .object(o)
    }
}
