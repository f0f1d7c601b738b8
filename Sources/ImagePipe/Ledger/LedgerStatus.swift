import Foundation
import GRDB

/// What `imagepipe status` shows: per stage, the latest outcome of every item the ledger knows,
/// against what the last run expected, and that run's time and cost.
public struct LedgerStatus: Sendable {
    public struct Run: Sendable {
        public var id: Int64
        public var startedAt: Double
        public var endedAt: Double?
        public var exitCode: Int?
        public var stopReason: String?
        public var costUSD: Double
    }

    public struct Stage: Sendable {
        public var name: String
        public var succeeded = 0
        public var failed: [String: Int] = [:]
        /// Items the last run expected; nil when no run has ended.
        public var expected: Int?
        /// Items the last run found finished already.
        public var cached = 0
        /// Jobs submitted to a queued provider that have not ended: the next run collects them.
        public var submitted = 0

        public var failedCount: Int { failed.values.reduce(0, +) }
        public var pending: Int? { expected.map { max(0, $0 - succeeded - failedCount) } }
    }

    public struct FailedItem: Sendable {
        public var stage: String
        public var item: String
        public var failureClass: String
        public var message: String
        public var attempts: Int
    }

    public var lastRun: Run?
    /// The last ended run's traffic per provider: its 429s and the pace it settled at.
    public var providers: [ProviderTraffic] = []
    public var stages: [Stage]
    public var failures: [FailedItem]
    /// Remote batches whose items are still waiting (a later run collects them).
    public var batches: [PendingBatch] = []

    public struct PendingBatch: Sendable {
        public var stage: String
        public var provider: String
        /// Nil when the run stopped between recording the intent and the batch's id.
        public var batchID: String?
        public var items: Int
        public var createdAt: Double
    }
    /// With a shared ledger: the open run's workers and the items they hold.
    public var workers: [Worker] = []
    /// Items of the open run that are queued and not yet claimed; nil without a shared ledger.
    public var queued: Int?

    public struct Worker: Sendable {
        public var host: String
        public var pid: Int
        /// Seconds since its last heartbeat.
        public var heartbeatAge: Double
        /// Items it holds, and the oldest one's age in seconds.
        public var leased: Int
        public var oldestLeaseAge: Double?
        /// Its heartbeat is older than its lease: it is gone, and its items go to others.
        public var lost: Bool
    }

    /// Every run, oldest first, with its totals (`status --runs`).
    public var history: [RunTotals] = []

    public struct RunTotals: Sendable {
        public var run: Run
        public var succeeded: Int
        public var failed: Int
        public var cached: Int
    }
}

extension Ledger {
    /// `stageOrder` lists the pipeline's stages, so the table follows the DAG.
    public func status(stageOrder: [String]) throws(Failure) -> LedgerStatus {
        do {
            return try pool.read { db in
                var run: LedgerStatus.Run?
                if let row = try Row.fetchOne(db, sql: "SELECT id, started_at, ended_at, exit_code, stop_reason, cost_usd FROM run ORDER BY id DESC LIMIT 1") {
                    run = LedgerStatus.Run(id: row[0], startedAt: row[1], endedAt: row[2], exitCode: row[3], stopReason: row[4], costUSD: row[5])
                }
                var stages = Dictionary(uniqueKeysWithValues: stageOrder.map { ($0, LedgerStatus.Stage(name: $0)) })
                // Totals of the last run that ended (the current one may still be going).
                var providers: [ProviderTraffic] = []
                if let ended = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM run WHERE ended_at IS NOT NULL") {
                    providers = try Row.fetchAll(db, sql: "SELECT provider, answered, throttled, pace, learned_from, adaptive FROM run_provider WHERE run_id = ? ORDER BY provider",
                                                 arguments: [ended]).map {
                        ProviderTraffic(provider: $0[0], answered: $0[1], throttled: $0[2], pace: $0[3], learnedFrom: $0[4], adaptive: $0[5])
                    }
                    for row in try Row.fetchAll(db, sql: "SELECT stage, expected, cached FROM run_stage WHERE run_id = ?", arguments: [ended]) {
                        let name: String = row[0]
                        stages[name, default: LedgerStatus.Stage(name: name)].expected = row[1]
                        stages[name]?.cached = row[2]
                    }
                }
                let latest = """
                    SELECT stage, status, failure_class, COUNT(*) FROM
                      (SELECT stage, item, status, failure_class, MAX(finished_at) FROM item GROUP BY stage, item)
                    GROUP BY stage, status, failure_class
                    """
                for row in try Row.fetchAll(db, sql: latest) {
                    let name: String = row[0], status: String = row[1], failureClass: String? = row[2], count: Int = row[3]
                    var stage = stages[name] ?? LedgerStatus.Stage(name: name)
                    switch status {
                    case "succeeded": stage.succeeded += count
                    case "failed": stage.failed[failureClass ?? "error", default: 0] += count
                    default: break  // skipped or cancelled: still pending
                    }
                    stages[name] = stage
                }
                if try db.tableExists("remote_job") {
                    for row in try Row.fetchAll(db, sql: "SELECT stage, COUNT(*) FROM remote_job GROUP BY stage") {
                        let name: String = row[0]
                        stages[name, default: LedgerStatus.Stage(name: name)].submitted = row[1]
                    }
                }
                let history = try Row.fetchAll(db, sql: """
                    SELECT r.id, r.started_at, r.ended_at, r.exit_code, r.stop_reason, r.cost_usd,
                           COALESCE(SUM(s.succeeded), 0), COALESCE(SUM(s.failed), 0), COALESCE(SUM(s.cached), 0)
                    FROM run r LEFT JOIN run_stage s ON s.run_id = r.id GROUP BY r.id ORDER BY r.id
                    """).map { row in
                    LedgerStatus.RunTotals(run: LedgerStatus.Run(id: row[0], startedAt: row[1], endedAt: row[2], exitCode: row[3], stopReason: row[4],
                                                                 costUSD: row[5]),
                                           succeeded: row[6], failed: row[7], cached: row[8])
                }
                let failedSQL = """
                    SELECT stage, item, failure_class, message, attempts FROM
                      (SELECT stage, item, status, failure_class, message, attempts, MAX(finished_at) FROM item GROUP BY stage, item)
                    WHERE status = 'failed' ORDER BY stage, item
                    """
                let failures = try Row.fetchAll(db, sql: failedSQL).map {
                    LedgerStatus.FailedItem(stage: $0[0], item: $0[1], failureClass: $0[2] ?? "error", message: $0[3] ?? "", attempts: $0[4])
                }
                var batches: [LedgerStatus.PendingBatch] = []
                if try db.tableExists("remote_batch") {
                    batches = try Row.fetchAll(db, sql: """
                        SELECT b.stage, b.provider, b.batch_id, COUNT(i.item), b.created_at FROM remote_batch b
                        JOIN remote_batch_item i ON i.chunk = b.chunk GROUP BY b.chunk ORDER BY b.created_at
                        """).map { LedgerStatus.PendingBatch(stage: $0[0], provider: $0[1], batchID: $0[2], items: $0[3], createdAt: $0[4]) }
                    for batch in batches { stages[batch.stage, default: LedgerStatus.Stage(name: batch.stage)].submitted += batch.items }
                }
                let order = stageOrder + stages.keys.filter { !stageOrder.contains($0) }.sorted()
                var status = LedgerStatus(lastRun: run, providers: providers, stages: order.compactMap { stages[$0] }, failures: failures, history: history)
                status.batches = batches
                return status
            }
        } catch {
            throw Failure(description: "cannot read the ledger \(path): \(error)")
        }
    }
}
