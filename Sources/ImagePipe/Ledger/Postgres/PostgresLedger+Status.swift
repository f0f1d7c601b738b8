import Foundation

extension PostgresLedger {
    /// `imagepipe status` from the shared ledger: what the SQLite ledger shows, and the open
    /// run's workers (host, pid, last heartbeat) with the items they hold and their age.
    func status(stageOrder: [String]) throws(Ledger.Failure) -> LedgerStatus {
        try failing("read") {
            let c = connection
            func run(_ row: [String?]) -> LedgerStatus.Run {
                LedgerStatus.Run(id: Int64(row[0]!)!, startedAt: Double(row[1]!)!, endedAt: row[2].flatMap { Double($0) }, exitCode: row[3].flatMap { Int($0) },
                                 stopReason: row[4], costUSD: Double(row[5] ?? "0") ?? 0)
            }
            let last = try c.query("SELECT id, started_at, ended_at, exit_code, stop_reason, cost_usd FROM run ORDER BY id DESC LIMIT 1").first.map(run)
            var stages = Dictionary(uniqueKeysWithValues: stageOrder.map { ($0, LedgerStatus.Stage(name: $0)) })
            var providers: [ProviderTraffic] = []
            if let ended = try c.query("SELECT MAX(id) FROM run WHERE ended_at IS NOT NULL").first?[0] {
                providers = try c.query("SELECT provider, answered, throttled, pace, learned_from, adaptive FROM run_provider WHERE run_id = $1 ORDER BY provider", [ended]).map {
                    ProviderTraffic(provider: $0[0]!, answered: Int($0[1]!)!, throttled: Int($0[2]!)!, pace: $0[3].flatMap { Double($0) }, learnedFrom: $0[4],
                                    adaptive: $0[5] == "t")
                }
                for row in try c.query("SELECT stage, expected, cached FROM run_stage WHERE run_id = $1", [ended]) {
                    stages[row[0]!, default: LedgerStatus.Stage(name: row[0]!)].expected = Int(row[1]!)
                    stages[row[0]!]?.cached = Int(row[2]!) ?? 0
                }
            }
            let latest = "SELECT DISTINCT ON (stage, item) stage, item, status, failure_class, message, attempts FROM item ORDER BY stage, item, finished_at DESC"
            for row in try c.query("SELECT stage, status, failure_class, count(*) FROM (\(latest)) l GROUP BY stage, status, failure_class") {
                let name = row[0]!, count = Int(row[3]!)!
                var stage = stages[name] ?? LedgerStatus.Stage(name: name)
                switch row[1] {
                case "succeeded": stage.succeeded += count
                case "failed": stage.failed[row[2] ?? "error", default: 0] += count
                default: break
                }
                stages[name] = stage
            }
            for row in try c.query("SELECT stage, count(*) FROM remote_job GROUP BY stage") {
                stages[row[0]!, default: LedgerStatus.Stage(name: row[0]!)].submitted = Int(row[1]!)!
            }
            let history = try c.query("""
                SELECT r.id, r.started_at, r.ended_at, r.exit_code, r.stop_reason, r.cost_usd,
                       COALESCE(SUM(s.succeeded), 0), COALESCE(SUM(s.failed), 0), COALESCE(SUM(s.cached), 0)
                FROM run r LEFT JOIN run_stage s ON s.run_id = r.id GROUP BY r.id ORDER BY r.id
                """).map { LedgerStatus.RunTotals(run: run($0), succeeded: Int($0[6]!)!, failed: Int($0[7]!)!, cached: Int($0[8]!)!) }
            let failures = try c.query("SELECT stage, item, failure_class, message, attempts FROM (\(latest)) l WHERE status = 'failed' ORDER BY stage, item COLLATE \"C\"").map {
                LedgerStatus.FailedItem(stage: $0[0]!, item: $0[1]!, failureClass: $0[2] ?? "error", message: $0[3] ?? "", attempts: Int($0[4]!)!)
            }
            let batches = try c.query("""
                SELECT b.stage, b.provider, b.batch_id, count(i.item), b.created_at FROM remote_batch b
                JOIN remote_batch_item i ON i.chunk = b.chunk GROUP BY b.chunk ORDER BY b.created_at
                """).map { LedgerStatus.PendingBatch(stage: $0[0]!, provider: $0[1]!, batchID: $0[2], items: Int($0[3]!)!, createdAt: Double($0[4]!)!) }
            for batch in batches { stages[batch.stage, default: LedgerStatus.Stage(name: batch.stage)].submitted += batch.items }
            let order = stageOrder + stages.keys.filter { !stageOrder.contains($0) }.sorted()
            var status = LedgerStatus(lastRun: last, providers: providers, stages: order.compactMap { stages[$0] }, failures: failures, history: history)
            status.batches = batches
            status.queued = 0
            if let open = try c.query("SELECT id FROM run WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1").first?[0] {
                status.queued = Int(try c.query("SELECT count(*) FROM work WHERE run_id = $1 AND state = 'ready'", [open]).first?[0] ?? "0") ?? 0
                status.workers = try c.query("""
                    SELECT w.host, w.pid, EXTRACT(EPOCH FROM clock_timestamp() - w.heartbeat_at),
                           (SELECT count(*) FROM work k WHERE k.worker_id = w.id AND k.state = 'leased'),
                           (SELECT EXTRACT(EPOCH FROM clock_timestamp() - min(k.leased_at)) FROM work k WHERE k.worker_id = w.id AND k.state = 'leased'),
                           w.alive_until < clock_timestamp()
                    FROM worker w WHERE w.run_id = $1 AND w.ended_at IS NULL ORDER BY w.id
                    """, [open]).map {
                    LedgerStatus.Worker(host: $0[0]!, pid: Int($0[1]!)!, heartbeatAge: Double($0[2]!)!, leased: Int($0[3]!)!,
                                        oldestLeaseAge: $0[4].flatMap { Double($0) }, lost: $0[5] == "t")
                }
            }
            return status
        }
    }
}
