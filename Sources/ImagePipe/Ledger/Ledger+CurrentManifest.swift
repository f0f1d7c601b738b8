import Foundation
import GRDB

extension Ledger {
    /// Writes the current state of every (stage, item) the ledger knows, one manifest line each:
    /// the latest outcome, whichever run made it. This is `manifest.jsonl`, the index downstream
    /// jobs read, so a partial run (`--limit`, `--only`, `--retry-failed`) never shrinks it.
    /// Lines come in the stages' order, then by item; the file is replaced atomically.
    func writeCurrentManifest(to path: String, stageOrder: [String]) throws(Failure) {
        var lines: [(stage: Int, item: String, line: String)] = []
        do {
            try pool.read { db in
                // SQLite takes the bare columns from the row holding MAX(finished_at).
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT stage, item, line, key, status, failure_class, message, path, sha256, width, height, bytes, url, attempts,
                           cost_usd, MAX(finished_at) FROM item GROUP BY stage, item
                    """)
                let order = Dictionary(stageOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
                while let row = try rows.next() {
                    let stage: String = row[0]
                    // Stages no longer in the pipeline are not its current state.
                    guard let position = order[stage] else { continue }
                    let line: String = row[2] ?? Self.line(from: row)
                    lines.append((position, row[1], line))
                }
            }
        } catch {
            throw Failure(description: "cannot read the ledger \(self.path): \(error)")
        }
        lines.sort { $0.stage != $1.stage ? $0.stage < $1.stage : $0.item < $1.item }
        var text = ""
        text.reserveCapacity(lines.count * 200)
        for entry in lines { text += entry.line + "\n" }
        do {
            try AtomicFile.write(Array(text.utf8), to: path)
        } catch {
            throw Failure(description: error.description)
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
