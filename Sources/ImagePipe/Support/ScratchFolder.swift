import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A run's scratch folder under TMPDIR (a batch's spooled input, up to 200 MB, its members and
/// results), locked for as long as its process holds it. The kernel lets the lock go when the
/// process dies, however it dies (kill -9, a crash, the OOM killer): a folder whose lock is free
/// is a dead run's, and the next run that makes a folder removes it, so they do not pile up.
final class ScratchFolder: @unchecked Sendable {
    static let prefix = "imagepipe-batches-"
    private static let lockName = ".lock"

    let path: String
    private let lock = NSLock()
    private var descriptor: Int32 = -1

    /// A new folder in `parent`, after removing the folders of runs that are gone. The folder is
    /// made and locked under another name, then renamed: a folder another run sees under the
    /// prefix is always locked while its run lives.
    init(in parent: String = NSTemporaryDirectory()) {
        let parent = parent.hasSuffix("/") ? String(parent.dropLast()) : parent
        Self.removeAbandoned(in: parent)
        let name = UUID().uuidString.lowercased()
        path = parent + "/" + Self.prefix + name
        let making = parent + "/.making-" + Self.prefix + name
        guard (try? FileManager.default.createDirectory(atPath: making, withIntermediateDirectories: true)) != nil else {
            // Written to later, the folder's absence fails as a local fault (a full or read-only disk) names it.
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

    /// Removes the folder and lets its lock go.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
        lock.withLock {
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
        }
    }

    /// Removes every scratch folder in `parent` whose run is gone (its lock can be taken).
    static func removeAbandoned(in parent: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for name in names where name.hasPrefix(prefix) {
            let folder = parent + "/" + name
            let fd = open(folder + "/" + lockName, O_RDWR | O_CLOEXEC)
            // No lock file: not a folder of this kind, or of an older imagepipe; left alone.
            guard fd >= 0 else { continue }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { try? FileManager.default.removeItem(atPath: folder) }
            close(fd)
        }
    }
}
