import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A run's scratch folder under TMPDIR (a batch's spooled input, up to 200 MB, its members and
/// results), locked for as long as its process holds it. The kernel lets the lock go when the
/// process dies, however it dies (kill -9, a crash, the OOM killer): a folder whose lock is free
/// is a dead run's, and the first folder a run makes has them removed, in the background (they
/// may hold gigabytes), so they do not pile up.
final class ScratchFolder: @unchecked Sendable {
    static let prefix = "imagepipe-batches-"
    private static let making = ".making-"
    private static let lockName = ".lock"
    /// This process's own folders: never taken for a dead run's, even where the lock cannot tell
    /// (NFS emulates flock with locks that one process always gets).
    private static let held = Locked<Set<String>>([])
    private static let swept = Locked<Set<String>>([])

    let path: String
    private let lock = NSLock()
    private var descriptor: Int32 = -1

    /// A new folder in `parent`. It is made and locked under another name, then renamed: a folder
    /// another run sees under the prefix is always locked while its run lives.
    init(in parent: String = NSTemporaryDirectory()) {
        let parent = parent.hasSuffix("/") ? String(parent.dropLast()) : parent
        let name = UUID().uuidString.lowercased()
        path = parent + "/" + Self.prefix + name
        Self.held.withLock { _ = $0.insert(path) }
        defer { Self.removeAbandonedOnce(in: parent) }
        let making = parent + "/" + Self.making + Self.prefix + name
        guard (try? FileManager.default.createDirectory(atPath: making, withIntermediateDirectories: true)) != nil else {
            // Written to later, the folder's absence fails as a local fault (a full or read-only disk) that names it.
            return
        }
        let fd = open(making + "/" + Self.lockName, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        if fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0, rename(making, path) == 0 {
            descriptor = fd
        } else {
            if fd >= 0 { close(fd) }
            try? FileManager.default.removeItem(atPath: making)
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
    }

    /// Removes the folder and lets its lock go, once dead runs' folders are gone too.
    func remove() {
        Self.finishSweeping()
        try? FileManager.default.removeItem(atPath: path)
        lock.withLock {
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
        }
        Self.held.withLock { _ = $0.remove(path) }
    }

    private static let sweeping = DispatchGroup()

    private static func removeAbandonedOnce(in parent: String) {
        guard swept.withLock({ $0.insert(parent).inserted }) else { return }
        DispatchQueue.global(qos: .utility).async(group: sweeping) { removeAbandoned(in: parent) }
    }

    /// Waits (a little) for the removal of dead runs' folders: a run that ends first would cut it short.
    static func finishSweeping() { _ = sweeping.wait(timeout: .now() + 30) }

    /// Removes every scratch folder in `parent` whose run is gone (its lock can be taken), and
    /// folders left half-made (killed between making and renaming) for over a minute.
    static func removeAbandoned(in parent: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        let own = held.withLock { $0 }
        for name in names where name.hasPrefix(prefix) || name.hasPrefix(making + prefix) {
            let folder = parent + "/" + name
            guard !own.contains(folder) else { continue }
            if name.hasPrefix(making) {
                let modified = (try? FileManager.default.attributesOfItem(atPath: folder)[.modificationDate] as? Date) ?? Date()
                guard modified < Date().addingTimeInterval(-60) else { continue }
            }
            let fd = open(folder + "/" + lockName, O_RDWR | O_CLOEXEC)
            // No lock file: not a folder of this kind, or of an older imagepipe; left alone.
            guard fd >= 0 else { continue }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { try? FileManager.default.removeItem(atPath: folder) }
            close(fd)
        }
    }
}
