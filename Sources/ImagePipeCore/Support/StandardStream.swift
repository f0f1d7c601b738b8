import Foundation

/// Standard output and standard error that never stop the program. `FileHandle.write` traps on a
/// failed write (a log on a full disk, a closed pipe), and a run must outlive its log: after the
/// first failure a stream drops what is written to it, and the ledger and manifest stay the record.
public final class StandardStream: @unchecked Sendable {
    public static let output = StandardStream(fd: STDOUT_FILENO)
    public static let error = StandardStream(fd: STDERR_FILENO)

    private let fd: Int32
    private let lock = NSLock()
    private var broken: Int32?

    init(fd: Int32) {
        self.fd = fd
    }

    /// The error that ended the stream (EPIPE, ENOSPC, EIO…), or nil while it works.
    public var failure: Int32? { lock.withLock { broken } }

    public func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            guard !bytes.isEmpty else { return }
            lock.withLock {
                guard broken == nil else { return }
                var offset = 0
                while offset < bytes.count {
                    let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        // EAGAIN: a non-blocking terminal that is full; dropping a progress line is fine.
                        if errno != EAGAIN { broken = errno }
                        return
                    }
                    offset += n
                }
            }
        }
    }

    /// Writes a closed pipe's end as an error instead of a signal, so that `imagepipe plan | head -1`
    /// ends its own way; called once at start.
    public static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }
}
