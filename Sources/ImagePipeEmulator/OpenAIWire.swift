import Foundation
import ImagePipe

/// OpenAI's Images API: JSON for generations, multipart for edits, errors as
/// `{"error": {"message", "type", "param", "code"}}`.
struct OpenAIWire: WireFormat {
    func parse(body: [UInt8], contentType: String?) -> (prompt: String, size: ImageSize?, hasImage: Bool)? {
        if let contentType, contentType.hasPrefix("multipart/form-data") {
            guard let boundary = contentType.components(separatedBy: "boundary=").last, !boundary.isEmpty else { return nil }
            let fields = MultipartParser.parse(body, boundary: boundary)
            guard let prompt = fields.first(where: { $0.name == "prompt" }).map({ String(decoding: $0.data, as: UTF8.self) }) else { return nil }
            let hasImage = fields.contains { ($0.name == "image" || $0.name == "image[]") && !$0.data.isEmpty }
            let size = fields.first { $0.name == "size" }.flatMap { ImageSize(parsing: String(decoding: $0.data, as: UTF8.self)) }
            return (prompt, size, hasImage)
        }
        guard let json = try? JSONParser.parse(body), case .string(let prompt)? = json["prompt"] else { return nil }
        var size: ImageSize?
        if case .string(let s)? = json["size"] { size = ImageSize(parsing: s) }
        return (prompt, size, false)
    }

    func keyAccepted(headers: [(String, String)], expected: String?) -> Bool {
        Self.bearerAccepted(headers, expected: expected)
    }

    func answer(_ decision: EmulatorDecision, image: () -> [UInt8], model: String) -> EmulatorAnswer {
        switch decision {
        case .image, .garbage:
            return EmulatorAnswer(status: 200, json: .object([
                ("created", .int(Int(Date().timeIntervalSince1970))),
                ("data", .array([.object([("b64_json", .string(Data(image()).base64EncodedString()))])])),
                ("usage", .object([("input_tokens", .int(50)), ("output_tokens", .int(272)), ("total_tokens", .int(322))])),
            ]))
        case .block:
            return error(400, "Your request was rejected as a result of our safety system.", type: "image_generation_user_error", code: "moderation_blocked")
        case .unauthorized:
            return error(401, "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
                         type: "invalid_request_error", code: "invalid_api_key")
        case .status(429, let retryAfter):
            let wait = retryAfter ?? 1
            var answer = error(429, "Rate limit reached for requests. Please try again in \(wait)s.", type: "requests", code: "rate_limit_exceeded")
            answer.headers += [("Retry-After", String(Int(wait.rounded(.up)))), ("retry-after-ms", String(Int(wait * 1000)))]
            return answer
        case .quotaExceeded(let reading):
            let wait = reading.retryAfter
            var answer = error(429, "Rate limit reached for images per min (RPM): Limit \(reading.perMinute), Used \(reading.perMinute), Requested 1. "
                               + "Please try again in \(EmulatorQuota.goDuration(wait)).", type: "requests", code: "rate_limit_exceeded")
            answer.headers += [("Retry-After", String(Int(wait.rounded(.up)))), ("retry-after-ms", String(Int((wait * 1000).rounded(.up))))]
            return answer
        case .status(let status, _):
            return error(status, "The server had an error while processing your request. Sorry about that!", type: "server_error", code: nil)
        case .hang:
            return error(500, "unreachable", type: "server_error", code: nil)
        }
    }

    func malformed(_ why: String) -> EmulatorAnswer {
        error(400, why, type: "invalid_request_error", code: nil)
    }

    /// OpenAI's rate headers: the bucket's size, what is left, and how long until it is full.
    func rateHeaders(_ reading: EmulatorQuota.Reading) -> [(String, String)] {
        [("x-ratelimit-limit-requests", String(reading.limit)),
         ("x-ratelimit-remaining-requests", String(reading.remaining)),
         ("x-ratelimit-reset-requests", EmulatorQuota.goDuration(reading.resetSeconds))]
    }

    private func error(_ status: Int, _ message: String, type: String, code: String?) -> EmulatorAnswer {
        EmulatorAnswer(status: status, json: .object([("error", .object([
            ("message", .string(message)), ("type", .string(type)), ("param", .null), ("code", code.map { .string($0) } ?? .null),
        ]))]))
    }
}
