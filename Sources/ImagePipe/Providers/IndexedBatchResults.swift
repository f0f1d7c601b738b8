import Foundation

/// An ended batch's result files on disk, indexed by each request's id (the byte range of its
/// entry), each entry read and decoded only when its unit asks: a batch of images runs to
/// gigabytes, never all in memory at once.
final class IndexedBatchResults: BatchResultSet, @unchecked Sendable {
    struct Place {
        var file: String
        var offset: UInt64
        var length: Int
    }

    private let files: [String]
    private let index: BatchResultIndex
    private let decode: @Sendable (JSONValue) async -> BatchLineResult

    /// `index` from `JSONEntryScanner` over `files`; `decode` turns one entry into its result.
    init(files: [String], index: BatchResultIndex, decode: @escaping @Sendable (JSONValue) async -> BatchLineResult) {
        self.files = files
        self.index = index
        self.decode = decode
    }

    func has(_ customID: String) -> Bool { index.place(of: customID) != nil }

    func result(for customID: String) async -> BatchLineResult? {
        guard let place = index.place(of: customID), let handle = FileHandle(forReadingAtPath: place.file) else { return nil }
        let entry: JSONValue? = {
            defer { try? handle.close() }
            guard (try? handle.seek(toOffset: place.offset)) != nil, let data = try? handle.read(upToCount: place.length) else { return nil }
            return try? JSONParser.parse(Array(data))
        }()
        guard let entry else { return .failure(CallFailure(.local_error, "cannot read the result of \(customID) from \(place.file)")) }
        return await decode(entry)
    }

    func discard() {
        for file in files { try? FileManager.default.removeItem(atPath: file) }
        index.discard()
    }
}
