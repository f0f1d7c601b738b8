import Foundation
import ImagePipe

/// BytePlus ModelArk's Seedream API: a JSON request, the image in `data[].b64_json` or at
/// `data[].url` (per `response_format`, `url` by default as the API does), `usage.generated_images`,
/// a refused image as `data[i].error`, errors as `{"error": {"code", "message"}}`.
/// A prompt with `[[output-refused]]` gets its image refused inside a 200 answer.
struct SeedreamWire: WireFormat {
    static let outputRefusedMarker = "[[output-refused]]"

    /// The request as read once: its prompt, size, whether it brings an image, and its
    /// `response_format`; nil when it is not JSON with a prompt.
    let request: (prompt: String, size: ImageSize?, hasImage: Bool)?
    let responseFormat: String
    /// Keeps an image and returns the URL it is served at (`response_format: url`).
    let publish: ([UInt8]) -> String

    init(body: [UInt8], publish: @escaping ([UInt8]) -> String) {
        self.publish = publish
        guard let json = try? JSONParser.parse(body), case .string(let prompt)? = json["prompt"] else {
            request = nil
            responseFormat = "url"
            return
        }
        var size: ImageSize?
        if case .string(let s)? = json["size"] { size = ImageSize(parsing: s) }
        var hasImage = false
        if case .string? = json["image"] { hasImage = true }
        if case .array(let images)? = json["image"] { hasImage = !images.isEmpty }
        request = (prompt, size, hasImage)
        if case .string(let format)? = json["response_format"] { responseFormat = format } else { responseFormat = "url" }
    }

    func parse(body: [UInt8], contentType: String?) -> (prompt: String, size: ImageSize?, hasImage: Bool)? { request }

    func keyAccepted(headers: [(String, String)], expected: String?) -> Bool {
        Self.bearerAccepted(headers, expected: expected)
    }

    func answer(_ decision: EmulatorDecision, image: () -> [UInt8], model: String) -> EmulatorAnswer {
        switch decision {
        case .image, .garbage:
            let item: JSONValue
            var generated = 1
            if request?.prompt.contains(Self.outputRefusedMarker) == true {
                item = .object([("error", .object([("code", .string("OutputImageSensitiveContentDetected")),
                                                   ("message", .string("The request failed because the output image may contain sensitive information."))]))])
                generated = 0
            } else if responseFormat == "b64_json" {
                item = .object([("b64_json", .string(Data(image()).base64EncodedString())), ("size", .string("emulated"))])
            } else {
                item = .object([("url", .string(publish(image()))), ("size", .string("emulated"))])
            }
            return EmulatorAnswer(status: 200, json: .object([
                ("model", .string(model)), ("created", .int(Int(Date().timeIntervalSince1970))), ("data", .array([item])),
                ("usage", .object([("generated_images", .int(generated)), ("output_tokens", .int(generated * 4096)), ("total_tokens", .int(generated * 4096))])),
            ]))
        case .block:
            return error(400, "InputTextSensitiveContentDetected", "The request failed because the input text may contain sensitive information.")
        case .unauthorized:
            return error(401, "AuthenticationError", "The API key in the request is missing or invalid.")
        case .status(429, let retryAfter):
            var answer = error(429, "ModelAccountIpmRateLimitExceeded", "Your account has exceeded the images-per-minute limit of the model. Please retry later.")
            if let retryAfter { answer.headers.append(("Retry-After", String(Int(retryAfter.rounded(.up))))) }
            return answer
        case .quotaExceeded(let reading):
            var answer = error(429, "RateLimitExceeded.EndpointRPMExceeded", "Your endpoint has exceeded its requests-per-minute limit of \(reading.perMinute).")
            answer.headers.append(("Retry-After", String(Int(reading.retryAfter.rounded(.up)))))
            return answer
        case .status(let status, _):
            return error(status, "InternalServiceError", "The service encountered an unexpected internal error.")
        case .hang:
            return error(500, "InternalServiceError", "unreachable")
        }
    }

    func malformed(_ why: String) -> EmulatorAnswer {
        error(400, "MissingParameter", why)
    }

    private func error(_ status: Int, _ code: String, _ message: String) -> EmulatorAnswer {
        EmulatorAnswer(status: status, json: .object([("error", .object([
            ("code", .string(code)), ("message", .string(message + " Request id: 0217000000000000emulated")), ("type", .string("BadRequest")),
        ]))]))
    }
}
