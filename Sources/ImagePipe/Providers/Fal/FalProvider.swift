import Foundation

/// fal.ai's queue: `POST {base_url}/{model}` with `Authorization: Key …` answers with
/// `request_id`, `status_url`, `response_url` and `cancel_url`, used as given (their path is the
/// model's owner and alias only, not the submit path). A status is `IN_QUEUE` (with
/// `queue_position`), `IN_PROGRESS` or `COMPLETED`; a failed request is `COMPLETED` with `error`
/// and `error_type`. The result's `images[0].url` is downloaded at once.
struct FalProvider: QueuedImageProvider {
    let baseURL: String
    let apiKey: String?
    let transport: HTTPTransport

    private var headers: [(String, String)] {
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        if let apiKey { headers.append(("Authorization", "Key \(apiKey)")) }
        return headers
    }

    func submit(_ request: ImageRequest, webhook: String?) async throws(CallFailure) -> RemoteSubmission {
        var input: [(String, JSONValue)] = [("prompt", .string(request.prompt))]
        if let negative = request.negativePrompt { input.append(("negative_prompt", .string(negative))) }
        if let size = request.size {
            input.append(("image_size", .object([("width", .int(size.width)), ("height", .int(size.height))])))
        }
        if let ratio = request.aspectRatio { input.append(("aspect_ratio", .string(ratio.description))) }
        if let resolution = request.resolution { input.append(("resolution", .string(resolution))) }
        if let seed = request.seed { input.append(("seed", .int(seed))) }
        input.append(("num_images", .int(1)))
        if let format = request.outputFormat { input.append(("output_format", .string(format))) }
        if let image = request.inputImage { input.append(("image_urls", .array([.string(DataURI.encode(image))]))) }
        let body = Array(JSONValue.object(request.overlaid(input)).serialized(pretty: false).utf8)
        var url = baseURL + "/" + request.model
        if let webhook { url += "?fal_webhook=" + URLValueEncoding.component(webhook) }
        let reply = try await transport.send(.POST, url, headers: headers, body: body, timeout: request.timeout)
        guard (200..<300).contains(reply.status) else { throw Self.failure(reply, doing: "the submit") }
        guard let json = reply.json, case .string(let id)? = json["request_id"] else {
            throw CallFailure(.invalid_output, "the submit's answer has no request_id")
        }
        // Older answers lack the URLs: the status path is the model's owner/alias, not the submit path.
        let app = request.model.split(separator: "/").prefix(2).joined(separator: "/")
        let requestURL = baseURL + "/" + app + "/requests/" + id
        return .queued(RemoteJob(id: id, statusURL: json["status_url"]?.stringValue ?? requestURL + "/status",
                                 resultURL: json["response_url"]?.stringValue ?? requestURL,
                                 cancelURL: json["cancel_url"]?.stringValue ?? requestURL + "/cancel"))
    }

    func poll(_ job: RemoteJob, timeout: Double) async throws(CallFailure) -> RemoteJobState {
        let reply = try await transport.send(.GET, job.statusURL, headers: headers, timeout: timeout)
        guard (200..<300).contains(reply.status) else { throw Self.failure(reply, doing: "a status request") }
        guard let json = reply.json, let status = json["status"]?.stringValue else {
            throw CallFailure(.invalid_output, "a status answer has no status")
        }
        switch status {
        case "IN_QUEUE":
            if case .int(let position)? = json["queue_position"] { return .queued(position: position) }
            return .queued(position: nil)
        case "IN_PROGRESS":
            return .running
        case "COMPLETED":
            if let error = json["error"], error != .null {
                return .failed(Self.jobFailure(message: error.stringValue ?? error.serialized(pretty: false), type: json["error_type"]?.stringValue))
            }
            return try await result(job, timeout: timeout)
        default:
            throw CallFailure(.invalid_output, "a status answer says '\(status)', which fal does not document")
        }
    }

    /// A completed request's output: its first image, downloaded.
    private func result(_ job: RemoteJob, timeout: Double) async throws(CallFailure) -> RemoteJobState {
        let reply = try await transport.send(.GET, job.resultURL, headers: headers, timeout: timeout)
        if (400..<500).contains(reply.status), reply.status != 429, reply.status != 408, ![401, 403].contains(reply.status) {
            // The request itself failed (a validation error in the model's input): not a problem of asking.
            return .failed(Self.failure(reply, doing: "the request"))
        }
        guard (200..<300).contains(reply.status) else { throw Self.failure(reply, doing: "reading the result") }
        guard case .array(let images)? = reply.json?["images"], let first = images.first, let url = first["url"]?.stringValue else {
            return .failed(CallFailure(.invalid_output, "the result of request \(job.id) has no images[0].url"))
        }
        return .finished(try await Self.download(url, transport: transport, timeout: timeout))
    }

    /// fal's delivery: `{request_id, status: OK|ERROR, payload, error}`, the payload being the
    /// model's output (its `images[0].url` downloaded).
    func state(fromDelivery body: [UInt8], job: RemoteJob, timeout: Double) async -> RemoteJobState? {
        guard let json = try? JSONParser.parse(body), json["request_id"]?.stringValue == job.id else { return nil }
        switch json["status"]?.stringValue {
        case "OK":
            guard case .array(let images)? = json["payload"]?["images"], let url = images.first?["url"]?.stringValue else { return nil }
            return try? .finished(await Self.download(url, transport: transport, timeout: timeout))
        case "ERROR":
            let error = json["error"]?.stringValue ?? "no reason given"
            return .failed(Self.jobFailure(message: error, type: json["error_type"]?.stringValue ?? json["payload"]?["error_type"]?.stringValue))
        default:
            return nil
        }
    }

    func cancel(_ job: RemoteJob, timeout: Double) async -> Bool {
        guard let url = job.cancelURL, let reply = try? await transport.send(.PUT, url, headers: headers, timeout: timeout) else { return false }
        // 202 CANCELLATION_REQUESTED, or 400 ALREADY_COMPLETED: either way nothing waits there any more.
        return (200..<300).contains(reply.status) || reply.json?["status"]?.stringValue == "ALREADY_COMPLETED"
    }

    /// An image at a URL, or inline as a `data:` URI (fal's `sync_mode`).
    static func download(_ url: String, transport: HTTPTransport, timeout: Double) async throws(CallFailure) -> ProviderImage {
        if url.hasPrefix("data:") {
            guard let bytes = DataURI.decode(url) else { throw CallFailure(.invalid_output, "the image's data URI is not valid base64") }
            return ProviderImage(bytes: bytes)
        }
        let download = try await transport.send(.GET, url, timeout: timeout)
        guard download.status == 200 else {
            // No `status`: a 404 here is the image file's, not the job's (which would be submitted again).
            throw CallFailure(FailureClass.of(status: download.status), "downloading the image answered HTTP \(download.status)")
        }
        return ProviderImage(bytes: download.body)
    }

    /// An HTTP error: `{"detail": …}`, with `error_type` in the body or `x-fal-error-type`.
    static func failure(_ reply: HTTPReply, doing what: String) -> CallFailure {
        let json = reply.json
        var detail = ""
        if let d = json?["detail"] { detail = d.stringValue ?? d.serialized(pretty: false) }
        let type = json?["error_type"]?.stringValue ?? HeaderList.value("x-fal-error-type", in: reply.headers)
        var message = "\(what) answered HTTP \(reply.status)"
        if !detail.isEmpty { message += ": " + detail }
        if let type { message += " (\(type))" }
        var failureClass = FailureClass.of(status: reply.status)
        if let type, let typed = typeClass(type) { failureClass = typed }
        return CallFailure(failureClass, message, retryAfter: RetryAfter.seconds(headers: reply.headers), status: reply.status)
    }

    static func jobFailure(message: String, type: String?) -> CallFailure {
        let failureClass = type.flatMap(typeClass) ?? .server_error
        return CallFailure(failureClass, "the request failed at fal: " + message + (type.map { " (\($0))" } ?? ""))
    }

    /// fal's `error_type`s, by what they say.
    private static func typeClass(_ type: String) -> FailureClass? {
        let lower = type.lowercased()
        if lower.contains("content_policy") || lower.contains("nsfw") { return .content_policy }
        if lower.contains("timeout") { return .timeout }
        if lower.contains("validation") || lower.contains("too_large") || lower.contains("unprocessable") { return .bad_request }
        if lower.contains("rate") { return .rate_limited }
        return nil
    }
}
