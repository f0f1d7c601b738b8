import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

/// Each provider's error answers, as the APIs document them, mapped to failure classes.
@Suite struct ProviderErrorTests {
    func reply(_ status: Int, _ body: String, headers: [(String, String)] = []) -> HTTPReply {
        HTTPReply(status: status, headers: headers, body: Array(body.utf8))
    }

    @Test func openAIErrors() {
        let blocked = OpenAIProvider.failure(reply(400, #"{"error":{"message":"Your request was rejected by the safety system.","type":"image_generation_user_error","param":null,"code":"moderation_blocked"}}"#))
        #expect(blocked.failureClass == .content_policy)
        #expect(blocked.message.contains("moderation_blocked"))
        let limited = OpenAIProvider.failure(reply(429, #"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#, headers: [("retry-after-ms", "250")]))
        #expect(limited.failureClass == .rate_limited)
        #expect(limited.retryAfter == 0.25)
        #expect(OpenAIProvider.failure(reply(429, #"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#)).failureClass == .auth)
        #expect(OpenAIProvider.failure(reply(401, #"{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}"#)).failureClass == .auth)
        #expect(OpenAIProvider.failure(reply(400, #"{"error":{"message":"Invalid size","type":"invalid_request_error","param":"size"}}"#)).failureClass == .bad_request)
        #expect(OpenAIProvider.failure(reply(502, "<html>Bad gateway</html>")).failureClass == .server_error)
    }

    @Test func geminiErrorsAndSafetyBlocks() throws {
        let key = GeminiProvider.failure(reply(400, #"{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}"#))
        #expect(key.failureClass == .auth)
        let exhausted = GeminiProvider.failure(reply(429, #"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"13s"}]}}"#))
        #expect(exhausted.failureClass == .rate_limited)
        #expect(exhausted.retryAfter == 13)
        #expect(GeminiProvider.failure(reply(503, #"{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}"#)).failureClass == .server_error)

        func answer(_ json: String) throws -> CallFailure? {
            let parsed = try JSONParser.parse(Array(json.utf8))
            do {
                _ = try GeminiProvider.image(in: parsed)
                return nil
            } catch {
                return error
            }
        }
        #expect(try answer(#"{"candidates":[{"finishReason":"IMAGE_SAFETY","index":0}]}"#)?.failureClass == .content_policy)
        #expect(try answer(#"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}}"#)?.failureClass == .content_policy)
        let textOnly = try answer(#"{"candidates":[{"content":{"parts":[{"text":"I can't draw that."}]},"finishReason":"STOP"}]}"#)
        #expect(textOnly?.failureClass == .content_policy)
        #expect(textOnly?.message.contains("I can't draw that.") == true)
        // Thought parts are skipped: the image after them is the answer.
        let png = Data(PlaceholderImage.png(prompt: "p", width: 8, height: 8)).base64EncodedString()
        #expect(try answer(#"{"candidates":[{"content":{"parts":[{"thought":true,"inlineData":{"mimeType":"image/png","data":"AAAA"}},{"inlineData":{"mimeType":"image/png","data":"\#(png)"}}]}}]}"#) == nil)
    }

    @Test func geminiAspectRatios() {
        func ratio(_ w: Int, _ h: Int) -> String? {
            GeminiProvider.aspectRatio(ImageRequest(stage: "s", key: "k", variant: 1, model: "m", prompt: "p", size: ImageSize(width: w, height: h),
                                                    outputPath: "/tmp/x", timeout: 1))
        }
        #expect(ratio(1024, 1024) == "1:1")
        #expect(ratio(1920, 1080) == "16:9")
        #expect(ratio(1000, 1500) == "2:3")
        #expect(ratio(256, 128) == "16:9")
    }
}
