import Foundation

/// The ledger in PostgreSQL, shared by every worker of a pipeline (`state: postgres://…`): what the
/// SQLite ledger keeps, in the pipeline's own schema, plus the work queue the workers claim from.
/// Workers do not lock each other out: each run's processes join one run and share its work.
final class PostgresLedger: LedgerStore, @unchecked Sendable {
    let path: String
    let connection: PostgresConnection
    let url: String
    let schema: String
    let queue: WorkQueue
    /// Opened without creating, and nothing was there: no run has used it.
    private(set) var isEmpty = false

    /// Opens (creating and migrating when `creating`) the pipeline's schema at `url`.
    init(url: String, pipeline: String, creating: Bool = true) throws(Ledger.Failure) {
        self.url = url
        schema = PostgresSchema.name(for: pipeline)
        path = PostgresConnection.withoutPassword(url)
        do {
            connection = try PostgresConnection(url: url, schema: schema, creating: creating)
            if creating {
                try PostgresSchema.migrate(connection)
            } else {
                let known = try connection.query("SELECT to_regclass('migration') IS NOT NULL")
                isEmpty = known.first?[0] != "t"
            }
        } catch let failure as PostgresConnection.Failure where failure.sqlState == nil {
            // Not connected: where the URL came from is the fix.
            throw Ledger.Failure(description: failure.description + "; check the server, or the ledger's URL in --state, IMAGEPIPE_STATE or 'state:'")
        } catch {
            throw Ledger.Failure(description: "cannot open the ledger \(path): \(error)")
        }
        queue = WorkQueue(url: url, schema: schema, shown: path)
    }

    var workers: WorkQueue? { queue }

    /// The budget and the providers' pace of run `runID`, across its workers.
    func limits(runID: Int64) throws -> SharedLimits {
        try SharedLimits(url: url, schema: schema, runID: runID, workerID: queue.workerID)
    }

    func lock() throws(Ledger.Failure) {}
    func unlock() {}
    func claim(for pipelineFile: String) throws(Ledger.Failure) -> String? { nil }
    func owner() -> String? { nil }

    func localFault(_ error: Error) -> LocalFault? {
        guard let state = (error as? PostgresConnection.Failure)?.sqlState else { return nil }
        // The server's disk, not this machine's: still, nothing more can be recorded.
        if state == "53100" { return LocalFault(kind: .full, place: path, reason: "the database server's disk is full") }
        return nil
    }

    func failing<T>(_ what: String, _ body: () throws -> T) throws(Ledger.Failure) -> T {
        do {
            return try body()
        } catch let failure as Ledger.Failure {
            throw failure
        } catch {
            throw Ledger.Failure(description: "cannot \(what) the ledger \(path): \(error)")
        }
    }

    // MARK: - Runs

    /// Refuses a worker whose pipeline file differs from the one the run's live workers run.
    func checkJoin(pipelineSHA256: String) throws(Ledger.Failure) {
        let refusal = try failing("read") { try queue.refusal(pipelineSHA256: pipelineSHA256, connection: connection) }
        if let refusal { throw Ledger.Failure(description: refusal) }
    }

    /// Joins the pipeline's open run, or begins one: workers started together share one run.
    func beginRun(pipelineSHA256: String) throws(Ledger.Failure) -> Int64 {
        try failing("write to") { try queue.join(pipelineSHA256: pipelineSHA256, connection: connection) }
    }

    /// Adds this worker's totals to the run's; the last worker to leave ends the run.
    func endRun(_ id: Int64, exitCode: Int32, stopReason: String?, costUSD: Double, stages: [Ledger.StageTotals], providers: [ProviderTraffic]) {
        _ = try? connection.transaction { t in
            for s in stages {
                try t.query("""
                    INSERT INTO run_stage (run_id, stage, expected, succeeded, failed, skipped, cached, cost_usd) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                    ON CONFLICT (run_id, stage) DO UPDATE SET expected = run_stage.expected + EXCLUDED.expected,
                      succeeded = run_stage.succeeded + EXCLUDED.succeeded, failed = run_stage.failed + EXCLUDED.failed,
                      skipped = run_stage.skipped + EXCLUDED.skipped, cached = run_stage.cached + EXCLUDED.cached,
                      cost_usd = run_stage.cost_usd + EXCLUDED.cost_usd
                    """, [String(id), s.stage, String(s.expected), String(s.succeeded), String(s.failed), String(s.skipped), String(s.cached), String(s.costUSD)])
            }
            for p in providers {
                try t.query("""
                    INSERT INTO run_provider (run_id, provider, answered, throttled, pace, learned_from, adaptive) VALUES ($1, $2, $3, $4, $5, $6, $7)
                    ON CONFLICT (run_id, provider) DO UPDATE SET answered = run_provider.answered + EXCLUDED.answered,
                      throttled = run_provider.throttled + EXCLUDED.throttled, pace = EXCLUDED.pace, learned_from = EXCLUDED.learned_from
                    """, [String(id), p.provider, String(p.answered), String(p.throttled), p.pace.map { String($0) }, p.learnedFrom, p.adaptive ? "true" : "false"])
            }
            try t.query("UPDATE run SET cost_usd = cost_usd + $2, exit_code = GREATEST(COALESCE(exit_code, 0), $3), stop_reason = COALESCE(stop_reason, $4) WHERE id = $1",
                        [String(id), String(costUSD), String(exitCode), stopReason])
            try queue.leave(t)
        }
    }

    // MARK: - Items

    private static let itemColumns = LedgerEntry.columns + ", run_id"
    private static let itemColumnCount = itemColumns.split(separator: ",").count

    /// One statement for many rows: `rows` of `itemColumnCount` values each.
    private static func itemUpsert(rows: Int) -> String {
        let names = itemColumns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = (0..<rows).map { row in "(" + names.indices.map { "$\(row * names.count + $0 + 1)" }.joined(separator: ", ") + ")" }.joined(separator: ", ")
        let updates = names.filter { !["stage", "item", "fingerprint"].contains($0) }.map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        return "INSERT INTO item (\(itemColumns)) VALUES \(values) ON CONFLICT (stage, item, fingerprint) DO UPDATE SET \(updates)"
    }

    /// Entries, the jobs their successes end and the work they finish, gathered so that a group
    /// commit of many items costs a few statements, not several per item.
    private struct Pending {
        var entries: [String: [String?]] = [:]
        var order: [String] = []
        var succeeded: (stages: [String], items: [String], fingerprints: [String]) = ([], [], [])
        var done: [String: [String]] = [:]
        var queued: [(run: String, source: String, row: String, key: String, stage: String)] = []

        var isEmpty: Bool { order.isEmpty && succeeded.stages.isEmpty && done.isEmpty && queued.isEmpty }

        mutating func add(_ e: LedgerEntry, run: String) {
            let key = e.stage + "\u{0}" + e.item + "\u{0}" + e.fingerprint
            // One row per key in a statement: the later outcome of the same unit wins, as it would one by one.
            if entries[key] == nil { order.append(key) }
            entries[key] = [e.stage, e.item, e.key, e.fingerprint, e.status, e.failureClass, e.message, String(e.attempts), e.path, e.sha256,
                            e.bytes.map(String.init), e.width.map(String.init), e.height.map(String.init), e.url, e.response, e.prompt,
                            e.model, e.provider, e.costUSD.map { String($0) }, e.latencyMS.map(String.init), String(e.finishedAt), e.line, run]
            if e.status == "succeeded" {
                succeeded.stages.append(e.stage)
                succeeded.items.append(e.item)
                succeeded.fingerprints.append(e.fingerprint)
            }
        }

        mutating func flush(_ t: PostgresConnection.Transaction) throws {
            let rows = order.compactMap { entries[$0] }
            for start in stride(from: 0, to: rows.count, by: 1000) {
                let chunk = rows[start..<min(rows.count, start + 1000)]
                try t.query(PostgresLedger.itemUpsert(rows: chunk.count), chunk.flatMap { $0 })
            }
            if !succeeded.stages.isEmpty {
                let keys = [WorkQueue.Enqueuer.array(succeeded.stages), WorkQueue.Enqueuer.array(succeeded.items), WorkQueue.Enqueuer.array(succeeded.fingerprints)]
                let matching = "(stage, item, fingerprint) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))"
                try t.query("DELETE FROM remote_job WHERE \(matching)", keys)
                try t.query("DELETE FROM remote_batch_item WHERE \(matching)", keys)
            }
            // Before the claims that queued them are marked done: the run never looks finished in between.
            for q in queued {
                try t.query("INSERT INTO work (run_id, source, row_number, key, stage) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                            [q.run, q.source, q.row, q.key, q.stage])
            }
            for (worker, seqs) in done {
                try t.query("UPDATE work SET state = 'done', lease_until = NULL WHERE worker_id = $1 AND seq = ANY($2::bigint[])",
                            [worker, WorkQueue.Enqueuer.array(seqs)])
            }
            self = Pending()
        }
    }

    func write(_ writes: [LedgerWrite], runID: Int64) throws {
        let run = String(runID)
        let now = String(Date().timeIntervalSince1970)
        try connection.transaction { t in
            var pending = Pending()
            for write in writes {
                switch write {
                case .entry(let e):
                    pending.add(e, run: run)
                    continue
                case .workDone(let seq, let worker):
                    pending.done[String(worker), default: []].append(String(seq))
                    continue
                case .workQueued(let run, let source, let row, let key, let stage):
                    pending.queued.append((String(run), source, String(row), key, stage))
                    continue
                default:
                    // Everything gathered so far goes first: the order of changes is kept.
                    if !pending.isEmpty { try pending.flush(t) }
                }
                switch write {
                case .entry, .workDone, .workQueued:
                    break
                case .jobSubmitted(let job):
                    try t.query("""
                        INSERT INTO remote_job (stage, item, fingerprint, key, provider, job, submitted_at, run_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                        ON CONFLICT (stage, item, fingerprint) DO UPDATE SET key = EXCLUDED.key, provider = EXCLUDED.provider, job = EXCLUDED.job,
                          submitted_at = EXCLUDED.submitted_at, run_id = EXCLUDED.run_id
                        """, [job.stage, job.item, job.fingerprint, job.key, job.provider, job.job.json, now, run])
                case .jobEnded(let stage, let item, let fingerprint):
                    try t.query("DELETE FROM remote_job WHERE stage = $1 AND item = $2 AND fingerprint = $3", [stage, item, fingerprint])
                case .batchIntent(let chunk, let provider, let stage, let items):
                    try t.query("""
                        INSERT INTO remote_batch (chunk, provider, stage, created_at, run_id) VALUES ($1, $2, $3, $4, $5)
                        ON CONFLICT (chunk) DO UPDATE SET provider = EXCLUDED.provider, stage = EXCLUDED.stage, created_at = EXCLUDED.created_at, run_id = EXCLUDED.run_id
                        """, [chunk, provider, stage, now, run])
                    try items.forEach { i in
                        try t.query("""
                            INSERT INTO remote_batch_item (stage, item, fingerprint, key, chunk, custom_id) VALUES ($1, $2, $3, $4, $5, $6)
                            ON CONFLICT (stage, item, fingerprint) DO UPDATE SET key = EXCLUDED.key, chunk = EXCLUDED.chunk, custom_id = EXCLUDED.custom_id
                            """, [i.stage, i.item, i.fingerprint, i.key, chunk, i.customID])
                    }
                case .batchCreated(let chunk, let batchID):
                    try t.query("UPDATE remote_batch SET batch_id = $2 WHERE chunk = $1", [chunk, batchID])
                case .batchItemEnded(let stage, let item, let fingerprint):
                    try t.query("DELETE FROM remote_batch_item WHERE stage = $1 AND item = $2 AND fingerprint = $3", [stage, item, fingerprint])
                case .batchAbandoned(let chunk):
                    try t.query("DELETE FROM remote_batch_item WHERE chunk = $1", [chunk])
                    try t.query("DELETE FROM remote_batch WHERE chunk = $1", [chunk])
                }
            }
            if !pending.isEmpty { try pending.flush(t) }
        }
    }

    func successes() throws(Ledger.Failure) -> LedgerSnapshot {
        try failing("read") { try successes(where: nil) }
    }

    /// The successes of one source item's units: what another worker finished of an item it
    /// claimed before its lease ran out.
    func successes(key: String) throws(Ledger.Failure) -> LedgerSnapshot {
        try failing("read") { try successes(where: key) }
    }

    private func successes(where key: String?) throws -> LedgerSnapshot {
        var snapshot = LedgerSnapshot()
        let filter = key == nil ? "" : " AND key = $1"
        let parameters: [String?] = key.map { [$0] } ?? []
        for row in try connection.query("""
            SELECT stage, item, fingerprint, path, sha256, bytes, width, height, attempts, cost_usd, url, response, status FROM item
            WHERE (status = 'succeeded' OR (status = 'failed' AND failure_class = 'content_policy'))\(filter)
            """, parameters) {
            guard row[12] == "succeeded" else {
                snapshot.addBlocked(stage: row[0]!, item: row[1]!, fingerprint: row[2]!)
                continue
            }
            snapshot.add(stage: row[0]!, item: row[1]!, fingerprint: row[2]!, RecordedSuccess(
                path: row[3], sha256: row[4], bytes: row[5].flatMap { Int($0) }, width: row[6].flatMap { Int($0) }, height: row[7].flatMap { Int($0) },
                attempts: row[8].flatMap { Int($0) } ?? 1, costUSD: row[9].flatMap { Double($0) }, url: row[10], response: row[11]))
        }
        for row in try connection.query("""
            SELECT i.stage, i.item, i.fingerprint, i.chunk, i.custom_id, b.batch_id FROM remote_batch_item i JOIN remote_batch b ON b.chunk = i.chunk
            WHERE true\(key == nil ? "" : " AND i.key = $1")
            """, parameters) {
            snapshot.addBatchItem(stage: row[0]!, item: row[1]!, fingerprint: row[2]!, BatchPlace(chunk: row[3]!, customID: row[4]!, batchID: row[5]))
        }
        for row in try connection.query("SELECT stage, item, fingerprint, job FROM remote_job WHERE true\(filter)", parameters) {
            guard let job = RemoteJob(json: row[3]!) else { continue }
            snapshot.addJob(stage: row[0]!, item: row[1]!, fingerprint: row[2]!, job)
        }
        return snapshot
    }

    func unfinishedKeys() throws(Ledger.Failure) -> Set<String> {
        try failing("read") {
            let rows = try connection.query("SELECT DISTINCT ON (stage, item) key, status FROM item ORDER BY stage, item, finished_at DESC")
            return Set(rows.filter { $0[1] != "succeeded" }.compactMap { $0[0] })
        }
    }

    /// `manifest.jsonl` from the shared ledger: every (stage, item) as it last ended, whichever
    /// worker made it; read through a cursor so memory stays flat, written aside and renamed.
    func writeCurrentManifest(to path: String, stageOrder: [String]) throws(Ledger.Failure) {
        let temporary = path + ".tmp-\(getpid())"
        guard let out = FileHandle(forWritingAtPath: temporary) ?? {
            FileManager.default.createFile(atPath: temporary, contents: nil)
            return FileHandle(forWritingAtPath: temporary)
        }() else { throw Ledger.Failure(description: "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        do {
            try out.truncate(atOffset: 0)
            try connection.transaction { t in
                for stage in stageOrder {
                    try t.query("""
                        DECLARE lines NO SCROLL CURSOR FOR
                        SELECT DISTINCT ON (item COLLATE "C") line, key, status, failure_class, message, path FROM item WHERE stage = $1
                        ORDER BY item COLLATE "C", finished_at DESC
                        """, [stage])
                    while true {
                        let rows = try t.query("FETCH 5000 FROM lines")
                        if rows.isEmpty { break }
                        var buffer = Data()
                        for row in rows {
                            buffer.append(contentsOf: (row[0] ?? Self.line(stage: stage, row)).utf8)
                            buffer.append(0x0A)
                        }
                        try out.write(contentsOf: buffer)
                    }
                    try t.query("CLOSE lines")
                }
            }
            try out.synchronize()
            try out.close()
        } catch {
            try? out.close()
            unlink(temporary)
            throw Ledger.Failure(description: "cannot write \(path): \(error)")
        }
        guard rename(temporary, path) == 0 else {
            let failure = Ledger.Failure(description: "cannot move the manifest into place at \(path): \(String(cString: strerror(errno)))")
            unlink(temporary)
            throw failure
        }
    }

    private static func line(stage: String, _ row: [String?]) -> String {
        var o = JSONObjectWriter()
        o.add("key", row[1])
        o.add("stage", stage)
        o.add("status", row[2])
        o.add("failure_class", row[3])
        o.add("message", row[4])
        o.add("path", row[5])
        return o.finished
    }
}
