import GRDB

/// The ledger's tables, as migrations from the first version on: a later version adds a
/// migration and never edits one that has shipped.
enum LedgerSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(first) { db in
            try db.execute(sql: """
                CREATE TABLE run (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    started_at DOUBLE NOT NULL,
                    ended_at DOUBLE,
                    pipeline_sha256 TEXT NOT NULL,
                    exit_code INTEGER,
                    stop_reason TEXT,
                    cost_usd DOUBLE NOT NULL DEFAULT 0
                );
                CREATE TABLE run_stage (
                    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    stage TEXT NOT NULL,
                    expected INTEGER NOT NULL,
                    succeeded INTEGER NOT NULL,
                    failed INTEGER NOT NULL,
                    skipped INTEGER NOT NULL,
                    cached INTEGER NOT NULL,
                    cost_usd DOUBLE NOT NULL,
                    PRIMARY KEY (run_id, stage)
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
                    bytes INTEGER,
                    width INTEGER,
                    height INTEGER,
                    url TEXT,
                    response TEXT,
                    prompt TEXT,
                    model TEXT,
                    provider TEXT,
                    cost_usd DOUBLE,
                    latency_ms INTEGER,
                    finished_at DOUBLE NOT NULL,
                    run_id INTEGER NOT NULL,
                    PRIMARY KEY (stage, item, fingerprint)
                );
                CREATE INDEX item_latest ON item(stage, item, finished_at);
                CREATE INDEX item_key ON item(key);
                CREATE TABLE lock (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    pid INTEGER NOT NULL,
                    host TEXT NOT NULL,
                    started_at DOUBLE NOT NULL
                );
                """)
        }
        migrator.registerMigration(manifestLines) { db in
            // The manifest line of each (stage, item) as it ended, so that manifest.jsonl can be
            // the whole current state after a partial run.
            try db.execute(sql: "ALTER TABLE item ADD COLUMN line TEXT")
        }
        migrator.registerMigration(owner) { db in
            // The pipeline file a default-placed ledger belongs to: two files with one `name:`
            // must not mix their records.
            try db.execute(sql: "CREATE TABLE owner (id INTEGER PRIMARY KEY CHECK (id = 1), pipeline_file TEXT NOT NULL)")
        }
        migrator.registerMigration(providerTraffic) { db in
            // Each run's answers per provider: how many were 429 and the pace it settled at.
            try db.execute(sql: """
                CREATE TABLE run_provider (
                    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    provider TEXT NOT NULL,
                    answered INTEGER NOT NULL,
                    throttled INTEGER NOT NULL,
                    pace DOUBLE,
                    learned_from TEXT,
                    adaptive INTEGER NOT NULL,
                    PRIMARY KEY (run_id, provider)
                );
                """)
        }
        migrator.registerMigration(remoteJobs) { db in
            // Jobs a queued provider accepted and that have not ended: written before the run
            // waits on them, so that a later run re-attaches instead of paying for a new submit.
            try db.execute(sql: """
                CREATE TABLE remote_job (
                    stage TEXT NOT NULL,
                    item TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    key TEXT NOT NULL,
                    provider TEXT NOT NULL,
                    job TEXT NOT NULL,
                    submitted_at DOUBLE NOT NULL,
                    run_id INTEGER NOT NULL,
                    PRIMARY KEY (stage, item, fingerprint)
                );
                """)
        }
        migrator.registerMigration(remoteBatches) { db in
            // Batches sent to a provider's batch API: the intent (a chunk id and its items) is
            // written before the batch is created, its id once it is, so that a crash in between
            // never makes a second batch for the same items.
            try db.execute(sql: """
                CREATE TABLE remote_batch (
                    chunk TEXT PRIMARY KEY,
                    provider TEXT NOT NULL,
                    stage TEXT NOT NULL,
                    batch_id TEXT,
                    created_at DOUBLE NOT NULL,
                    run_id INTEGER NOT NULL
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
                """)
        }
        return migrator
    }

    static let first = "v1: runs, items, lock"
    static let manifestLines = "v2: manifest lines"
    static let owner = "v3: owner"
    static let providerTraffic = "v4: provider traffic"
    static let remoteJobs = "v5: remote jobs"
    static let remoteBatches = "v6: remote batches"
}
