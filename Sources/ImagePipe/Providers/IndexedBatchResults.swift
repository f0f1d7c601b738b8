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

    func has(_ customID: String) -> Bool { (try? index.place(of: customID)) != nil }

    /// Nil when the batch has no line for `customID`. A result that is there but cannot be read
    /// here is this machine's fault, not the provider's: its line stays in the ledger for the
    /// next run, never sent and paid for again.
    func result(for customID: String) async -> BatchLineResult? {
        let found: Place?
        do { found = try index.place(of: customID) } catch { return .failure(Self.unreadable(customID, index.path, error)) }
        guard let place = found else { return nil }
        let entry: JSONValue
        do {
            guard let handle = FileHandle(forReadingAtPath: place.file) else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: place.file]) }
            defer { try? handle.close() }
            try handle.seek(toOffset: place.offset)
            guard let data = try handle.read(upToCount: place.length), data.count == place.length else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: place.file])
            }
            entry = try JSONParser.parse(Array(data))
        } catch {
            return .failure(Self.unreadable(customID, place.file, error))
        }
        return await decode(entry)
    }

    private static func unreadable(_ customID: String, _ file: String, _ error: any Error) -> CallFailure {
        let directory = (file as NSString).deletingLastPathComponent
        var failure = CallFailure(.local_error, "cannot read the result of \(customID) from \(file): \(error); its line stays recorded for the next run")
        failure.localFault = Ledger.localFault(error, place: directory) ?? LocalFault(kind: .io, place: directory, reason: "\(error)")
        return failure
    }

    func discard() {
        for file in files { try? FileManager.default.removeItem(atPath: file) }
        index.discard()
    }
}
