import Foundation

/// The right to write a manifest that several processes on one machine would write alike: an
/// exclusive `flock` on a file beside it, taken without waiting. Nil when another process holds
/// it (it is writing the same complete state right now). The lock goes with the process.
struct ManifestWriterLock {
    private let descriptor: Int32

    init?(beside manifest: String) {
        let path = (manifest as NSString).deletingLastPathComponent + "/.manifest.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        // A folder that cannot hold the lock file: write as one process would.
        guard fd >= 0 else {
            descriptor = -1
            return
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        descriptor = fd
    }

    func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
