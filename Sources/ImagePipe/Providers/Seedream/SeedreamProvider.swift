import Foundation

/// Seedream on ModelArk: `POST {base_url}/images/generations` with a Bearer key, one image per
/// call; the image in `data[0].b64_json` or at `data[0].url` (downloaded at once: it expires), a
/// refused image as `data[0].error`, and errors as `{"error": {"code", "message"}}`.
struct SeedreamProvider: ImageProvider {
    let baseURL: String
    let apiKey: String?
    let transport: HTTPTransport
    let watermark: Bool
    let responseFormat: String

    func generate(_ request: ImageRequest) async throws(CallFailure) -> ProviderImage {
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        if let apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
        var body: [(String, JSONValue)] = [("model", .string(request.model)), ("prompt", .string(request.prompt))]
        if let size = request.size {
            body.append(("size", .string(size.description)))
        } else if let ratio = request.aspectRatio {
            body.append(("size", .string(Self.size(ratio: ratio, resolution: request.resolution).description)))
        } else if let resolution = request.resolution {
            body.append(("size", .string(resolution)))
        }
        if let seed = request.seed { body.append(("seed", .int(seed))) }
        if let input = request.inputImage {
            body.append(("image", .string(DataURI.encode(input))))
        }
        if let format = request.outputFormat, ["png", "jpeg"].contains(format) { body.append(("output_format", .string(format))) }
        body.append(("watermark", .bool(watermark)))
        body.append(("response_format", .string(responseFormat)))
        let reply = try await transport.send(.POST, baseURL + "/images/generations", headers: headers,
                                             body: Array(JSONValue.object(request.overlaid(body)).serialized(pretty: false).utf8), timeout: request.timeout)
        guard (200..<300).contains(reply.status) else { throw Self.failure(reply) }
        guard case .array(let data)? = reply.json?["data"], let first = data.first else {
            throw CallFailure(.invalid_output, "the answer has no data[] with an image")
        }
        if let error = first["error"] {
            // One image refused inside a successful answer: moderation, or the service failing it.
            throw Self.failure(code: error["code"]?.stringValue ?? "", message: error["message"]?.stringValue ?? "", status: reply.status, headers: reply.headers)
        }
        return try await ImagePayload.image(in: first, transport: transport, timeout: request.timeout)
    }

    /// An aspect ratio at a resolution tier: the tier's pixel count (2K is 2048² pixels) in that
    /// shape, in multiples of 16.
    static func size(ratio: AspectRatio, resolution: String?) -> ImageSize {
        let side: Double = ["1K": 1024, "2K": 2048, "4K": 4096][resolution ?? "2K"] ?? 2048
        let shape = Double(ratio.width) / Double(ratio.height)
        let width = max(16, Int((side * side * shape).squareRoot() / 16) * 16)
        let height = max(16, Int(Double(width) / shape / 16) * 16)
        return ImageSize(width: width, height: height)
    }

    /// ModelArk's error JSON mapped to a class by its code, else by the status.
    static func failure(_ reply: HTTPReply) -> CallFailure {
        let error = reply.json?["error"]
        return failure(code: error?["code"]?.stringValue ?? "", message: error?["message"]?.stringValue ?? "", status: reply.status, headers: reply.headers)
    }

    static func failure(code: String, message: String, status: Int, headers: [(String, String)]) -> CallFailure {
        var text = "HTTP \(status)"
        if !message.isEmpty { text += ": " + message }
        if !code.isEmpty { text += " (\(code))" }
        return CallFailure(failureClass(code: code, status: status), text, retryAfter: RetryAfter.seconds(headers: headers), status: status)
    }

    /// The documented codes (ModelArk's error-code table); an unknown code falls back to the status.
    static func failureClass(code: String, status: Int) -> FailureClass {
        switch code {
        case "InputTextSensitiveContentDetected", "OutputImageSensitiveContentDetected", "InputImageSensitiveContentDetected",
             "SensitiveContentDetected":
            return .content_policy
        case "ModelAccountIpmRateLimitExceeded", "RateLimitExceeded.EndpointRPMExceeded", "RateLimitExceeded.EndpointTPMExceeded",
             "ModelAccountRpmRateLimitExceeded", "ServerOverloaded":
            return .rate_limited
        case "QuotaExceeded", "AuthenticationError", "AccountOverdueError", "AccessDenied":
            return .auth
        case "InvalidEndpointOrModel.NotFound", "ModelNotOpen", "InvalidParameter", "MissingParameter":
            return .bad_request
        case "InternalServiceError":
            return .server_error
        default:
            if code.hasPrefix("InvalidImageURL") { return .bad_request }
            return status == 200 ? .invalid_output : FailureClass.of(status: status)
        }
    }
}
