import Foundation

/// Replicate's predictions: `POST …/predictions` with a Bearer token and `{"input": …}`;
/// `Prefer: wait=N` lets a quick prediction answer at once, else it is polled at `urls.get`.
/// Statuses `starting`, `processing`, `succeeded`, `failed`, `canceled`, `aborted`; `output` is a
/// URL or a list of them (deleted after an hour: downloaded at once); errors are RFC 7807
/// problem documents.
struct ReplicateProvider: QueuedImageProvider {
    let baseURL: String
    let apiKey: String?
    let transport: HTTPTransport
    /// Seconds a submit asks Replicate to hold its answer (`Prefer: wait`).
    let syncWait: Double

    private var headers: [(String, String)] {
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        if let apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
        return headers
    }

    func submit(_ request: ImageRequest, webhook: String?) async throws(CallFailure) -> RemoteSubmission {
        var input: [(String, JSONValue)] = [("prompt", .string(request.prompt))]
        if let negative = request.negativePrompt { input.append(("negative_prompt", .string(negative))) }
        if let size = request.size {
            input.append(("width", .int(size.width)))
            input.append(("height", .int(size.height)))
        }
        if let ratio = request.aspectRatio { input.append(("aspect_ratio", .string(ratio.description))) }
        if let resolution = request.resolution { input.append(("resolution", .string(resolution))) }
        if let seed = request.seed { input.append(("seed", .int(seed))) }
        if let format = request.outputFormat { input.append(("output_format", .string(format))) }
        if let image = request.inputImage { input.append(("image_input", .array([.string(DataURI.encode(image))]))) }
        var body: [(String, JSONValue)] = [("input", .object(request.overlaid(input)))]
        if let webhook {
            body.append(("webhook", .string(webhook)))
            body.append(("webhook_events_filter", .array([.string("completed")])))
        }
        let url: String
        let parts = request.model.split(separator: ":", maxSplits: 1)
        if parts.count == 2 {
            url = baseURL + "/predictions"
            body.insert(("version", .string(String(parts[1]))), at: 0)
        } else {
            url = baseURL + "/models/" + request.model + "/predictions"
        }
        var headers = headers
        // Replicate takes 1 to 60 seconds; the wait must also end well inside the request's timeout.
        let wait = Int(min(syncWait, 60, request.timeout - 1).rounded(.down))
        if wait >= 1 { headers.append(("Prefer", "wait=\(wait)")) }
        let reply = try await transport.send(.POST, url, headers: headers, body: Array(JSONValue.object(body).serialized(pretty: false).utf8),
                                             timeout: request.timeout)
        guard (200..<300).contains(reply.status) else { throw Self.failure(reply, doing: "the submit") }
        guard let prediction = reply.json, let id = prediction["id"]?.stringValue else {
            throw CallFailure(.invalid_output, "the submit's answer has no prediction id")
        }
        let get = prediction["urls"]?["get"]?.stringValue ?? baseURL + "/predictions/" + id
        let job = RemoteJob(id: id, statusURL: get, resultURL: get, cancelURL: prediction["urls"]?["cancel"]?.stringValue ?? get + "/cancel")
        // A prediction that finished within `Prefer: wait` is paid: if its image cannot be read now,
        // it is recorded and collected like any job rather than submitted again.
        switch try? await state(of: prediction, job: job, timeout: request.timeout) {
        case .finished(let image)?: return .finished(image)
        case .failed(let failure)?: throw failure
        default: return .queued(job)
        }
    }

    func poll(_ job: RemoteJob, timeout: Double) async throws(CallFailure) -> RemoteJobState {
        let reply = try await transport.send(.GET, job.statusURL, headers: headers, timeout: timeout)
        guard (200..<300).contains(reply.status) else { throw Self.failure(reply, doing: "a status request") }
        guard let prediction = reply.json else { throw CallFailure(.invalid_output, "a status answer is not JSON") }
        return try await state(of: prediction, job: job, timeout: timeout)
    }

    /// Replicate's delivery is the prediction itself, as a status request would answer.
    func state(fromDelivery body: [UInt8], job: RemoteJob, timeout: Double) async -> RemoteJobState? {
        guard let prediction = try? JSONParser.parse(body), prediction["id"]?.stringValue == job.id else { return nil }
        return try? await state(of: prediction, job: job, timeout: timeout)
    }

    func cancel(_ job: RemoteJob, timeout: Double) async -> Bool {
        guard let url = job.cancelURL, let reply = try? await transport.send(.POST, url, headers: headers, timeout: timeout) else { return false }
        return (200..<300).contains(reply.status)
    }

    /// Where a prediction stands; a finished one's first output downloaded.
    private func state(of prediction: JSONValue, job: RemoteJob, timeout: Double) async throws(CallFailure) -> RemoteJobState {
        switch prediction["status"]?.stringValue ?? "" {
        case "starting": return .queued(position: nil)
        case "processing": return .running
        case "succeeded":
            let url: String?
            switch prediction["output"] {
            case .string(let s)?: url = s
            case .array(let list)?: url = list.lazy.compactMap(\.stringValue).first
            default: url = nil
            }
            guard let url else { return .failed(CallFailure(.invalid_output, "prediction \(job.id) succeeded without an output URL")) }
            return .finished(try await FalProvider.download(url, transport: transport, timeout: timeout))
        case "failed":
            let message = prediction["error"]?.stringValue ?? "no reason given"
            return .failed(CallFailure(Self.errorClass(message), "prediction \(job.id) failed at Replicate: \(message)"))
        case "canceled", "aborted":
            return .failed(CallFailure(.server_error, "prediction \(job.id) was \(prediction["status"]?.stringValue ?? "") at Replicate"))
        case let other:
            throw CallFailure(.invalid_output, "prediction \(job.id) has status '\(other)', which Replicate does not document")
        }
    }

    /// A failed prediction's error text: safety filters refuse content; the rest may pass on a new try.
    static func errorClass(_ message: String) -> FailureClass {
        let lower = message.lowercased()
        if lower.contains("nsfw") || lower.contains("sensitive") || lower.contains("safety") || lower.contains("flagged") { return .content_policy }
        if lower.contains("invalid") || lower.contains("validation") { return .bad_request }
        return .server_error
    }

    /// An RFC 7807 problem document (`title`, `detail`, `status`), classed by the status.
    static func failure(_ reply: HTTPReply, doing what: String) -> CallFailure {
        let json = reply.json
        var message = "\(what) answered HTTP \(reply.status)"
        if let title = json?["title"]?.stringValue { message += ": " + title }
        if let detail = json?["detail"]?.stringValue { message += (json?["title"]?.stringValue == nil ? ": " : " — ") + detail }
        var failureClass = FailureClass.of(status: reply.status)
        if reply.status == 422 {
            // Input validation: a safety checker's refusal says so in its detail.
            failureClass = errorClass(json?["detail"]?.stringValue ?? "") == .content_policy ? .content_policy : .bad_request
        }
        return CallFailure(failureClass, message, retryAfter: RetryAfter.seconds(headers: reply.headers), status: reply.status)
    }
}
