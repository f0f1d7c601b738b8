import Foundation

/// An ended OpenAI batch's output and error files on disk, indexed by `custom_id` (byte offset
/// and length of each line), each line read and decoded only when its unit asks.
final class OpenAIBatchResults: BatchResultSet, @unchecked Sendable {
    private struct Place {
        var file: String
        var offset: UInt64
        var length: Int
    }

    private let files: [String]
    private let provider: OpenAIProvider
    private let timeout: Double
    private let index: [String: Place]

    init(files: [String], provider: OpenAIProvider, timeout: Double) {
        self.files = files
        self.provider = provider
        self.timeout = timeout
        var index: [String: Place] = [:]
        for file in files {
            Self.scan(file) { offset, line in
                guard let entry = try? JSONParser.parse(line), case .string(let id)? = entry["custom_id"] else { return }
                index[id] = Place(file: file, offset: offset, length: line.count)
            }
        }
        self.index = index
    }

    func has(_ customID: String) -> Bool { index[customID] != nil }

    func result(for customID: String) async -> BatchLineResult? {
        guard let place = index[customID], let handle = FileHandle(forReadingAtPath: place.file) else { return nil }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: place.offset)) != nil, let data = try? handle.read(upToCount: place.length),
              let entry = try? JSONParser.parse(Array(data)) else {
            return .failure(CallFailure(.local_error, "cannot read the result line of \(customID) from \(place.file)"))
        }
        return await provider.lineResult(entry, timeout: timeout)
    }

    func discard() {
        for file in files { try? FileManager.default.removeItem(atPath: file) }
    }

    /// Calls `line` with each line's byte offset and bytes, reading the file in chunks.
    private static func scan(_ path: String, line: (UInt64, [UInt8]) -> Void) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        var pending: [UInt8] = []
        var pendingStart: UInt64 = 0
        var position: UInt64 = 0
        while let chunk = try? handle.read(upToCount: 4 << 20), !chunk.isEmpty {
            var start = chunk.startIndex
            for i in chunk.indices where chunk[i] == UInt8(ascii: "\n") {
                pending += chunk[start..<i]
                if !pending.isEmpty { line(pendingStart, pending) }
                pending.removeAll(keepingCapacity: true)
                start = i + 1
                pendingStart = position + UInt64(start - chunk.startIndex)
            }
            pending += chunk[start...]
            position += UInt64(chunk.count)
        }
        if !pending.isEmpty { line(pendingStart, pending) }
    }
}
