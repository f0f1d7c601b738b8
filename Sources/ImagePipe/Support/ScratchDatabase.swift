import GRDB

/// A SQLite file only this run uses and removes when done (a batch's members by item, its result
/// places): one connection, no syncs, a small page cache, and the journal in memory, so that a
/// failed transaction (a full disk) still rolls back cleanly.
enum ScratchDatabase {
    static func open(at path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA cache_size = -1024")
        }
        return try DatabaseQueue(path: path, configuration: configuration)
    }
}
