/// How `imagepipe run` behaves beyond what the pipeline says.
public struct RunOptions: Sendable {
    /// Items admitted into the DAG at once; nil picks twice the largest concurrency.
    public var itemsInFlight: Int?
    /// Where the manifest goes; nil is `OUTPUT_DIR/manifest.jsonl`.
    public var manifestPath: String?
    /// Stages whose cached results are ignored (`--force STAGE`); `forceAll` ignores every cache.
    public var forcedStages: Set<String> = []
    public var forceAll = false
    /// Run only this stage; the others only pass on what the ledger already holds.
    public var only: String?
    /// The first N items of each source.
    public var limit: Int?
    /// Only the items whose last attempt somewhere did not succeed.
    public var retryFailed = false
    /// Only the items with these keys (`--key`, repeatable).
    public var keys: [String] = []
    /// Only the items whose fields meet this condition (`--where 'category == "shoes"'`).
    public var condition: Condition?
    public var conditionText = ""
    /// `--shard I/N`: only the items whose key hashes to this shard.
    public var shard: Shard?
    /// Re-hash every cached file instead of trusting its recorded size.
    public var verify = false
    /// On an interrupt, cancel jobs waiting at queued providers instead of leaving them for the
    /// next run to collect (`--cancel-remote`).
    public var cancelRemote = false
    /// `--no-wait`: send batches and leave (exit 3) instead of waiting for them (`batch.wait: 0s`).
    public var noWait = false
    /// `--listen HOST:PORT --public-url URL`: receive queued providers' webhooks while the run lasts.
    public var listen: Listen?
    /// `--lease`: seconds a worker's claim on an item holds without renewal (a PostgreSQL ledger).
    public var lease: Double = 60

    public struct Listen: Sendable {
        public var host: String
        /// 0 picks a free port (tests).
        public var port: Int
        /// What providers are told to call: the address at which this machine's HOST:PORT is reached.
        public var publicURL: String

        public init(host: String, port: Int, publicURL: String) {
            self.host = host
            self.port = port
            self.publicURL = publicURL
        }
    }

    public init() {}

    func isForced(_ stage: String) -> Bool { forceAll || forcedStages.contains(stage) }
}
