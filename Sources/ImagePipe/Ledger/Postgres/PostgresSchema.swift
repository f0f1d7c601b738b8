/// The shared ledger's tables, in the pipeline's own PostgreSQL schema, as migrations: a later
/// version adds one and never edits one that has shipped. The tables mirror the SQLite ledger's,
/// plus what workers share: the work queue, the workers, the budget and the providers' pace.
enum PostgresSchema {
    static let migrations: [(name: String, sql: String)] = [
        ("v1: runs, items, jobs, batches, workers, work", """
            CREATE TABLE run (
                id BIGSERIAL PRIMARY KEY,
                started_at DOUBLE PRECISION NOT NULL,
                ended_at DOUBLE PRECISION,
                pipeline_sha256 TEXT NOT NULL,
                exit_code INTEGER,
                stop_reason TEXT,
                cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
                -- Every selected item is in the work queue.
                enqueued BOOLEAN NOT NULL DEFAULT false,
                -- The budget across workers: spent (held by calls in flight: worker.budget_reserved).
                budget_spent DOUBLE PRECISION NOT NULL DEFAULT 0,
                budget_reached BOOLEAN NOT NULL DEFAULT false
            );
            CREATE TABLE run_stage (
                run_id BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                stage TEXT NOT NULL,
                expected INTEGER NOT NULL,
                succeeded INTEGER NOT NULL,
                failed INTEGER NOT NULL,
                skipped INTEGER NOT NULL,
                cached INTEGER NOT NULL,
                cost_usd DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (run_id, stage)
            );
            CREATE TABLE run_provider (
                run_id BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                provider TEXT NOT NULL,
                answered INTEGER NOT NULL,
                throttled INTEGER NOT NULL,
                pace DOUBLE PRECISION,
                learned_from TEXT,
                adaptive BOOLEAN NOT NULL,
                PRIMARY KEY (run_id, provider)
            );
            CREATE TABLE item (
                stage TEXT NOT NULL,
                item TEXT NOT NULL,
                key TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                status TEXT NOT NULL,
                failure_class TEXT,
                message TEXT,
                attempts INTEGER NOT NULL,
                path TEXT,
                sha256 TEXT,
                bytes BIGINT,
                width INTEGER,
                height INTEGER,
                url TEXT,
                response TEXT,
                prompt TEXT,
                model TEXT,
                provider TEXT,
                cost_usd DOUBLE PRECISION,
                latency_ms BIGINT,
                finished_at DOUBLE PRECISION NOT NULL,
                line TEXT,
                run_id BIGINT NOT NULL,
                PRIMARY KEY (stage, item, fingerprint)
            );
            CREATE INDEX item_latest ON item(stage, item, finished_at);
            CREATE INDEX item_key ON item(key);
            CREATE TABLE remote_job (
                stage TEXT NOT NULL,
                item TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                key TEXT NOT NULL,
                provider TEXT NOT NULL,
                job TEXT NOT NULL,
                submitted_at DOUBLE PRECISION NOT NULL,
                run_id BIGINT NOT NULL,
                PRIMARY KEY (stage, item, fingerprint)
            );
            CREATE TABLE remote_batch (
                chunk TEXT PRIMARY KEY,
                provider TEXT NOT NULL,
                stage TEXT NOT NULL,
                batch_id TEXT,
                created_at DOUBLE PRECISION NOT NULL,
                run_id BIGINT NOT NULL
            );
            CREATE TABLE remote_batch_item (
                stage TEXT NOT NULL,
                item TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                key TEXT NOT NULL,
                chunk TEXT NOT NULL,
                custom_id TEXT NOT NULL,
                PRIMARY KEY (stage, item, fingerprint)
            );
            CREATE INDEX remote_batch_item_chunk ON remote_batch_item(chunk);
            CREATE TABLE worker (
                id BIGSERIAL PRIMARY KEY,
                run_id BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                host TEXT NOT NULL,
                pid INTEGER NOT NULL,
                started_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
                heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
                -- Its own lease: past this, it is gone (its items and slots go to others).
                lease_seconds DOUBLE PRECISION NOT NULL,
                alive_until TIMESTAMPTZ NOT NULL,
                -- The budget its calls in flight hold.
                budget_reserved DOUBLE PRECISION NOT NULL DEFAULT 0,
                ended_at TIMESTAMPTZ
            );
            CREATE TABLE work (
                seq BIGSERIAL UNIQUE,
                run_id BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                source TEXT NOT NULL,
                row_number INTEGER NOT NULL,
                key TEXT NOT NULL,
                -- The stage the claim runs: '' for the source's root stages, else one queued when its input was done.
                stage TEXT NOT NULL DEFAULT '',
                state TEXT NOT NULL DEFAULT 'ready',
                worker_id BIGINT,
                leased_at TIMESTAMPTZ,
                lease_until TIMESTAMPTZ,
                claims INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (run_id, source, row_number, stage)
            );
            CREATE INDEX work_open ON work(run_id, state, seq);
            CREATE INDEX work_worker ON work(worker_id) WHERE state = 'leased';
            CREATE INDEX work_later ON work(run_id, seq) WHERE state = 'ready' AND stage <> '';
            CREATE INDEX work_lease ON work(run_id, lease_until) WHERE state = 'leased';
            -- A provider's rate across workers: the next moment a request may start.
            CREATE TABLE provider_pace (
                provider TEXT PRIMARY KEY,
                next_at TIMESTAMPTZ NOT NULL
            );
            -- A provider's concurrency across workers: one row per slot, held by a worker.
            CREATE TABLE provider_slot (
                provider TEXT NOT NULL,
                slot INTEGER NOT NULL,
                worker_id BIGINT,
                PRIMARY KEY (provider, slot)
            );
            """),
    ]

    /// Applies what is missing, one worker at a time (a transaction-scoped advisory lock).
    static func migrate(_ connection: PostgresConnection) throws {
        try connection.transaction { t in
            try t.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ' migrate'))")
            try t.query("CREATE TABLE IF NOT EXISTS migration (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
            let applied = Set(try t.query("SELECT name FROM migration").compactMap { $0[0] })
            for migration in migrations where !applied.contains(migration.name) {
                try t.execute(migration.sql)
                try t.query("INSERT INTO migration (name) VALUES ($1)", [migration.name])
            }
        }
    }

    static var latest: String { migrations.last!.name }

    /// The pipeline's schema: `imagepipe_` and its name, in the characters SQL names keep unquoted.
    static func name(for pipeline: String) -> String {
        let kept = pipeline.lowercased().unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII ? Character($0) : "_" }
        return String(("imagepipe_" + String(kept)).prefix(63))
    }
}

import Foundation
