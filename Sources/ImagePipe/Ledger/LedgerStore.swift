import Foundation

/// What a run, `plan` and `status` ask of a ledger, wherever it lives: a SQLite file for one
/// process (`Ledger`), or PostgreSQL shared by many workers (`PostgresLedger`).
package protocol LedgerStore: AnyObject, Sendable {
    /// Where it is, as messages show it (a URL without its password).
    var path: String { get }
    /// Takes the run lock (one run at a time) or says who holds it; a shared ledger admits workers instead.
    func lock() throws(Ledger.Failure)
    func unlock()
    /// Records the pipeline file that owns the ledger, or returns the other one that does.
    func claim(for pipelineFile: String) throws(Ledger.Failure) -> String?
    func owner() -> String?
    func beginRun(pipelineSHA256: String) throws(Ledger.Failure) -> Int64
    func endRun(_ id: Int64, exitCode: Int32, stopReason: String?, costUSD: Double, stages: [Ledger.StageTotals], providers: [ProviderTraffic])
    func successes() throws(Ledger.Failure) -> LedgerSnapshot
    func unfinishedKeys() throws(Ledger.Failure) -> Set<String>
    func writeCurrentManifest(to path: String, stageOrder: [String]) throws(Ledger.Failure)
    func status(stageOrder: [String]) throws(Ledger.Failure) -> LedgerStatus
    /// Commits entries and job changes in one transaction, in order.
    func write(_ writes: [LedgerWrite], runID: Int64) throws
    /// The disk's fault behind a failed write, if it was one.
    func localFault(_ error: Error) -> LocalFault?
    /// Set when several processes share the ledger's work: how a run claims its items.
    var workers: WorkQueue? { get }
}

extension Ledger: LedgerStore {
    package var workers: WorkQueue? { nil }
    package func localFault(_ error: Error) -> LocalFault? { Self.localFault(error, place: path) }
}

/// Opens the ledger a `state:` names: a PostgreSQL URL, or a SQLite file's path.
public enum LedgerStores {
    public static func isShared(_ state: String) -> Bool {
        state.hasPrefix("postgres://") || state.hasPrefix("postgresql://")
    }

    /// What a shared ledger's connection holds that no log may show: the URL's password and PGPASSWORD.
    package static func secrets(of state: String, environment: [String: String]) -> [String] {
        guard isShared(state) else { return [] }
        var found = PostgresConnection.passwords(in: state)
        if let password = environment["PGPASSWORD"], !password.isEmpty { found.append(password) }
        return found
    }

    /// The ledger to run with, created (and migrated) when it is not there.
    package static func open(_ state: String, pipeline: String) throws(Ledger.Failure) -> any LedgerStore {
        if isShared(state) { return try PostgresLedger(url: state, pipeline: pipeline) }
        return try Ledger(path: state)
    }

    /// An existing ledger, read-only where that means something, for `plan` and `status`; nil when there is none.
    package static func existing(_ state: String, pipeline: String) throws(Ledger.Failure) -> (any LedgerStore)? {
        if isShared(state) {
            let ledger = try PostgresLedger(url: state, pipeline: pipeline, creating: false)
            return ledger.isEmpty ? nil : ledger
        }
        return try Ledger.existing(path: state)
    }
}
