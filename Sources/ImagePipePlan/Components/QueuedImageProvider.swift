import Foundation
import ImagePipeCore

/// A job a provider's queue accepted: what another process needs to ask after it, collect it or
/// cancel it (the URLs as the submit answered them: fal's differ from the submit path).
public struct RemoteJob: Sendable, Equatable {
    public var id: String
    public var statusURL: String
    /// Where the finished job's result is read; the status URL when the status carries it.
    public var resultURL: String
    public var cancelURL: String?

    public init(id: String, statusURL: String, resultURL: String, cancelURL: String?) {
        self.id = id
        self.statusURL = statusURL
        self.resultURL = resultURL
        self.cancelURL = cancelURL
    }

    /// As the ledger keeps it.
    public var json: String {
        var pairs: [(String, JSONValue)] = [("id", .string(id)), ("status_url", .string(statusURL)), ("result_url", .string(resultURL))]
        if let cancelURL { pairs.append(("cancel_url", .string(cancelURL))) }
        return JSONValue.object(pairs).serialized(pretty: false)
    }

    public init?(json text: String) {
        guard let json = try? JSONParser.parse(Array(text.utf8)),
              case .string(let id)? = json["id"], case .string(let status)? = json["status_url"], case .string(let result)? = json["result_url"]
        else { return nil }
        var cancel: String?
        if case .string(let c)? = json["cancel_url"] { cancel = c }
        self.init(id: id, statusURL: status, resultURL: result, cancelURL: cancel)
    }
}

/// What a submit gave: a job to wait for, or (a provider asked to wait a little) the image.
public enum RemoteSubmission: Sendable {
    case queued(RemoteJob)
    case finished(ProviderImage)
}

/// Where a job stands when asked.
public enum RemoteJobState: Sendable {
    /// Waiting its turn; `position` when the queue says it.
    case queued(position: Int?)
    case running
    case finished(ProviderImage)
    /// The provider ran it and it failed, or it expired or was cancelled: a new submit may help.
    case failed(CallFailure)
}

/// A provider that works through a queue (fal, Replicate): a paid submit answers with a job, and
/// the image comes later. The engine records the job before waiting, waits without holding a
/// concurrency slot, asks again when a status request fails (never submits again for that), and
/// re-attaches to the job after a crash.
public protocol QueuedImageProvider: ImageProvider {
    /// `webhook`: where the provider is to deliver the finished job (`run --listen`), or nil to be polled.
    func submit(_ request: ImageRequest, webhook: String?) async throws(CallFailure) -> RemoteSubmission
    /// One status request; a thrown failure is the request's (a 500, a timeout), not the job's.
    func poll(_ job: RemoteJob, timeout: Double) async throws(CallFailure) -> RemoteJobState
    /// A verified webhook delivery's body read as the job's state, so that its result needs no
    /// status request; nil when it cannot say (then the job is asked after as usual).
    func state(fromDelivery body: [UInt8], job: RemoteJob, timeout: Double) async -> RemoteJobState?
    /// Asks the provider to drop the job; true when it said it did (or the job had already ended).
    func cancel(_ job: RemoteJob, timeout: Double) async -> Bool
}

extension QueuedImageProvider {
    /// Outside the engine (a one-off call): submit, then ask every second until it ends.
    public func generate(_ request: ImageRequest) async throws(CallFailure) -> ProviderImage {
        switch try await submit(request, webhook: nil) {
        case .finished(let image): return image
        case .queued(let job):
            while true {
                do {
                    try await Task.sleep(for: .seconds(1))
                } catch {
                    throw CallFailure(.cancelled, "cancelled while waiting for job \(job.id)")
                }
                switch try await poll(job, timeout: request.timeout) {
                case .queued, .running: continue
                case .finished(let image): return image
                case .failed(let failure): throw failure
                }
            }
        }
    }
}
