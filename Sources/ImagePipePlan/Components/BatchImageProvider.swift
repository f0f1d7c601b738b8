import Foundation
import ImagePipeCore

/// A batch a provider accepted: its id, and the chunk id imagepipe named it by (sent as the
/// batch's metadata, so that a batch created just before a crash can be found again).
public struct RemoteBatch: Sendable, Equatable {
    public var id: String
    public var chunk: String

    public init(id: String, chunk: String) {
        self.id = id
        self.chunk = chunk
    }
}

/// Where a batch stands.
public enum BatchState: Sendable, Equatable {
    /// Still working; how many of its requests are done and failed so far.
    case running(status: String, completed: Int, failed: Int, total: Int)
    /// Ended (completed, expired or cancelled): its results are ready to read; `reason` says why
    /// requests without a result line have none, and `expired` whether the batch's window ran out.
    case ended(status: String, reason: String, expired: Bool = false)
    /// The whole batch was refused (its input did not validate).
    case failed(String)
}

/// One request's result in a batch: its image, or why it failed.
public typealias BatchLineResult = Result<ProviderImage, CallFailure>

/// An ended batch's results, read from its downloaded files as each unit asks for its own (a
/// batch of 1024² images runs to gigabytes: never all in memory at once).
public protocol BatchResultSet: Sendable {
    /// Whether the batch has a result line for this custom id.
    func has(_ customID: String) -> Bool
    func result(for customID: String) async -> BatchLineResult?
    /// Removes the downloaded files (the provider keeps its own copy).
    func discard()
}

/// The most one remote batch may hold.
public struct BatchLimits: Sendable {
    public var maxRequests: Int
    public var maxBytes: Int

    public init(maxRequests: Int, maxBytes: Int) {
        self.maxRequests = maxRequests
        self.maxBytes = maxBytes
    }
}

/// A provider with a batch API (OpenAI's Batch API, Gemini's Batch Mode): requests written as lines of one input,
/// submitted together at the batch price, collected when the batch ends and joined back on
/// their custom ids (never on order).
public protocol BatchImageProvider: ImageProvider {
    var batchLimits: BatchLimits { get }
    /// One request as a line of the batch's input (no newline).
    func batchLine(_ request: ImageRequest, customID: String) throws(CallFailure) -> [UInt8]
    /// Uploads the lines (the file `input`, `bytes` long, one newline-terminated line a request, read
    /// as it is sent) and creates the batch of `model`'s requests, named by `chunk`.
    func createBatch(input: String, bytes: Int, chunk: String, model: String, metadata: [(String, String)], timeout: Double) async throws(CallFailure) -> RemoteBatch
    /// The batch created under `chunk`, if there is one (after a crash between creating and recording it).
    func findBatch(chunk: String, timeout: Double) async throws(CallFailure) -> RemoteBatch?
    func batchState(_ batch: RemoteBatch, timeout: Double) async throws(CallFailure) -> BatchState
    /// An ended batch's result files, downloaded into `directory` and indexed by custom id.
    func batchResults(_ batch: RemoteBatch, directory: String, timeout: Double) async throws(CallFailure) -> any BatchResultSet
    func cancelBatch(_ batch: RemoteBatch, timeout: Double) async
}
