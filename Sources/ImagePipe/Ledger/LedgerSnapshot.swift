/// The ledger's successes in memory, looked up by (stage, item, fingerprint): one query at the
/// start of a run instead of one per item, so that deciding 100,000 items costs a hash lookup each.
public struct LedgerSnapshot: Sendable {
    private var entries: [String: LedgerEntry] = [:]

    public init() {}

    public var count: Int { entries.count }

    static func key(_ stage: String, _ item: String) -> String { stage + "\u{0}" + item }

    mutating func add(_ entry: LedgerEntry) {
        entries[Self.key(entry.stage, entry.item) + "\u{0}" + entry.fingerprint] = entry
    }

    public func success(stage: String, item: String, fingerprint: String) -> LedgerEntry? {
        entries[Self.key(stage, item) + "\u{0}" + fingerprint]
    }
}
