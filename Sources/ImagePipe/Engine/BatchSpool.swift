import Foundation

/// One batch's input as it is gathered: its lines go to a file as they come (an input runs to
/// 200 MB), which is uploaded from there, and who waits on each line to a members file beside it,
/// in the same order; so a run holds neither a batch's lines nor its members in memory.
final class BatchSpool: @unchecked Sendable {
    /// The chunk id the batch is created and recorded under.
    let chunk = UUID().uuidString.lowercased()
    let path: String
    /// Its members, a line each (`BatchMember`); it outlives the input while detached units wait.
    let membersPath: String
    private let handle: FileHandle
    private let membersHandle: FileHandle
    private(set) var count = 0
    private(set) var bytes = 0
    /// How many of its members wait detached.
    private(set) var detached = 0
    /// The custom ids of the members that wait in memory (in a task, or parked): few, and their
    /// units are held anyway.
    private(set) var waiting: [String] = []
    private var memberBytes = 0

    init(directory: String) throws(CallFailure) {
        path = directory + "/input-" + chunk + ".jsonl"
        membersPath = directory + "/members-" + chunk + ".jsonl"
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw Self.failure("cannot write a batch's input at \(path)", errno: errno, directory: directory)
        }
        guard FileManager.default.createFile(atPath: membersPath, contents: nil), let members = FileHandle(forWritingAtPath: membersPath) else {
            let code = errno
            try? handle.close()
            try? FileManager.default.removeItem(atPath: path)
            throw Self.failure("cannot write a batch's members at \(membersPath)", errno: code, directory: directory)
        }
        self.handle = handle
        membersHandle = members
    }

    /// A local failure, and the fault every later write would hit too (a full disk), for the breaker.
    private static func failure(_ message: String, errno code: Int32?, directory: String) -> CallFailure {
        var failure = CallFailure(.local_error, message)
        failure.localFault = code.flatMap { LocalFault(errno: $0, place: directory) }
        return failure
    }

    /// Whether a line of `size` bytes still fits the limits.
    func fits(_ size: Int, _ limits: BatchLimits) -> Bool {
        count == 0 || (count < limits.maxRequests && bytes + size + 1 <= limits.maxBytes)
    }

    /// Adds `line` and who waits on it; on a failure, neither (what was written of them is cut off,
    /// so that the lines before stay whole).
    func append(_ line: [UInt8], member: BatchMember, origin: ContinuousClock.Instant) throws(CallFailure) {
        let memberLine = member.line(origin: origin) + [UInt8(ascii: "\n")]
        try write(line + [UInt8(ascii: "\n")], to: handle, at: bytes, path: path)
        do {
            try write(memberLine, to: membersHandle, at: memberBytes, path: membersPath)
        } catch {
            try? handle.truncate(atOffset: UInt64(bytes))
            throw error
        }
        count += 1
        bytes += line.count + 1
        memberBytes += memberLine.count
        if member.detached != nil { detached += 1 } else { waiting.append(member.customID) }
    }

    private func write(_ bytes: [UInt8], to handle: FileHandle, at end: Int, path: String) throws(CallFailure) {
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            try? handle.truncate(atOffset: UInt64(end))
            let ns = error as NSError
            let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError
            let code = ns.domain == NSPOSIXErrorDomain ? Int32(ns.code) : underlying?.domain == NSPOSIXErrorDomain ? Int32(underlying!.code) : nil
            throw Self.failure("cannot write a batch's \(path == self.path ? "input" : "members") at \(path): \(error.localizedDescription)", errno: code,
                               directory: (path as NSString).deletingLastPathComponent)
        }
    }

    /// Done gathering: the files are whole.
    func close() {
        try? handle.close()
        try? membersHandle.close()
    }

    /// Removes the input; the members file too unless `keepMembers` (detached units still wait on it).
    func discard(keepMembers: Bool = false) {
        close()
        try? FileManager.default.removeItem(atPath: path)
        if !keepMembers { try? FileManager.default.removeItem(atPath: membersPath) }
    }

    /// Each member in the order they came, with the byte range of its line.
    static func members(at path: String, origin: ContinuousClock.Instant, _ body: (BatchMember, _ offset: UInt64, _ length: Int) throws -> Void) throws {
        try JSONEntryScanner.eachLine(of: path) { offset, line in
            guard let member = BatchMember(line: line, origin: origin) else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
            }
            try body(member, offset, line.count)
        }
    }
}
