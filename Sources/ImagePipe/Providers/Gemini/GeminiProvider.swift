import Foundation

/// The Gemini API's `generateContent` with image output: `x-goog-api-key`, the prompt (and for
/// `edit` the input image) as parts, images back as `inlineData` parts. Safety blocks arrive
/// as HTTP 200 without an image.
struct GeminiProvider: ImageProvider {
    let baseURL: String
    let apiKey: String?
    let transport: HTTPTransport
    /// Batch Mode: the largest create request with its requests inline (Google's limit); a
    /// larger batch goes up as a file.
    var inlineLimit = 20_000_000

    static let aspectRatios = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]
    static let blockReasons: Set<String> = ["SAFETY", "IMAGE_SAFETY", "PROHIBITED_CONTENT", "IMAGE_PROHIBITED_CONTENT", "BLOCKLIST",
                                            "SPII", "RECITATION", "IMAGE_RECITATION", "IMAGE_OTHER", "NO_IMAGE", "OTHER"]

    func generate(_ request: ImageRequest) async throws(CallFailure) -> ProviderImage {
        var headers = [("Content-Type", "application/json")]
        if let apiKey { headers.append(("x-goog-api-key", apiKey)) }
        let reply = try await transport.send(.POST, "\(baseURL)/v1beta/models/\(Self.pathModel(request.model)):generateContent", headers: headers,
                                             body: Array(Self.body(request).serialized(pretty: false).utf8), timeout: request.timeout)
        guard reply.status == 200 else { throw Self.failure(reply) }
        guard let answer = reply.json else { throw CallFailure(.invalid_output, "the answer is not JSON") }
        return try Self.image(in: answer)
    }

    /// The model as a path segment.
    static func pathModel(_ model: String) -> String {
        model.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? model
    }

    /// A `GenerateContentRequest`: the prompt (and an edit's input image) as parts, the image
    /// settings in `generationConfig`; the same for a call and for a batch line.
    static func body(_ request: ImageRequest) -> JSONValue {
        var parts: [JSONValue] = [.object([("text", .string(request.prompt))])]
        if let input = request.inputImage {
            let mime = (try? ImageInspector.inspect(input))?.format.mimeType ?? "image/png"
            parts.append(.object([("inline_data", .object([("mime_type", .string(mime)), ("data", .string(Data(input).base64EncodedString()))]))]))
        }
        var imageConfig: [(String, JSONValue)] = []
        if let ratio = Self.aspectRatio(request) { imageConfig.append(("aspectRatio", .string(ratio))) }
        if let resolution = request.resolution { imageConfig.append(("imageSize", .string(resolution))) }
        var generation: [(String, JSONValue)] = [("responseModalities", .array([.string("TEXT"), .string("IMAGE")]))]
        if !imageConfig.isEmpty { generation.append(("imageConfig", .object(imageConfig))) }
        if let seed = request.seed { generation.append(("seed", .int(seed))) }
        return .object([
            ("contents", .array([.object([("role", .string("user")), ("parts", .array(parts))])])),
            ("generationConfig", .object(request.overlaid(generation))),
        ])
    }

    /// The first non-thought inline image of the first candidate, or why there is none.
    static func image(in answer: JSONValue) throws(CallFailure) -> ProviderImage {
        if case .string(let reason)? = answer["promptFeedback"]?["blockReason"] {
            throw CallFailure(.content_policy, "the prompt was blocked (\(reason))")
        }
        guard case .array(let candidates)? = answer["candidates"], let candidate = candidates.first else {
            throw CallFailure(.content_policy, "the answer has no candidates (no image)")
        }
        if case .array(let parts)? = candidate["content"]?["parts"] {
            for part in parts {
                if case .bool(true)? = part["thought"] { continue }
                guard let inline = part["inlineData"] ?? part["inline_data"], case .string(let data)? = inline["data"] else { continue }
                guard let bytes = Data(base64Encoded: data) else { throw CallFailure(.invalid_output, "inlineData.data is not valid base64") }
                return ProviderImage(bytes: Array(bytes))
            }
        }
        var reason = "no reason given"
        if case .string(let r)? = candidate["finishReason"] { reason = r }
        var text = ""
        if case .array(let parts)? = candidate["content"]?["parts"] {
            for part in parts { if case .string(let t)? = part["text"], part["thought"] == nil { text += t } }
        }
        let said = text.isEmpty ? "" : ": \"\(text.prefix(200))\""
        throw CallFailure(.content_policy, "the answer has no image (finishReason \(reason))\(said)")
    }

    /// The aspect ratio to ask for: the stage's, or its size reduced, or the nearest supported.
    static func aspectRatio(_ r: ImageRequest) -> String? {
        if let ratio = r.aspectRatio { return ratio.description }
        guard let size = r.size else { return nil }
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let g = gcd(size.width, size.height)
        let exact = "\(size.width / g):\(size.height / g)"
        if aspectRatios.contains(exact) { return exact }
        let target = Double(size.width) / Double(size.height)
        return aspectRatios.min { a, b in
            func value(_ s: String) -> Double { let p = s.split(separator: ":"); return Double(p[0])! / Double(p[1])! }
            return abs(log(value(a) / target)) < abs(log(value(b) / target))
        }
    }

    /// Google's error JSON, `{"error": {"code", "message", "status", "details"}}`, mapped to a class.
    static func failure(_ reply: HTTPReply) -> CallFailure {
        let json = reply.json
        var message = "HTTP \(reply.status)"
        if case .string(let text)? = json?["error"]?["message"] { message += ": " + text }
        var status = ""
        if case .string(let s)? = json?["error"]?["status"] { status = s; message += " (\(s))" }
        var failureClass = FailureClass.of(status: reply.status)
        let serialized = json?.serialized(pretty: false) ?? ""
        if status == "UNAUTHENTICATED" || status == "PERMISSION_DENIED" || serialized.contains("API_KEY_INVALID") {
            failureClass = .auth
        }
        let wait = RetryAfter.seconds(googleError: json) ?? RetryAfter.seconds(headers: reply.headers)
        return CallFailure(failureClass, message, retryAfter: wait, status: reply.status)
    }
}
