import Foundation
import ImagePipe

/// The Gemini API's `generateContent`: parts in, `inlineData` parts out, safety blocks as HTTP 200
/// with a `finishReason`, errors as `{"error": {"code", "message", "status", "details"}}`.
struct GeminiWire: WireFormat {
    func parse(body: [UInt8], contentType: String?) -> (prompt: String, size: ImageSize?, hasImage: Bool)? {
        guard let json = try? JSONParser.parse(body), case .array(let contents)? = json["contents"] else { return nil }
        var prompt = ""
        var hasImage = false
        for content in contents {
            guard case .array(let parts)? = content["parts"] else { continue }
            for part in parts {
                if case .string(let text)? = part["text"] { prompt += text }
                if let inline = part["inline_data"] ?? part["inlineData"], case .string(let data)? = inline["data"], !data.isEmpty { hasImage = true }
            }
        }
        guard !prompt.isEmpty else { return nil }
        // Gemini takes an aspect ratio and a tier, not pixels: answer as the 1K tier would.
        var size: ImageSize?
        if case .string(let ratio)? = json["generationConfig"]?["imageConfig"]?["aspectRatio"] {
            let parts = ratio.split(separator: ":").compactMap { Int($0) }
            if parts.count == 2, parts[0] > 0, parts[1] > 0 {
                size = parts[0] >= parts[1] ? ImageSize(width: 1024, height: 1024 * parts[1] / parts[0])
                                            : ImageSize(width: 1024 * parts[0] / parts[1], height: 1024)
            }
        }
        return (prompt, size, hasImage)
    }

    func keyAccepted(headers: [(String, String)], expected: String?) -> Bool {
        guard let expected else { return true }
        return Self.header(headers, "x-goog-api-key") == expected
    }

    func answer(_ decision: EmulatorDecision, image: () -> [UInt8], model: String) -> EmulatorAnswer {
        switch decision {
        case .image, .garbage:
            return EmulatorAnswer(status: 200, json: .object([
                ("candidates", .array([.object([
                    ("content", .object([("parts", .array([
                        .object([("text", .string("Here is the image.")), ("thought", .bool(true))]),
                        .object([("inlineData", .object([("mimeType", .string("image/png")), ("data", .string(Data(image()).base64EncodedString()))]))]),
                    ])), ("role", .string("model"))])),
                    ("finishReason", .string("STOP")), ("index", .int(0)),
                ])])),
                ("usageMetadata", .object([("promptTokenCount", .int(12)), ("candidatesTokenCount", .int(1290)), ("totalTokenCount", .int(1302))])),
                ("modelVersion", .string(model)),
            ]))
        case .block:
            return EmulatorAnswer(status: 200, json: .object([
                ("candidates", .array([.object([("finishReason", .string("IMAGE_SAFETY")), ("index", .int(0))])])),
                ("modelVersion", .string(model)),
            ]))
        case .unauthorized:
            return error(400, "API key not valid. Please pass a valid API key.", status: "INVALID_ARGUMENT", details: [.object([
                ("@type", .string("type.googleapis.com/google.rpc.ErrorInfo")), ("reason", .string("API_KEY_INVALID")), ("domain", .string("googleapis.com")),
            ])])
        case .status(429, let retryAfter):
            return error(429, "Resource has been exhausted (e.g. check quota).", status: "RESOURCE_EXHAUSTED", details: [.object([
                ("@type", .string("type.googleapis.com/google.rpc.RetryInfo")), ("retryDelay", .string("\(Int((retryAfter ?? 1).rounded(.up)))s")),
            ])])
        case .quotaExceeded(let reading):
            // Google states a per-minute quota and the wait in seconds (a protobuf Duration).
            return error(429, "You exceeded your current quota, please check your plan and billing details.", status: "RESOURCE_EXHAUSTED", details: [
                .object([("@type", .string("type.googleapis.com/google.rpc.QuotaFailure")), ("violations", .array([.object([
                    ("quotaMetric", .string("generativelanguage.googleapis.com/generate_content_requests")),
                    ("quotaId", .string("GenerateRequestsPerMinutePerProjectPerModel")),
                    ("quotaDimensions", .object([("location", .string("global")), ("model", .string(model))])),
                    ("quotaValue", .string(String(reading.perMinute))),
                ])]))]),
                .object([("@type", .string("type.googleapis.com/google.rpc.RetryInfo")), ("retryDelay", .string(String(format: "%.3fs", reading.retryAfter)))]),
            ])
        case .status(let code, _):
            return error(code, "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
                         status: code == 503 ? "UNAVAILABLE" : "INTERNAL", details: [])
        case .hang:
            return error(500, "unreachable", status: "INTERNAL", details: [])
        }
    }

    func malformed(_ why: String) -> EmulatorAnswer {
        error(400, why, status: "INVALID_ARGUMENT", details: [])
    }

    private func error(_ code: Int, _ message: String, status: String, details: [JSONValue]) -> EmulatorAnswer {
        var error: [(String, JSONValue)] = [("code", .int(code)), ("message", .string(message)), ("status", .string(status))]
        if !details.isEmpty { error.append(("details", .array(details))) }
        return EmulatorAnswer(status: code, json: .object([("error", .object(error))]))
    }
}
