import ImagePipeCore

/// Which items a run takes: all of them, or a part picked by `--limit`, `--key`, `--where` or
/// `--retry-failed`. `plan` and `run` apply the same selection, so the plan's counts, the
/// progress, the ETA and the summary all count what was asked for.
public struct ItemSelection: Sendable {
    /// The first N rows of each source.
    public var limit: Int?
    /// `--key`: only these keys.
    public var keys: Set<String>?
    /// `--retry-failed`: only the keys whose last attempt somewhere did not succeed.
    public var unfinished: Set<String>?
    /// `--where`: only items whose fields meet it, and the text it was written as.
    public var condition: (Condition, text: String)?
    /// `--shard I/N`: only the items whose key hashes to this shard.
    public var shard: Shard?

    public init(limit: Int? = nil, keys: Set<String>? = nil, unfinished: Set<String>? = nil, condition: (Condition, text: String)? = nil,
                shard: Shard? = nil) {
        self.limit = limit
        self.keys = keys
        self.unfinished = unfinished
        self.condition = condition
        self.shard = shard
    }

    public static let everything = ItemSelection()

    public var isEverything: Bool { limit == nil && keys == nil && unfinished == nil && condition == nil && (shard?.count ?? 1) == 1 }

    /// Rows past the limit are never read by a run.
    public func readsPast(row: Int) -> Bool { limit.map { row > $0 } ?? false }

    public func selects<Fields: TemplateFields>(row: Int, key: String, fields: Fields) -> Bool {
        if readsPast(row: row) { return false }
        if let keys, !keys.contains(key) { return false }
        if let unfinished, !unfinished.contains(key) { return false }
        if let shard, !shard.contains(key: key) { return false }
        if let (condition, _) = condition, !condition.holds(for: fields) { return false }
        return true
    }

    /// How the selection was asked for, for messages: "--limit 3, --key A1".
    public var description: String {
        var parts: [String] = []
        if let limit { parts.append("--limit \(limit)") }
        if let keys { parts.append(keys.sorted().prefix(3).map { "--key \($0)" }.joined(separator: " ") + (keys.count > 3 ? " …" : "")) }
        if unfinished != nil { parts.append("--retry-failed") }
        if let (_, text) = condition { parts.append("--where '\(text)'") }
        if let shard { parts.append("--shard \(shard)") }
        return parts.joined(separator: ", ")
    }
}
