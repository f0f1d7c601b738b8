import Foundation
import GRDB

/// Where each detached unit of a stage's batches is found by its item: a batch holds up to 50,000
/// lines and a run's batches all wait at once, so the run keeps none of their members in memory;
/// a unit made again from its source row finds its member's line in the batch's members file
/// through this index. A scratch SQLite file beside the batches' spools, removed with them:
/// nothing in it outlives the run (the ledger keeps what a later run needs).
final class BatchRoster: @unchecked Sendable {
    /// Where a member's line is: its number in the members file, and its byte range.
    struct Entry {
        var number: Int
        var offset: UInt64
        var length: Int
    }

    let path: String
    /// Instants in members files are seconds from here.
    let origin = ContinuousClock.now
    private let lock = NSLock()
    private var opened: DatabaseQueue?

    init(directory: String) {
        path = directory + "/roster.sqlite"
    }

    private func queue() throws -> DatabaseQueue {
        try lock.withLock {
            if let opened { return opened }
            let made = try ScratchDatabase.open(at: path)
            try made.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS member (chunk TEXT NOT NULL, item TEXT NOT NULL, number INTEGER NOT NULL, offset INTEGER NOT NULL,
                                                       length INTEGER NOT NULL, PRIMARY KEY (chunk, item)) WITHOUT ROWID
                    """)
            }
            opened = made
            return made
        }
    }

    /// Indexes the detached members in `chunk`'s members file, in one transaction.
    func index(chunk: String, members path: String) throws {
        try queue().write { db in
            let insert = try db.makeStatement(sql: "INSERT OR REPLACE INTO member (chunk, item, number, offset, length) VALUES (?, ?, ?, ?, ?)")
            var number = 0
            try BatchMembersFile.members(at: path, origin: origin) { member, offset, length in
                defer { number += 1 }
                guard member.detached != nil else { return }
                try insert.execute(arguments: [chunk, member.place.item, number, Int64(offset), length])
            }
        }
    }

    /// Where `chunk`'s detached member for `item` is; nil when it has none.
    func find(chunk: String, item: String) -> Entry? {
        try? queue().inDatabase { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT number, offset, length FROM member WHERE chunk = ? AND item = ?"),
                             arguments: [chunk, item]).map { Entry(number: $0[0], offset: UInt64($0[1] as Int64), length: $0[2]) }
        }
    }

    /// Forgets `chunk` (its batch ended and every unit of it was handed on).
    func drop(chunk: String) {
        try? queue().writeWithoutTransaction { db in try db.execute(sql: "DELETE FROM member WHERE chunk = ?", arguments: [chunk]) }
    }

    func close() {
        let open = lock.withLock { opened }
        try? open?.close()
    }
}
