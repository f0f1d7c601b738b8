import Foundation

/// One batch's input as it is gathered: its lines go to a file as they come (an input runs to
/// 200 MB), which is uploaded from there, and who waits on each line to a members file beside it,
/// in the same order; so a run holds neither a batch's lines nor its members in memory.
final class BatchSpool: @unchecked Sendable {
    /// The chunk id the batch is created and recorded under.
    let chunk = UUID().uuidString.lowercased()
    let path: String
    /// Its members; the file outlives the input while detached units wait.
    let members: BatchMembersFile
    private let handle: FileHandle
    private(set) var bytes = 0

    var count: Int { members.count }

    init(directory: String) throws(CallFailure) {
        path = directory + "/input-" + chunk + ".jsonl"
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw BatchMembersFile.failure("cannot write a batch's input at \(path)", errno: errno, path: path)
        }
        do throws(CallFailure) {
            members = try BatchMembersFile(path: directory + "/members-" + chunk + ".jsonl")
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        self.handle = handle
    }

    /// Whether a line of `size` bytes still fits the limits.
    func fits(_ size: Int, _ limits: BatchLimits) -> Bool {
        count == 0 || (count < limits.maxRequests && bytes + size + 1 <= limits.maxBytes)
    }

    /// Adds `line` and who waits on it; on a failure, neither (what was written of them is cut off,
    /// so that the lines before stay whole).
    func append(_ line: [UInt8], member: BatchMember, origin: ContinuousClock.Instant) throws(CallFailure) {
        try BatchMembersFile.write(line + [UInt8(ascii: "\n")], to: handle, at: bytes, path: path, what: "input")
        do {
            try members.append(member, origin: origin)
        } catch {
            try? handle.truncate(atOffset: UInt64(bytes))
            throw error
        }
        bytes += line.count + 1
    }

    /// Done gathering: the files are whole.
    func close() {
        try? handle.close()
        members.close()
    }

    /// Removes the input; the members file too unless `keepMembers` (detached units still wait on it).
    func discard(keepMembers: Bool = false) {
        close()
        try? FileManager.default.removeItem(atPath: path)
        if !keepMembers { members.discard() }
    }
}
