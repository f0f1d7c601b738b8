import Foundation

/// OpenAI's Images API: `POST /images/generations` (JSON) and `POST /images/edits` (multipart),
/// Bearer key, images in `data[].b64_json` or `data[].url`.
struct OpenAIProvider: ImageProvider {
    let baseURL: String
    let apiKey: String?
    let transport: HTTPTransport

    func generate(_ request: ImageRequest) async throws(CallFailure) -> ProviderImage {
        var headers: [(String, String)] = []
        if let apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
        let reply: HTTPReply
        if let input = request.inputImage {
            var form = MultipartForm()
            form.add("model", request.model)
            form.add("prompt", request.prompt)
            form.add("n", "1")
            for (name, value) in options(request) { form.add(name, value) }
            let format = (try? ImageInspector.inspect(input))?.format ?? .png
            let filename = request.inputImagePath.map { ($0 as NSString).lastPathComponent } ?? "image.\(format.fileExtension)"
            form.addFile("image", filename: filename, contentType: format.mimeType, bytes: input)
            headers.append(("Content-Type", form.contentType))
            reply = try await transport.send(.POST, baseURL + "/images/edits", headers: headers, body: form.finish(), timeout: request.timeout)
        } else {
            headers.append(("Content-Type", "application/json"))
            reply = try await transport.send(.POST, baseURL + "/images/generations", headers: headers,
                                             body: Array(generationBody(request).serialized(pretty: false).utf8), timeout: request.timeout)
        }
        guard reply.status == 200 else { throw Self.failure(reply) }
        guard case .array(let data)? = reply.json?["data"], let first = data.first else {
            throw CallFailure(.invalid_output, "the answer has no data[] with an image")
        }
        return try await ImagePayload.image(in: first, transport: transport, timeout: request.timeout)
    }

    /// `POST /images/generations`'s JSON body, as sent and as a batch line's `body`.
    func generationBody(_ request: ImageRequest) -> JSONValue {
        var body: [(String, JSONValue)] = [("model", .string(request.model)), ("prompt", .string(request.prompt)), ("n", .int(1))]
        body += options(request).map { ($0.0, .string($0.1)) }
        return .object(request.overlaid(body))
    }

    /// The optional parameters this request sets, in the API's names.
    private func options(_ r: ImageRequest) -> [(String, String)] {
        var out: [(String, String)] = []
        if let size = r.size { out.append(("size", size.description)) }
        else if let ratio = r.aspectRatio { out.append(("size", Self.size(for: ratio))) }
        if let quality = r.quality { out.append(("quality", quality)) }
        if let format = r.outputFormat { out.append(("output_format", format)) }
        if let background = r.background { out.append(("background", background)) }
        // DALL·E answers with URLs unless asked; the gpt-image models always send base64 and reject the key.
        if r.model.hasPrefix("dall-e") { out.append(("response_format", "b64_json")) }
        return out
    }

    /// The gpt-image size nearest to an aspect ratio.
    static func size(for ratio: AspectRatio) -> String {
        if ratio.width == ratio.height { return "1024x1024" }
        return ratio.width > ratio.height ? "1536x1024" : "1024x1536"
    }

    /// OpenAI's error JSON, `{"error": {"message", "type", "code"}}`, mapped to a class.
    static func failure(_ reply: HTTPReply) -> CallFailure {
        failure(status: reply.status, body: reply.json, headers: reply.headers)
    }

    /// The same for an answer read elsewhere (a batch's result line).
    static func failure(status: Int, body: JSONValue?, headers: [(String, String)] = []) -> CallFailure {
        let error = body?["error"]
        var message = "HTTP \(status)"
        if case .string(let text)? = error?["message"] { message += ": " + text }
        var code = ""
        if case .string(let c)? = error?["code"] { code = c }
        if case .string(let t)? = error?["type"], code.isEmpty { code = t }
        if !code.isEmpty { message += " (\(code))" }
        var failureClass = FailureClass.of(status: status)
        switch code {
        case "moderation_blocked", "content_policy_violation":
            failureClass = .content_policy
        case "image_generation_user_error" where message.contains("safety"):
            failureClass = .content_policy
        case "insufficient_quota", "billing_hard_limit_reached", "invalid_api_key":
            failureClass = .auth
        default:
            break
        }
        return CallFailure(failureClass, message, retryAfter: RetryAfter.seconds(headers: headers), status: status)
    }
}
