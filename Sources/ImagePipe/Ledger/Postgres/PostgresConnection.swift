import CLibPQ
import Foundation

/// One connection to PostgreSQL through libpq, used by one caller at a time (its lock). libpq is
/// synchronous like the SQLite ledger; `perform` runs a call on the connection's own queue for
/// async callers, so a round trip never holds a cooperative thread.
final class PostgresConnection: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        /// The SQLSTATE code (`40001` a serialization failure, `53100` a full disk, …).
        var sqlState: String?
    }

    typealias Rows = [[String?]]

    private let connection: OpaquePointer
    private let lock = NSLock()
    private let queue = DispatchQueue(label: "imagepipe.postgres")
    /// The URL without its password, for messages.
    let shown: String

    /// `url`: a libpq connection string (`postgres://user@host:port/db?sslmode=…`); libpq also
    /// reads `PGPASSWORD`, `PGHOST`, `~/.pgpass` and the other `PG*` settings.
    init(url: String, schema: String?, creating: Bool = true) throws(Failure) {
        shown = Self.withoutPassword(url)
        guard let opened = PQconnectdb(url) else { throw Failure(description: "cannot connect to \(shown): out of memory") }
        guard PQstatus(opened) == CONNECTION_OK else {
            // Finished here, before it is stored: an init that throws later is undone by deinit.
            let message = Self.message(opened)
            PQfinish(opened)
            throw Failure(description: "cannot connect to \(shown): \(message)")
        }
        connection = opened
        // A worker whose machine vanishes is noticed by the server within about 25 s (its
        // advisory locks, such as the enqueuer's, then pass on), not after TCP's two hours.
        try execute("SET client_min_messages TO warning; SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3")
        if let schema {
            let name = Self.identifier(schema)
            if creating {
                // Workers started together create the schema once: IF NOT EXISTS alone races.
                try execute("BEGIN; SELECT pg_advisory_xact_lock(hashtext('imagepipe schema')); CREATE SCHEMA IF NOT EXISTS \(name); COMMIT")
            }
            try execute("SET search_path TO \(name)")
        }
    }

    deinit { PQfinish(connection) }

    /// Runs one statement with text parameters ($1, $2, …) and returns its rows as text.
    @discardableResult
    func query(_ sql: String, _ parameters: [String?] = []) throws(Failure) -> Rows {
        lock.lock()
        defer { lock.unlock() }
        return try unlockedQuery(sql, parameters)
    }

    /// Several statements without parameters (schema changes, BEGIN/COMMIT).
    func execute(_ sql: String) throws(Failure) {
        lock.lock()
        defer { lock.unlock() }
        try unlockedExecute(sql)
    }

    private func unlockedExecute(_ sql: String) throws(Failure) {
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        try check(result, sql: sql)
    }

    /// Runs `body` in one transaction, on the connection alone.
    func transaction<T>(_ body: (Transaction) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        try unlockedQuery("BEGIN")
        do {
            let value = try body(Transaction(connection: self))
            try unlockedQuery("COMMIT")
            return value
        } catch {
            _ = try? unlockedQuery("ROLLBACK")
            throw error
        }
    }

    struct Transaction {
        fileprivate let connection: PostgresConnection
        @discardableResult
        func query(_ sql: String, _ parameters: [String?] = []) throws(Failure) -> Rows {
            try connection.unlockedQuery(sql, parameters)
        }

        func execute(_ sql: String) throws(Failure) { try connection.unlockedExecute(sql) }
    }

    /// A call on the connection's own thread, for async code.
    func perform<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body(self) }) }
        }
    }

    @discardableResult
    private func unlockedQuery(_ sql: String, _ parameters: [String?] = []) throws(Failure) -> Rows {
        let copies: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.flatMap { strdup($0) } }
        defer { copies.forEach { free($0) } }
        let result = copies.withUnsafeBufferPointer { values in
            values.withMemoryRebound(to: UnsafePointer<CChar>?.self) { values in
                PQexecParams(connection, sql, Int32(parameters.count), nil, values.baseAddress, nil, nil, 0)
            }
        }
        defer { PQclear(result) }
        try check(result, sql: sql)
        let rows = Int(PQntuples(result)), columns = Int(PQnfields(result))
        var out: Rows = []
        out.reserveCapacity(rows)
        for r in 0..<rows {
            var row: [String?] = []
            row.reserveCapacity(columns)
            for c in 0..<columns {
                if PQgetisnull(result, Int32(r), Int32(c)) == 1 {
                    row.append(nil)
                } else {
                    row.append(String(cString: PQgetvalue(result, Int32(r), Int32(c))))
                }
            }
            out.append(row)
        }
        return out
    }

    private func check(_ result: OpaquePointer?, sql: String) throws(Failure) {
        guard let result else { throw Failure(description: "\(shown): \(Self.message(connection))") }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY: return
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = PQresultErrorMessage(result).map { String(cString: $0) } ?? "unknown error"
            throw Failure(description: "\(shown): \(message.trimmingCharacters(in: .whitespacesAndNewlines))", sqlState: state)
        }
    }

    /// libpq's message on one line (it wraps hints onto tab-indented lines).
    private static func message(_ connection: OpaquePointer) -> String {
        String(cString: PQerrorMessage(connection)).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// A name quoted for SQL.
    static func identifier(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// The URL without its password, wherever it is (`PostgresURLPasswords`).
    static func withoutPassword(_ url: String) -> String { PostgresURLPasswords(url).shown }

    /// The passwords a URL holds (for masking), raw and decoded.
    static func passwords(in url: String) -> [String] { PostgresURLPasswords(url).passwords }
}
