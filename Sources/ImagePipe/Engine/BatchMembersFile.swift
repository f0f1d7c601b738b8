import Foundation

/// Who waits on a batch's lines, a line each (`BatchMember`), written as they come: beside the
/// input of a batch being gathered, or for the units of this run that wait on an earlier run's
/// batch. Read back in order (the ledger's intent, the units to wake) or at a line's byte range.
final class BatchMembersFile: @unchecked Sendable {
    let path: String
    private let handle: FileHandle
    private(set) var count = 0
    private(set) var bytes = 0
    /// How many of its members wait detached.
    private(set) var detached = 0
    /// How many of those hold a budget reservation: given back, should their lines never be read again.
    private(set) var reserved = 0
    /// The custom ids of the members that wait in memory (in a task, or parked): few, and their
    /// units are held anyway.
    private(set) var waiting: [String] = []

    init(path: String) throws(CallFailure) {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw Self.failure("cannot write a batch's members at \(path)", errno: errno, path: path)
        }
        self.handle = handle
    }

    /// A local failure, and the fault every later write would hit too (a full disk), for the breaker.
    static func failure(_ message: String, errno code: Int32?, path: String) -> CallFailure {
        var failure = CallFailure(.local_error, message)
        failure.localFault = code.flatMap { LocalFault(errno: $0, place: (path as NSString).deletingLastPathComponent) }
        return failure
    }

    /// The failure of a members file that cannot be read back: a local fault (`fault`, or an I/O one).
    static func unreadable(_ path: String, _ error: Error, fault: LocalFault? = nil) -> CallFailure {
        let directory = (path as NSString).deletingLastPathComponent
        var failure = CallFailure(.local_error, "cannot read a batch's members at \(path): \(error)")
        failure.localFault = fault ?? LocalFault(kind: .io, place: directory, reason: "\(error)")
        return failure
    }

    func append(_ member: BatchMember, origin: ContinuousClock.Instant) throws(CallFailure) {
        let line = member.line(origin: origin) + [UInt8(ascii: "\n")]
        try Self.write(line, to: handle, at: bytes, path: path, what: "members")
        count += 1
        bytes += line.count
        if let held = member.detached {
            detached += 1
            if held.reserved { reserved += 1 }
        } else {
            waiting.append(member.customID)
        }
    }

    /// Appends `bytes`; on a failure, what was written of them is cut off, so that the lines before stay whole.
    static func write(_ bytes: [UInt8], to handle: FileHandle, at end: Int, path: String, what: String) throws(CallFailure) {
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            try? handle.truncate(atOffset: UInt64(end))
            throw failure("cannot write a batch's \(what) at \(path): \(error.localizedDescription)", errno: LocalFault.posixCode(of: error), path: path)
        }
    }

    func close() { try? handle.close() }

    func discard() {
        close()
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Each member of the file at `path` in the order they came, with the byte range of its line.
    static func members(at path: String, origin: ContinuousClock.Instant, _ body: (BatchMember, _ offset: UInt64, _ length: Int) throws -> Void) throws {
        try JSONEntryScanner.eachLine(of: path) { offset, line in
            guard let member = BatchMember(line: line, origin: origin) else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
            }
            try body(member, offset, line.count)
        }
    }
}
