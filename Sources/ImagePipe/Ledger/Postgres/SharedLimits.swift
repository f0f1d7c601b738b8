import Foundation

/// The limits that hold for the sum of every worker of a run, kept in PostgreSQL: the budget
/// (spent in the run's row, held by each worker's calls in flight in its own row), each provider's
/// concurrency (slot rows held by workers) and each provider's rate (the next
/// moment a request may start, in `provider_pace`: each request takes the next slot, so requests
/// are spaced by 1/rate across all workers, by the database's clock).
final class SharedLimits: @unchecked Sendable {
    private let connection: PostgresConnection
    private let runID: String

    private let workerID: String

    init(url: String, schema: String, runID: Int64, workerID: Int64) throws {
        connection = try PostgresConnection(url: url, schema: schema, creating: false)
        self.runID = String(runID)
        self.workerID = String(workerID)
    }

    /// A provider's `concurrency` across workers: `total` slot rows, each held by one worker. This
    /// worker's fair share is the total over the live workers, at most what its stages can use. It
    /// takes what it lacks from the free slots and those of workers that are gone; over its share,
    /// it first caps itself (`shrink`, which returns the calls still in flight) and gives back the
    /// slots no call of its uses. Returns its new cap: never more than the slots it holds.
    func rebalance(provider: String, total: Int, usable: Int, shrink: (Int) -> Int) throws -> Int {
        try connection.transaction { t in
            try t.query("INSERT INTO provider_slot (provider, slot) SELECT $1, g FROM generate_series(1, $2::int) g ON CONFLICT DO NOTHING", [provider, String(total)])
            let live = max(1, Int(try t.query("SELECT count(*) FROM worker WHERE run_id = $1 AND ended_at IS NULL AND alive_until > clock_timestamp()",
                                              [runID]).first?[0] ?? "1") ?? 1)
            let fair = min(usable, (total + live - 1) / live)
            let owned = Int(try t.query("SELECT count(*) FROM provider_slot WHERE provider = $1 AND slot <= $2::int AND worker_id = $3",
                                        [provider, String(total), workerID]).first?[0] ?? "0") ?? 0
            if owned < fair {
                let taken = try t.query("""
                    UPDATE provider_slot SET worker_id = $3 WHERE (provider, slot) IN (
                      SELECT provider, slot FROM provider_slot s WHERE provider = $1 AND slot <= $2::int AND (s.worker_id IS NULL OR NOT EXISTS (
                        SELECT 1 FROM worker w WHERE w.id = s.worker_id AND w.ended_at IS NULL AND w.alive_until > clock_timestamp()))
                      ORDER BY slot LIMIT $4 FOR UPDATE SKIP LOCKED)
                    RETURNING slot
                    """, [provider, String(total), workerID, String(fair - owned)])
                return owned + taken.count
            }
            if owned > fair {
                // Capped first: no call starts here on a slot about to be given back.
                let inUse = shrink(fair)
                let keep = max(fair, inUse)
                if owned > keep {
                    try t.query("""
                        UPDATE provider_slot SET worker_id = NULL WHERE (provider, slot) IN (
                          SELECT provider, slot FROM provider_slot WHERE provider = $1 AND worker_id = $2 ORDER BY slot DESC LIMIT $3)
                        """, [provider, workerID, String(owned - keep)])
                }
                return fair
            }
            return owned
        }
    }

    enum Reservation {
        case reserved
        /// Live workers hold reservations that may come back.
        case wait
        case refused
    }

    /// Reserves `usd` of `limit` across the run's workers, as this worker's hold. What a worker that
    /// is gone held counts as spent (its calls may have been billed): never passed, never waited on.
    /// When it cannot fit and no live worker holds any, marks the budget reached: every worker stops.
    func reserve(_ usd: Double, limit: Double) throws -> Reservation {
        try connection.transaction { t in
            // The run's row is the lock: two workers never both fit in the same last dollars.
            try t.query("SELECT 1 FROM run WHERE id = $1 FOR UPDATE", [runID])
            let locked = try t.query("""
                SELECT r.budget_reached, r.budget_spent + COALESCE((SELECT sum(budget_reserved) FROM worker WHERE run_id = r.id), 0),
                       COALESCE((SELECT sum(budget_reserved) FROM worker WHERE run_id = r.id AND ended_at IS NULL AND alive_until > clock_timestamp()), 0)
                FROM run r WHERE r.id = $1
                """, [runID]).first
            guard let locked, locked[0] != "t" else { return .refused }
            let committed = Double(locked[1] ?? "0") ?? 0, heldByLive = Double(locked[2] ?? "0") ?? 0
            if committed + usd <= limit + 1e-9 {
                try t.query("UPDATE worker SET budget_reserved = budget_reserved + $2 WHERE id = $1", [workerID, String(usd)])
                return .reserved
            }
            if heldByLive > 1e-9 { return .wait }
            try t.query("UPDATE run SET budget_reached = true WHERE id = $1", [runID])
            return .refused
        }
    }

    func settle(_ usd: Double, spent: Bool) throws {
        try connection.transaction { t in
            // The run's row first, as `reserve` takes them.
            if spent { try t.query("UPDATE run SET budget_spent = budget_spent + $2 WHERE id = $1", [runID, String(usd)]) }
            try t.query("UPDATE worker SET budget_reserved = GREATEST(0, budget_reserved - $2) WHERE id = $1", [workerID, String(usd)])
        }
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
