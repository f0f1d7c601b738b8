import Foundation
import GRDB

extension Ledger {
    /// Writes the current state of every (stage, item) the ledger knows, one manifest line each:
    /// the latest outcome, whichever run made it. This is `manifest.jsonl`, the index downstream
    /// jobs read, so a partial run (`--limit`, `--only`, `--retry-failed`) never shrinks it.
    /// Lines come in the stages' order, then by item; the file is replaced atomically.
    public func writeCurrentManifest(to path: String, stageOrder: [String]) throws(Failure) {
        // Streamed stage by stage into a temporary file beside the manifest, then renamed over
        // it: memory stays flat with the number of items.
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(description: "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        func writeOut(_ buffer: [UInt8]) throws(Failure) {
            var offset = 0
            while offset < buffer.count {
                let n = buffer.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        }
        do {
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 20)
            try pool.read { db in
                for stage in stageOrder {
                    // SQLite takes the bare columns from the row holding MAX(finished_at).
                    let rows = try Row.fetchCursor(db, sql: """
                        SELECT stage, item, line, key, status, failure_class, message, path, sha256, width, height, bytes, url, attempts,
                               cost_usd, MAX(finished_at) FROM item WHERE stage = ? GROUP BY item ORDER BY item
                        """, arguments: [stage])
                    while let row = try rows.next() {
                        let line: String = row[2] ?? Self.line(from: row)
                        buffer.append(contentsOf: line.utf8)
                        buffer.append(0x0A)
                        if buffer.count >= 1 << 20 {
                            try writeOut(buffer)
                            buffer.removeAll(keepingCapacity: true)
                        }
                    }
                }
            }
            try writeOut(buffer)
            // A manifest is replaced only by a complete one: on disk before the rename.
            guard fsync(fd) == 0 else { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
        } catch {
            close(fd)
            unlink(temporary)
            throw error as? Failure ?? Failure(description: "cannot write \(path): \(error)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let failure = Failure(description: "cannot move the manifest into place at \(path): \(String(cString: strerror(errno)))")
            unlink(temporary)
            throw failure
        }
    }

    /// A manifest line from a row written before lines were kept (an older ledger).
    private static func line(from row: Row) -> String {
        var o = JSONObjectWriter()
        o.add("key", row[3] as String?)
        o.add("stage", row[0] as String?)
        o.add("status", row[4] as String?)
        o.add("failure_class", row[5] as String?)
        o.add("message", row[6] as String?)
        o.add("path", row[7] as String?)
        o.add("sha256", row[8] as String?)
        o.add("width", row[9] as Int?)
        o.add("height", row[10] as Int?)
        o.add("bytes", row[11] as Int?)
        o.add("url", row[12] as String?)
        o.add("attempts", row[13] as Int?)
        o.add("cost_usd", row[14] as Double?)
        return o.finished
    }
}
