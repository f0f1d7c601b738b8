/// One change the ledger writer commits: an item's outcome, or a remote job begun or ended.
enum LedgerWrite: Sendable {
    case entry(LedgerEntry)
    case jobSubmitted(Job)
    case jobEnded(stage: String, item: String, fingerprint: String)

    /// A job a queued provider accepted for one unit.
    struct Job: Sendable {
        var stage: String
        var item: String
        var fingerprint: String
        var key: String
        var provider: String
        var job: RemoteJob
    }
}
