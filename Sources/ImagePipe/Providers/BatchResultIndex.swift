import Foundation
import GRDB

/// Where each request's entry lies in an ended batch's result files, by its id, kept on disk: a
/// batch answers up to 50,000 requests, and a run holds none of their places in memory while its
/// units are woken one by one. A scratch SQLite file beside the downloaded results, removed with them.
final class BatchResultIndex: @unchecked Sendable {
    typealias Place = IndexedBatchResults.Place

    let path: String
    private let queue: DatabaseQueue

    init(directory: String) throws(CallFailure) {
        path = directory + "/results-" + UUID().uuidString.lowercased() + ".sqlite"
        do {
            queue = try ScratchDatabase.open(at: path)
            try queue.write { db in
                try db.execute(sql: "CREATE TABLE place (id TEXT PRIMARY KEY, file TEXT NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL)")
            }
        } catch {
            throw Self.failure(error, directory: directory)
        }
    }

    /// A fault of this machine, whether SQLite's (a full disk) or a result file's that cannot be
    /// read: taken for a passing failure, the results were downloaded again and again, for ever.
    private static func failure(_ error: Error, directory: String) -> CallFailure {
        var failure = CallFailure(.local_error, "cannot index a batch's results in \(directory): \(error)")
        failure.localFault = Ledger.localFault(error, place: directory)
            ?? LocalFault.posixCode(of: error).flatMap { LocalFault(errno: $0, place: directory) }
            ?? (error is DatabaseError ? nil : LocalFault(kind: .io, place: directory, reason: "\(error)"))
        return failure
    }

    /// Adds the places `fill` hands over, in one transaction. Fails whole when one cannot be
    /// written (a full disk) or `fill` fails (a result file that cannot be read): a missing place
    /// would read as a request the batch never answered.
    func fill(_ fill: (_ add: (String, Place) -> Void) throws -> Void) throws(CallFailure) {
        do {
            try queue.write { db in
                let insert = try db.makeStatement(sql: "INSERT OR REPLACE INTO place (id, file, offset, length) VALUES (?, ?, ?, ?)")
                var failed: Error?
                try fill { id, place in
                    guard failed == nil else { return }
                    do { try insert.execute(arguments: [id, place.file, Int64(place.offset), place.length]) } catch { failed = error }
                }
                if let failed { throw failed }
            }
        } catch {
            throw Self.failure(error, directory: (path as NSString).deletingLastPathComponent)
        }
    }

    /// Nil when the batch has no line for `id`; throws when the index cannot be read.
    func place(of id: String) throws -> Place? {
        // Without a transaction: one indexed look-up, on a file only this run writes.
        try queue.inDatabase { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT file, offset, length FROM place WHERE id = ?"), arguments: [id]).map {
                Place(file: $0[0], offset: UInt64($0[1] as Int64), length: $0[2])
            }
        }
    }

    var isEmpty: Bool { ((try? queue.read { db in try Int.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM place)") }) ?? 0) == 0 }

    func discard() {
        try? queue.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}
