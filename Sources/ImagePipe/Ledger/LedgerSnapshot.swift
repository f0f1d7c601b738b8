/// The ledger's successes in memory, looked up by (stage, item, fingerprint): one query at the
/// start of a run instead of one per item, so that deciding 100,000 items costs a hash lookup
/// each. Only what a cache hit needs is kept (not prompts or messages), to keep it small.
public struct LedgerSnapshot: CompletedWork {
    /// What a cache hit passes on.
    public typealias Output = RecordedSuccess

    private var entries: [String: Output] = [:]

    public init() {}

    static func key(_ stage: String, _ item: String, _ fingerprint: String) -> String {
        stage + "\u{0}" + item + "\u{0}" + fingerprint
    }

    mutating func add(stage: String, item: String, fingerprint: String, _ output: Output) {
        entries[Self.key(stage, item, fingerprint)] = output
    }

    public func success(stage: String, item: String, fingerprint: String) -> Output? {
        entries[Self.key(stage, item, fingerprint)]
    }

    /// Every recorded file, as (stage, path relative to the output folder).
    var files: [(stage: String, path: String)] {
        entries.compactMap { key, output in output.path.map { (String(key.prefix { $0 != "\u{0}" }), $0) } }
    }

    /// Requests the provider refused (`content_policy`) the last time they were sent.
    private var blocked = Set<String>()

    mutating func addBlocked(stage: String, item: String, fingerprint: String) {
        blocked.insert(Self.key(stage, item, fingerprint))
    }

    public func wasBlocked(stage: String, item: String, fingerprint: String) -> Bool {
        !blocked.isEmpty && blocked.contains(Self.key(stage, item, fingerprint))
    }

    /// Jobs submitted to a queued provider and not ended when their run stopped.
    private var jobs: [String: RemoteJob] = [:]

    mutating func addJob(stage: String, item: String, fingerprint: String, _ job: RemoteJob) {
        jobs[Self.key(stage, item, fingerprint)] = job
    }

    public func job(stage: String, item: String, fingerprint: String) -> RemoteJob? {
        jobs.isEmpty ? nil : jobs[Self.key(stage, item, fingerprint)]
    }

    public var jobCount: Int { jobs.count }

    /// Items sent in a remote batch that had not ended when their run stopped.
    private var batchItems = BatchPlaces()

    mutating func addBatchItem(stage: String, item: String, fingerprint: String, _ place: BatchPlace) {
        batchItems.add(stage: stage, item: item, fingerprint: fingerprint, place)
    }

    public func batchItem(stage: String, item: String, fingerprint: String) -> BatchPlace? {
        batchItems.place(stage: stage, item: item, fingerprint: fingerprint)
    }

    public var batchItemCount: Int { batchItems.count }
}

/// Where an item's request waits in a remote batch: the chunk it was sent in, its line's custom
/// id, and the batch's id (nil when the run stopped before the batch's creation was recorded).
public struct BatchPlace: Sendable, Equatable {
    public var chunk: String
    public var customID: String
    public var batchID: String?
}
