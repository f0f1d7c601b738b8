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
            throw Self.failure("cannot write a batch's input at \(path)", errno: errno, directory: directory)
        }
        self.handle = handle
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

    func append(_ line: [UInt8]) throws(CallFailure) {
        do {
            try handle.write(contentsOf: line + [UInt8(ascii: "\n")])
        } catch {
            // A part of the line may be written: cut it off, so that the lines before it stay whole.
            try? handle.truncate(atOffset: UInt64(bytes))
            let ns = error as NSError
            let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError
            let code = ns.domain == NSPOSIXErrorDomain ? Int32(ns.code) : underlying?.domain == NSPOSIXErrorDomain ? Int32(underlying!.code) : nil
            throw Self.failure("cannot write a batch's input at \(path): \(error.localizedDescription)", errno: code,
                               directory: (path as NSString).deletingLastPathComponent)
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
