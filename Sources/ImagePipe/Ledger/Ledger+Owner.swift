import Foundation
import GRDB

extension Ledger {
    /// Records `pipelineFile` (an absolute path) as the ledger's owner, unless another pipeline
    /// file that still exists owns it: then returns that file and changes nothing. A ledger whose
    /// owner is gone (the file was renamed or the project moved) passes to the new file.
    public func claim(for pipelineFile: String) throws(Failure) -> String? {
        do {
            return try pool.write { db -> String? in
                if let owner = try String.fetchOne(db, sql: "SELECT pipeline_file FROM owner WHERE id = 1"), owner != pipelineFile,
                   FileManager.default.fileExists(atPath: owner) {
                    return owner
                }
                try db.execute(sql: "INSERT OR REPLACE INTO owner (id, pipeline_file) VALUES (1, ?)", arguments: [pipelineFile])
                return nil
            }
        } catch {
            throw Failure(description: "cannot write to the ledger \(path): \(error)")
        }
    }

    /// The pipeline file that owns the ledger, for `plan`'s read-only look; nil before v3 or a run.
    public func owner() -> String? {
        try? pool.read { db in
            guard try db.tableExists("owner") else { return nil }
            return try String.fetchOne(db, sql: "SELECT pipeline_file FROM owner WHERE id = 1")
        }
    }

    /// An owner's path as the user would type it from the current folder.
    public static func shown(_ absolute: String) -> String {
        let here = FileManager.default.currentDirectoryPath
        return absolute.hasPrefix(here + "/") ? String(absolute.dropFirst(here.count + 1)) : absolute
    }

    /// The ledger's folder as `plan` and `run` check it can be written before any call.
    package static func folderPlace(_ path: String, for pipeline: CompiledPipeline) -> StorageCheck.Place? {
        // A database server's disk is not checked from here.
        if LedgerStores.isShared(path) { return nil }
        return StorageCheck.Place(role: "the ledger's folder", path: (path as NSString).deletingLastPathComponent,
                           display: (displayPath(path, for: pipeline) as NSString).deletingLastPathComponent + "/")
    }
}
