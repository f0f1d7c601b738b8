import Foundation

/// `OUTPUT_DIR/manifest.jsonl`: one JSON line per (stage, item), appended as results arrive and
/// flushed often, so that an interrupted run still leaves every recorded line. Every line passes
/// through the secret filter.
public final class ManifestWriter: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let secrets: SecretSet
    private static let flushSize = 64 * 1024
    /// Told the `errno` of a failed write (a full disk): lines not written stay in memory for the
    /// next flush, so a freed disk still gets them.
    public var onFault: (@Sendable (Int32) -> Void)?
    private var faulted = false

    public init(path: String, secrets: SecretSet) throws(AtomicFile.Failure) {
        self.path = path
        self.secrets = secrets
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicFile.Failure(description: "cannot write the manifest \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    public func append(_ outcome: ItemOutcome) {
        append(line: secrets.redact(outcome.jsonLine))
    }

    /// A line already masked.
    public func append(line text: String) {
        let line = text + "\n"
        lock.withLock {
            buffer.append(contentsOf: line.utf8)
            if buffer.count >= Self.flushSize { flushLocked() }
        }
    }

    public func flush() { lock.withLock { flushLocked() } }

    private func flushLocked() {
        var offset = 0
        let error: Int32? = buffer.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return nil
        }
        buffer.removeFirst(offset)
        if let error, !faulted {
            faulted = true
            onFault?(error)
        }
    }
}

extension ManifestWriter: RunEventConsumer {
    public func handle(_ event: RunEvent) async {
        switch event {
        case .finished(_, let line?): append(line: line)
        case .finished(let outcome, nil), .propagated(let outcome): append(outcome)
        case .ended: flush()
        default: break
        }
    }
}
