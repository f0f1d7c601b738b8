import Foundation

/// The work of one run shared by many worker processes, in PostgreSQL: one enqueuer at a time
/// streams the sources into `work` rows (source, row, key); every worker claims rows with
/// `FOR UPDATE SKIP LOCKED` under a lease it renews while it works; a row whose lease ran out
/// (its worker was killed, its machine gone) is claimed again by another worker.
package final class WorkQueue: @unchecked Sendable {
    package struct Claim: Sendable {
        var seq: Int64
        var source: String
        var row: Int
        var key: String
        /// The stage it runs: "" for the source's root stages.
        var stage: String
        /// How many times the row has been claimed: past 1, another worker began it.
        var claims: Int
    }

    package struct Progress: Sendable {
        /// Every selected item is in the queue.
        var enqueued: Bool
        var ready: Bool
        /// Rows other workers hold (this one's are running here).
        var leasedElsewhere: Bool
        var budgetReached: Bool
        var finished: Bool { enqueued && !ready && !leasedElsewhere }
    }

    let url: String
    let schema: String
    let shown: String
    /// Seconds a claim holds without renewal (`run --lease`).
    package var lease: Double = 60
    private(set) package var runID: Int64 = 0
    private(set) package var workerID: Int64 = 0
    private let lock = NSLock()
    private var claimsConnection: PostgresConnection?

    /// This machine's name as part of a file name.
    static var hostForFiles: String {
        String(ProcessInfo.processInfo.hostName.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" })
    }

    init(url: String, schema: String, shown: String) {
        self.url = url
        self.schema = schema
        self.shown = shown
    }

    private func connection() throws -> PostgresConnection {
        try lock.withLock {
            if let claimsConnection { return claimsConnection }
            let opened = try PostgresConnection(url: url, schema: schema, creating: false)
            claimsConnection = opened
            return opened
        }
    }

    /// The pipeline's run that has not ended: its file's hash and how many workers are alive in it.
    struct OpenRun {
        var id: Int64
        var pipelineSHA256: String
        var live: Int

        static let query = """
            SELECT r.id, r.pipeline_sha256,
                   (SELECT count(*) FROM worker w WHERE w.run_id = r.id AND w.ended_at IS NULL AND w.alive_until > clock_timestamp())
            FROM run r WHERE r.ended_at IS NULL ORDER BY r.id DESC LIMIT 1
            """

        init?(_ rows: PostgresConnection.Rows) {
            guard let row = rows.first, let id = row[0].flatMap({ Int64($0) }) else { return nil }
            self.id = id
            pipelineSHA256 = row[1] ?? ""
            live = row[2].flatMap { Int($0) } ?? 0
        }

        /// Why a worker with another file may not join, while this run's workers live.
        func refusal(joining sha256: String, shown: String) -> String? {
            guard live > 0, pipelineSHA256 != sha256 else { return nil }
            return "run \(id) in \(shown) is being run by \(live) worker\(live == 1 ? "" : "s") with another version of the pipeline file "
                + "(SHA-256 \(pipelineSHA256.prefix(12))…, this file's is \(sha256.prefix(12))…); give every worker the same file, or wait for that run to end"
        }
    }

    /// Why this worker may not join the run live workers are running: another pipeline file.
    func refusal(pipelineSHA256: String, connection: PostgresConnection) throws -> String? {
        OpenRun(try connection.query(OpenRun.query))?.refusal(joining: pipelineSHA256, shown: shown)
    }

    /// Joins the open run of this pipeline when live workers run it with the same file, else
    /// ends a run whose workers are all gone and begins one; registers this worker.
    func join(pipelineSHA256: String, connection: PostgresConnection) throws -> Int64 {
        let host = ProcessInfo.processInfo.hostName
        let (run, worker) = try connection.transaction { t -> (Int64, Int64) in
            try t.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ' run'))")
            var run: Int64?
            if let open = OpenRun(try t.query(OpenRun.query)) {
                if let refusal = open.refusal(joining: pipelineSHA256, shown: shown) { throw Ledger.Failure(description: refusal) }
                if open.live > 0 {
                    run = open.id
                } else {
                    // Every worker of it is gone (killed, or its machine lost): it ends, and its
                    // finished work is found in the ledger by the run that follows.
                    try t.query("UPDATE run SET ended_at = $2, stop_reason = COALESCE(stop_reason, 'abandoned') WHERE id = $1",
                                [String(open.id), String(Date().timeIntervalSince1970)])
                }
            }
            if run == nil {
                run = Int64(try t.query("INSERT INTO run (started_at, pipeline_sha256) VALUES ($1, $2) RETURNING id",
                                        [String(Date().timeIntervalSince1970), pipelineSHA256])[0][0]!)!
            }
            let worker = Int64(try t.query("""
                INSERT INTO worker (run_id, host, pid, lease_seconds, alive_until) VALUES ($1, $2, $3, $4, clock_timestamp() + $4 * interval '1 second') RETURNING id
                """, [String(run!), host, String(getpid()), String(lease)])[0][0]!)!
            return (run!, worker)
        }
        lock.withLock {
            runID = run
            workerID = worker
        }
        return run
    }

    /// This worker is done: its unfinished claims go back to the queue, and the last worker out ends the run.
    func leave(_ t: PostgresConnection.Transaction) throws {
        // Serialised with joins: a worker joining now either counts this one or finds the run ended.
        try t.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ' run'))")
        try t.query("UPDATE worker SET ended_at = clock_timestamp() WHERE id = $1", [String(workerID)])
        try t.query("UPDATE work SET state = 'ready', worker_id = NULL, lease_until = NULL WHERE worker_id = $1 AND state = 'leased'", [String(workerID)])
        try t.query("UPDATE provider_slot SET worker_id = NULL WHERE worker_id = $1", [String(workerID)])
        let live = try t.query("SELECT count(*) FROM worker WHERE run_id = $1 AND ended_at IS NULL AND alive_until > clock_timestamp()", [String(runID)])
        if live.first?[0] == "0" {
            try t.query("UPDATE run SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL", [String(runID), String(Date().timeIntervalSince1970)])
        }
    }

    /// Whether the pipeline has stages below its roots, claimed in turn (`work.stage` other than '').
    package var hasLaterStages = false

    /// Up to `limit` rows: those whose lease ran out, then items already begun (their later
    /// stages), then new items, each oldest first.
    func claim(limit: Int) async throws -> [Claim] {
        let run = String(runID), worker = String(workerID), lease = String(lease)
        // Without later stages the middle part is always empty: one index read less per claim.
        let chosen = hasLaterStages ? """
            later AS (
              SELECT seq FROM work WHERE run_id = $1 AND state = 'ready' AND stage <> '' ORDER BY seq LIMIT $4 FOR UPDATE SKIP LOCKED),
            ready AS (
              SELECT seq FROM work WHERE run_id = $1 AND state = 'ready' ORDER BY seq LIMIT $4 FOR UPDATE SKIP LOCKED),
            chosen AS (SELECT DISTINCT ON (seq) seq, p FROM (SELECT seq, 0 AS p FROM expired UNION ALL SELECT seq, 1 FROM later
                       UNION ALL SELECT seq, 2 FROM ready) c ORDER BY seq, p),
            picked AS (SELECT seq FROM chosen ORDER BY p, seq LIMIT $4)
            """ : """
            ready AS (
              SELECT seq FROM work WHERE run_id = $1 AND state = 'ready' ORDER BY seq LIMIT $4 FOR UPDATE SKIP LOCKED),
            picked AS (SELECT seq FROM (SELECT seq FROM expired UNION ALL SELECT seq FROM ready) c ORDER BY seq LIMIT $4)
            """
        return try await connection().perform { c in
            try c.query("""
                WITH expired AS (
                  SELECT seq FROM work WHERE run_id = $1 AND state = 'leased' AND lease_until < clock_timestamp() AND worker_id <> $2
                  ORDER BY lease_until LIMIT $4 FOR UPDATE SKIP LOCKED),
                \(chosen)
                UPDATE work SET state = 'leased', worker_id = $2, leased_at = clock_timestamp(), lease_until = clock_timestamp() + $3 * interval '1 second', claims = claims + 1
                WHERE seq IN (SELECT seq FROM picked)
                RETURNING seq, source, row_number, key, stage, claims
                """, [run, worker, lease, String(limit)]).map {
                Claim(seq: Int64($0[0]!)!, source: $0[1]!, row: Int($0[2]!)!, key: $0[3]!, stage: $0[4]!, claims: Int($0[5]!)!)
            }.sorted { $0.seq < $1.seq }
        }
    }

    /// The heartbeat: this worker is alive, and its claims hold for another lease.
    func renew() async throws {
        let run = String(runID), worker = String(workerID), lease = String(lease)
        try await connection().perform { c in
            try c.transaction { t in
                try t.query("UPDATE worker SET heartbeat_at = clock_timestamp(), alive_until = clock_timestamp() + lease_seconds * interval '1 second' WHERE id = $1",
                            [worker])
                try t.query("UPDATE work SET lease_until = clock_timestamp() + $2 * interval '1 second' WHERE worker_id = $1 AND state = 'leased' AND run_id = $3",
                            [worker, lease, run])
            }
        }
    }

    func progress() async throws -> Progress {
        let run = String(runID), worker = String(workerID)
        return try await connection().perform { c in
            let row = try c.query("""
                SELECT r.enqueued, r.budget_reached,
                       EXISTS (SELECT 1 FROM work WHERE run_id = r.id AND state = 'ready'),
                       EXISTS (SELECT 1 FROM work WHERE run_id = r.id AND state = 'leased' AND worker_id <> $2)
                FROM run r WHERE r.id = $1
                """, [run, worker]).first
            return Progress(enqueued: row?[0] == "t", ready: row?[2] == "t", leasedElsewhere: row?[3] == "t", budgetReached: row?[1] == "t")
        }
    }

    /// Becomes the run's enqueuer when nobody is (a session advisory lock, freed with its
    /// connection if this process dies) and the run's items are not all queued yet.
    func takeEnqueuing() throws -> Enqueuer? {
        let connection = try PostgresConnection(url: url, schema: schema, creating: false)
        let key = "\(schema) enqueue \(runID)"
        guard try connection.query("SELECT pg_try_advisory_lock(hashtext($1))", [key]).first?[0] == "t" else { return nil }
        if try connection.query("SELECT enqueued FROM run WHERE id = $1", [String(runID)]).first?[0] == "t" { return nil }
        return Enqueuer(connection: connection, runID: runID)
    }

    /// Streams a run's items into the queue; rows already there (an enqueuer before it died) stay as they are.
    final class Enqueuer: @unchecked Sendable {
        let connection: PostgresConnection
        let runID: Int64

        init(connection: PostgresConnection, runID: Int64) {
            self.connection = connection
            self.runID = runID
        }

        func add(_ rows: [(source: String, row: Int, key: String)]) async throws {
            guard !rows.isEmpty else { return }
            let parameters = [String(runID), Self.array(rows.map(\.source)), Self.array(rows.map { String($0.row) }), Self.array(rows.map(\.key))]
            try await connection.perform { c in
                try c.query("""
                    INSERT INTO work (run_id, source, row_number, key)
                    SELECT $1, s, r, k FROM unnest($2::text[], $3::int[], $4::text[]) AS u(s, r, k) ORDER BY r
                    ON CONFLICT DO NOTHING
                    """, parameters)
            }
        }

        /// Every item is queued: workers that find the queue empty may now stop.
        func finish() async throws {
            let run = String(runID)
            try await connection.perform { c in
                try c.query("UPDATE run SET enqueued = true WHERE id = $1", [run])
            }
        }

        /// A PostgreSQL array literal of texts.
        static func array(_ values: [String]) -> String {
            "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",") + "}"
        }
    }
}
