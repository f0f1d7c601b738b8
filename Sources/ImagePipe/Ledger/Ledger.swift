import Foundation
import GRDB

/// The run ledger: SQLite in WAL mode, one row per (stage, item, fingerprint), one per run. It
/// is what makes a re-run skip finished work, and what `imagepipe status` reads.
public final class Ledger: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let path: String
    let pool: DatabasePool

    /// Opens (creating, and migrating to the current schema) the ledger at `path`; read-only
    /// opens an existing one as it is, writing nothing.
    public init(path: String, readOnly: Bool = false) throws(Failure) {
        self.path = path
        do {
            var configuration = Configuration()
            if readOnly {
                configuration.readonly = true
                pool = try DatabasePool(path: path, configuration: configuration)
                // Later migrations only add what runs write; reading needs the first.
                let known = try pool.read { db in try LedgerSchema.migrator.appliedMigrations(db).contains(LedgerSchema.first) }
                guard known else { throw Failure(description: "the ledger \(path) is from another version of imagepipe; run once to update it") }
                return
            }
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            configuration.busyMode = .timeout(10)
            configuration.prepareDatabase { db in
                // WAL with NORMAL sync: a commit survives a crash of the process (kill -9); only
                // a power cut can lose the last commits, never corrupt the file.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            try LedgerSchema.migrator.migrate(pool)
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "cannot open the ledger \(path): \(error)")
        }
    }

    /// Opens an existing ledger read-only (for `plan` and `status`); nil when there is none.
    public static func existing(path: String) throws(Failure) -> Ledger? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try Ledger(path: path, readOnly: true)
    }

    /// The default place: `.imagepipe/NAME.sqlite` beside the pipeline file, or `state:`.
    /// `path` as a user would type it from where they ran imagepipe.
    public static func displayPath(_ path: String, for pipeline: CompiledPipeline) -> String {
        if LedgerStores.isShared(path) { return PostgresConnection.withoutPassword(path) }
        let folder = pipeline.files.directory
        let relative = path.hasPrefix(folder + "/") ? String(path.dropFirst(folder.count + 1)) : path
        return RelativePath.join(pipeline.files.displayDirectory, relative)
    }

    public static func defaultPath(for pipeline: CompiledPipeline) -> String {
        if let state = pipeline.spec.state { return LedgerStores.isShared(state) ? state : pipeline.files.resolve(state) }
        return pipeline.files.resolve(".imagepipe/\(pipeline.spec.name).sqlite")
    }

    // MARK: - The run lock

    /// Takes the ledger's run lock, or says who holds it. A lock left by a process that is gone
    /// (killed) is taken over.
    public func lock() throws(Failure) {
        let pid = Int(getpid())
        let host = ProcessInfo.processInfo.hostName
        let holder: (pid: Int, host: String, since: Double)?
        do {
            holder = try pool.write { db -> (Int, String, Double)? in
                if let row = try Row.fetchOne(db, sql: "SELECT pid, host, started_at FROM lock WHERE id = 1") {
                    let other: (Int, String, Double) = (row[0], row[1], row[2])
                    let alive = other.1 == host && (kill(pid_t(other.0), 0) == 0 || errno == EPERM) && other.0 != pid
                    if alive { return other }
                }
                try db.execute(sql: "INSERT OR REPLACE INTO lock (id, pid, host, started_at) VALUES (1, ?, ?, ?)",
                               arguments: [pid, host, Date().timeIntervalSince1970])
                return nil
            }
        } catch {
            throw Failure(description: "cannot lock the ledger \(path): \(error)")
        }
        if let holder {
            let since = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: holder.since))
            throw Failure(description: "another run of this pipeline is in progress (process \(holder.pid) on \(holder.host), since \(since)); wait for it to finish, or stop it, before running again")
        }
    }

    public func unlock() {
        _ = try? pool.write { db in try db.execute(sql: "DELETE FROM lock WHERE id = 1 AND pid = ?", arguments: [Int(getpid())]) }
    }

    // MARK: - Runs

    public func beginRun(pipelineSHA256: String) throws(Failure) -> Int64 {
        do {
            return try pool.write { db in
                try db.execute(sql: "INSERT INTO run (started_at, pipeline_sha256) VALUES (?, ?)", arguments: [Date().timeIntervalSince1970, pipelineSHA256])
                return db.lastInsertedRowID
            }
        } catch {
            throw Failure(description: "cannot write to the ledger \(path): \(error)")
        }
    }

    public struct StageTotals: Sendable {
        public var stage: String
        public var expected: Int
        public var succeeded: Int
        public var failed: Int
        public var skipped: Int
        public var cached: Int
        public var costUSD: Double
    }

    public func endRun(_ id: Int64, exitCode: Int32, stopReason: String?, costUSD: Double, stages: [StageTotals], providers: [ProviderTraffic] = []) {
        _ = try? pool.write { db in
            try db.execute(sql: "UPDATE run SET ended_at = ?, exit_code = ?, stop_reason = ?, cost_usd = ? WHERE id = ?",
                           arguments: [Date().timeIntervalSince1970, Int(exitCode), stopReason, costUSD, id])
            for s in stages {
                try db.execute(sql: "INSERT OR REPLACE INTO run_stage (run_id, stage, expected, succeeded, failed, skipped, cached, cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                               arguments: [id, s.stage, s.expected, s.succeeded, s.failed, s.skipped, s.cached, s.costUSD])
            }
            for p in providers {
                try db.execute(sql: "INSERT OR REPLACE INTO run_provider (run_id, provider, answered, throttled, pace, learned_from, adaptive) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               arguments: [id, p.provider, p.answered, p.throttled, p.pace, p.learnedFrom, p.adaptive])
            }
        }
    }

    // MARK: - Items

    /// Writes a batch of entries and job changes in one transaction, in order. A success ends
    /// the item's job: a later run has nothing to re-attach to.
    package func write(_ writes: [LedgerWrite], runID: Int64) throws {
        try pool.write { db in
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO item (\(LedgerEntry.columns), run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            let submitted = try db.cachedStatement(sql: "INSERT OR REPLACE INTO remote_job (stage, item, fingerprint, key, provider, job, submitted_at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            let ended = try db.cachedStatement(sql: "DELETE FROM remote_job WHERE stage = ? AND item = ? AND fingerprint = ?")
            let batchItemEnded = try db.cachedStatement(sql: "DELETE FROM remote_batch_item WHERE stage = ? AND item = ? AND fingerprint = ?")
            for write in writes {
                switch write {
                case .entry(let entry):
                    try statement.execute(arguments: entry.arguments(runID: runID))
                    if entry.status == "succeeded" {
                        try ended.execute(arguments: [entry.stage, entry.item, entry.fingerprint])
                        try batchItemEnded.execute(arguments: [entry.stage, entry.item, entry.fingerprint])
                    }
                case .jobSubmitted(let job):
                    try submitted.execute(arguments: [job.stage, job.item, job.fingerprint, job.key, job.provider, job.job.json, Date().timeIntervalSince1970, runID])
                case .jobEnded(let stage, let item, let fingerprint):
                    try ended.execute(arguments: [stage, item, fingerprint])
                case .batchIntent(let chunk, let provider, let stage, let items):
                    try db.execute(sql: "INSERT OR REPLACE INTO remote_batch (chunk, provider, stage, created_at, run_id) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [chunk, provider, stage, Date().timeIntervalSince1970, runID])
                    let item = try db.cachedStatement(sql: "INSERT OR REPLACE INTO remote_batch_item (stage, item, fingerprint, key, chunk, custom_id) VALUES (?, ?, ?, ?, ?, ?)")
                    try items.forEach { i in try item.execute(arguments: [i.stage, i.item, i.fingerprint, i.key, chunk, i.customID]) }
                case .batchCreated(let chunk, let batchID):
                    try db.execute(sql: "UPDATE remote_batch SET batch_id = ? WHERE chunk = ?", arguments: [batchID, chunk])
                case .batchItemEnded(let stage, let item, let fingerprint):
                    try batchItemEnded.execute(arguments: [stage, item, fingerprint])
                case .batchAbandoned(let chunk):
                    try db.execute(sql: "DELETE FROM remote_batch_item WHERE chunk = ?", arguments: [chunk])
                    try db.execute(sql: "DELETE FROM remote_batch WHERE chunk = ?", arguments: [chunk])
                case .workDone, .workQueued:
                    // One process has no shared queue.
                    break
                }
            }
        }
    }

    /// Every success, for the cache check of a run or a plan, and every request refused for content.
    public func successes() throws(Failure) -> LedgerSnapshot {
        do {
            return try pool.read { db in
                var snapshot = LedgerSnapshot()
                // One pass: the successes, and the requests the provider refused (not to be sent again unchanged).
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT stage, item, fingerprint, path, sha256, bytes, width, height, attempts, cost_usd, url, response, status FROM item
                    WHERE status = 'succeeded' OR (status = 'failed' AND failure_class = 'content_policy')
                    """)
                while let row = try rows.next() {
                    guard row[12] as String == "succeeded" else {
                        snapshot.addBlocked(stage: row[0], item: row[1], fingerprint: row[2])
                        continue
                    }
                    snapshot.add(stage: row[0], item: row[1], fingerprint: row[2], RecordedSuccess(
                        path: row[3], sha256: row[4], bytes: row[5], width: row[6], height: row[7], attempts: row[8], costUSD: row[9],
                        url: row[10], response: row[11]))
                }
                if try db.tableExists("remote_batch_item") {
                    let items = try Row.fetchCursor(db, sql: """
                        SELECT i.stage, i.item, i.fingerprint, i.chunk, i.custom_id, b.batch_id FROM remote_batch_item i
                        JOIN remote_batch b ON b.chunk = i.chunk
                        """)
                    while let row = try items.next() {
                        snapshot.addBatchItem(stage: row[0], item: row[1], fingerprint: row[2], BatchPlace(chunk: row[3], customID: row[4], batchID: row[5]))
                    }
                }
                if try db.tableExists("remote_job") {
                    let jobs = try Row.fetchCursor(db, sql: "SELECT stage, item, fingerprint, job FROM remote_job")
                    while let row = try jobs.next() {
                        guard let job = RemoteJob(json: row[3]) else { continue }
                        snapshot.addJob(stage: row[0], item: row[1], fingerprint: row[2], job)
                    }
                }
                return snapshot
            }
        } catch {
            throw Failure(description: "cannot read the ledger \(path): \(error)")
        }
    }

    /// The keys of source items whose latest attempt at some stage did not succeed, for
    /// `--retry-failed`.
    public func unfinishedKeys() throws(Failure) -> Set<String> {
        do {
            return try pool.read { db in
                var out = Set<String>()
                // SQLite takes the bare columns from the row holding MAX(finished_at).
                let rows = try Row.fetchCursor(db, sql: "SELECT key, status, MAX(finished_at) FROM item GROUP BY stage, item")
                while let row = try rows.next() {
                    let status: String = row[1]
                    if status != "succeeded" { out.insert(row[0]) }
                }
                return out
            }
        } catch {
            throw Failure(description: "cannot read the ledger \(path): \(error)")
        }
    }
}

extension Ledger {
    /// SQLite's words for a disk that cannot take more: a full disk, a read-only file, I/O errors.
    static func localFault(_ error: Error, place: String) -> LocalFault? {
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_FULL: return LocalFault(kind: .full, place: place, reason: "database or disk is full")
        case .SQLITE_READONLY: return LocalFault(kind: .readOnly, place: place, reason: "attempt to write a readonly database")
        case .SQLITE_IOERR: return LocalFault(kind: .io, place: place, reason: "disk I/O error")
        case .SQLITE_PERM, .SQLITE_CANTOPEN: return LocalFault(kind: .denied, place: place, reason: "cannot open the file for writing")
        default: return nil
        }
    }
}
