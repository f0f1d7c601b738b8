import Foundation
import ImagePipe

/// The emulator's OpenAI Batch API: uploaded files, batches that complete `batchTime` seconds
/// after their creation, and their output and error files (lines in shuffled order). Each line is
/// decided like a synchronous request of its prompt (markers included), so `[[fail:500x1]]` fails
/// a line the first time its prompt is sent. Counts uploads, batch creations and lines.
public final class EmulatorBatches: @unchecked Sendable {
    struct Batch {
        var id: String
        var inputFile: String
        var metadata: [(String, JSONValue)]
        var createdAt: Double
        var readyAt: Double
        var total: Int
        var cancelled = false
        var outputFile: String?
        var errorFile: String?
        var completed = 0
        var failed = 0
        /// Ended `expired`: some of its lines ran out of the completion window.
        var expired = false
        /// Why the input did not validate (a custom_id used twice), as OpenAI fails the whole batch.
        var invalid: String?
    }

    private let lock = NSLock()
    /// Serialises a batch's first ending, so that its lines are decided (and counted) once.
    private let finishing = NSLock()
    private var held = false
    private let start = ContinuousClock.now
    private var files: [String: [UInt8]] = [:]
    private var batches: [String: Batch] = [:]
    private var order: [String] = []
    private var uploads = 0
    private var creations = 0
    private var lines = 0
    private var next = 0

    private var now: Double { (ContinuousClock.now - start).inSeconds }

    public struct Counts: Sendable {
        public var uploads: Int
        public var creations: Int
        public var lines: Int
    }

    public var counts: Counts { lock.withLock { Counts(uploads: uploads, creations: creations, lines: lines) } }

    /// While held, no batch completes (a test kills a run while its batch is surely running).
    public func hold(_ on: Bool) { lock.withLock { held = on } }

    func upload(_ bytes: [UInt8], counted: Bool = true) -> String {
        lock.withLock {
            next += 1
            if counted { uploads += 1 }
            let id = "file-emu\(next)"
            files[id] = bytes
            return id
        }
    }

    func file(_ id: String) -> [UInt8]? { lock.withLock { files[id] } }

    /// Gemini's resumable uploads: a session started with the file's size, then its bytes.
    private var sessions: [String: Int] = [:]

    func startUpload(size: Int) -> String {
        lock.withLock {
            next += 1
            let session = "upload-emu\(next)"
            sessions[session] = size
            return session
        }
    }

    /// The file made from a session's bytes; nil when the session is unknown or the size differs.
    func finishUpload(_ session: String, _ bytes: [UInt8]) -> String? {
        guard let size = lock.withLock({ sessions.removeValue(forKey: session) }), size == bytes.count else { return nil }
        return upload(bytes)
    }

    /// A batch over an uploaded file; nil when the file is unknown.
    func create(inputFile: String, metadata: [(String, JSONValue)], completesIn seconds: Double) -> Batch? {
        lock.withLock {
            guard let input = files[inputFile] else { return nil }
            next += 1
            creations += 1
            let rows = input.split(separator: UInt8(ascii: "\n"))
            lines += rows.count
            var seen = Set<String>()
            var invalid: String?
            for (n, row) in rows.enumerated() {
                // OpenAI's lines carry `custom_id`, Gemini's `key`.
                guard let line = try? JSONParser.parse(Array(row)), case .string(let id)? = line["custom_id"] ?? line["key"] else { continue }
                if !seen.insert(id).inserted, invalid == nil { invalid = "Line \(n + 1): duplicate custom_id '\(id)'" }
            }
            var batch = Batch(id: "batch_emu\(next)", inputFile: inputFile, metadata: metadata, createdAt: now, readyAt: now + seconds, total: rows.count)
            batch.invalid = invalid
            batches[batch.id] = batch
            order.append(batch.id)
            return batch
        }
    }

    /// The batch as it stands; `finish` makes its output and error files when it first ends.
    func batch(_ id: String, finish: (Batch) -> (output: [UInt8], errors: [UInt8], completed: Int, failed: Int, expired: Bool)) -> (Batch, String)? {
        finishing.lock()
        defer { finishing.unlock() }
        let (found, isHeld): (Batch?, Bool) = lock.withLock { (batches[id], held) }
        guard var batch = found else { return nil }
        let t = now
        var status: String
        if batch.invalid != nil, t >= batch.createdAt + min(0.2, (batch.readyAt - batch.createdAt) / 5) {
            status = "failed"
        } else if batch.cancelled {
            status = "cancelled"
        } else if t < batch.createdAt + min(0.2, (batch.readyAt - batch.createdAt) / 5) {
            status = "validating"
        } else if t < batch.readyAt || isHeld {
            status = "in_progress"
        } else {
            status = "completed"
            if batch.outputFile == nil {
                let made = finish(batch)
                lock.withLock {
                    guard batches[id]?.outputFile == nil else { return }
                    next += 1
                    let output = "file-emu\(next)"
                    next += 1
                    let errors = "file-emu\(next)"
                    files[output] = made.output
                    files[errors] = made.errors
                    batches[id]?.outputFile = output
                    batches[id]?.errorFile = errors
                    batches[id]?.completed = made.completed
                    batches[id]?.failed = made.failed
                    batches[id]?.expired = made.expired
                }
                batch = lock.withLock { batches[id]! }
            }
            if batch.expired { status = "expired" }
        }
        return (batch, status)
    }

    func cancel(_ id: String) -> Bool {
        lock.withLock {
            guard batches[id] != nil, batches[id]?.outputFile == nil else { return false }
            batches[id]?.cancelled = true
            return true
        }
    }

    /// The newest batches first.
    var newest: [String] { lock.withLock { order.reversed() } }
}
