import Foundation

/// One batch's input as it is gathered: its lines go to a file as they come (an input runs to
/// 200 MB), which is uploaded from there, so a run holds no batch's lines in memory.
final class BatchSpool: @unchecked Sendable {
    /// The chunk id the batch is created and recorded under.
    let chunk = UUID().uuidString.lowercased()
    let path: String
    private let handle: FileHandle
    private(set) var count = 0
    private(set) var bytes = 0

    init(directory: String) throws(CallFailure) {
        path = directory + "/input-" + chunk + ".jsonl"
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CallFailure(.local_error, "cannot write a batch's input at \(path)")
        }
        self.handle = handle
    }

    /// Whether a line of `size` bytes still fits the limits.
    func fits(_ size: Int, _ limits: BatchLimits) -> Bool {
        count == 0 || (count < limits.maxRequests && bytes + size + 1 <= limits.maxBytes)
    }

    func append(_ line: [UInt8]) throws(CallFailure) {
        do {
            try handle.write(contentsOf: line + [UInt8(ascii: "\n")])
        } catch {
            throw CallFailure(.local_error, "cannot write a batch's input at \(path): \(error.localizedDescription)")
        }
        count += 1
        bytes += line.count + 1
    }

    /// Done gathering: the file is whole.
    func close() { try? handle.close() }

    func discard() {
        close()
        try? FileManager.default.removeItem(atPath: path)
    }
}
