import ImagePipeCore
import ImagePipeLanguage
/// Work that earlier runs finished, as `plan` and the engine ask about it: the success recorded
/// for a (stage, item) under a fingerprint. The ledger answers; the plan does not know which.
public protocol CompletedWork: Sendable {
    func success(stage: String, item: String, fingerprint: String) -> RecordedSuccess?
    /// Whether the provider refused exactly this request (`content_policy`) last time: sending it
    /// again unchanged risks the account being flagged.
    func wasBlocked(stage: String, item: String, fingerprint: String) -> Bool
}

extension CompletedWork {
    public func wasBlocked(stage: String, item: String, fingerprint: String) -> Bool { false }
}

/// What a recorded success passes on when it stands for a unit.
public struct RecordedSuccess: Sendable {
    /// Images: relative to the output folder.
    public var path: String?
    public var sha256: String?
    public var bytes: Int?
    public var width: Int?
    public var height: Int?
    public var attempts: Int
    public var costUSD: Double?
    /// Integrations: the object URL, and what the answer held (JSON).
    public var url: String?
    public var response: String?

    public init(path: String?, sha256: String?, bytes: Int?, width: Int?, height: Int?, attempts: Int, costUSD: Double?,
                url: String?, response: String?) {
        self.path = path
        self.sha256 = sha256
        self.bytes = bytes
        self.width = width
        self.height = height
        self.attempts = attempts
        self.costUSD = costUSD
        self.url = url
        self.response = response
    }
}
