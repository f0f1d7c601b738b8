import Foundation

/// The limits that hold for the sum of every worker of a run, kept in PostgreSQL: the budget
/// (spent and reserved by calls in flight, in the run's row) and each provider's rate (the next
/// moment a request may start, in `provider_pace`: each request takes the next slot, so requests
/// are spaced by 1/rate across all workers, by the database's clock).
final class SharedLimits: @unchecked Sendable {
    private let connection: PostgresConnection
    private let runID: String

    private let workerID: String
    private let lease: String

    init(url: String, schema: String, runID: Int64, workerID: Int64, lease: Double) throws {
        connection = try PostgresConnection(url: url, schema: schema, creating: false)
        self.runID = String(runID)
        self.workerID = String(workerID)
        self.lease = String(lease)
    }

    /// A provider's `concurrency` across workers: `total` slot rows, each held by one worker. This
    /// worker takes its fair share (the total over the live workers, at most what its stages can
    /// use) from the free slots and those of workers that are gone, and gives back what it holds
    /// over its share and does not use. Returns the slots it holds: its local cap, never more.
    func rebalance(provider: String, total: Int, usable: Int, inUse: Int) throws -> Int {
        try connection.transaction { t in
            try t.query("INSERT INTO provider_slot (provider, slot) SELECT $1, g FROM generate_series(1, $2::int) g ON CONFLICT DO NOTHING", [provider, String(total)])
            let live = max(1, Int(try t.query("""
                SELECT count(*) FROM worker WHERE run_id = $1 AND ended_at IS NULL AND heartbeat_at > clock_timestamp() - $2 * interval '1 second'
                """, [runID, lease]).first?[0] ?? "1") ?? 1)
            let fair = min(usable, (total + live - 1) / live)
            let owned = Int(try t.query("SELECT count(*) FROM provider_slot WHERE provider = $1 AND slot <= $2::int AND worker_id = $3",
                                        [provider, String(total), workerID]).first?[0] ?? "0") ?? 0
            if owned < fair {
                let taken = try t.query("""
                    UPDATE provider_slot SET worker_id = $3 WHERE (provider, slot) IN (
                      SELECT provider, slot FROM provider_slot s WHERE provider = $1 AND slot <= $2::int AND (s.worker_id IS NULL OR NOT EXISTS (
                        SELECT 1 FROM worker w WHERE w.id = s.worker_id AND w.ended_at IS NULL AND w.heartbeat_at > clock_timestamp() - $4 * interval '1 second'))
                      ORDER BY slot LIMIT $5 FOR UPDATE SKIP LOCKED)
                    RETURNING slot
                    """, [provider, String(total), workerID, lease, String(fair - owned)])
                return owned + taken.count
            }
            let keep = max(fair, inUse)
            if owned > keep {
                try t.query("""
                    UPDATE provider_slot SET worker_id = NULL WHERE (provider, slot) IN (
                      SELECT provider, slot FROM provider_slot WHERE provider = $1 AND worker_id = $2 ORDER BY slot DESC LIMIT $3)
                    """, [provider, workerID, String(owned - keep)])
            }
            return min(owned, keep)
        }
    }

    enum Reservation {
        case reserved
        /// Others hold reservations that may come back.
        case wait
        case refused
    }

    /// Reserves `usd` of `limit` across the run's workers; when it cannot fit and nothing is held,
    /// marks the budget reached so that every worker stops.
    func reserve(_ usd: Double, limit: Double) throws -> Reservation {
        let reserved = try connection.query("""
            UPDATE run SET budget_reserved = budget_reserved + $2
            WHERE id = $1 AND NOT budget_reached AND budget_spent + budget_reserved + $2 <= $3 + 1e-9 RETURNING 1
            """, [runID, String(usd), String(limit)])
        if !reserved.isEmpty { return .reserved }
        let held = try connection.query("SELECT budget_reserved > 1e-9 AND NOT budget_reached FROM run WHERE id = $1", [runID])
        if held.first?[0] == "t" { return .wait }
        try connection.query("UPDATE run SET budget_reached = true WHERE id = $1", [runID])
        return .refused
    }

    func settle(_ usd: Double, spent: Bool) throws {
        try connection.query("""
            UPDATE run SET budget_reserved = GREATEST(0, budget_reserved - $2), budget_spent = budget_spent + CASE WHEN $3 THEN $2::double precision ELSE 0 END
            WHERE id = $1
            """, [runID, String(usd), spent ? "true" : "false"])
    }

    /// Takes the provider's next start slot at `rate` per second; returns the seconds to wait for it.
    func nextStart(provider: String, rate: Double) async throws -> Double {
        let interval = String(1 / rate)
        return try await connection.perform { c in
            let row = try c.query("""
                INSERT INTO provider_pace (provider, next_at) VALUES ($1, clock_timestamp() + $2 * interval '1 second')
                ON CONFLICT (provider) DO UPDATE SET next_at = GREATEST(provider_pace.next_at, clock_timestamp()) + $2 * interval '1 second'
                RETURNING EXTRACT(EPOCH FROM (next_at - clock_timestamp()))
                """, [provider, interval])
            return max(0, (Double(row.first?[0] ?? "0") ?? 0) - (1 / rate))
        }
    }
}
