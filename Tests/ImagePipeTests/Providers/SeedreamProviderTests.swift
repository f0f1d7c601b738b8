import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipePlan
import ImagePipeEmulator

/// `kind: seedream` against the emulator's ModelArk wire format over loopback: both answer
/// formats, a refused image inside a 200, errors by code, and what is sent.
@Suite struct SeedreamProviderTests {
    static func yaml(provider: String = "", stage: String = "size: 1024x1024") -> String {
        """
        version: 1
        name: seedream-test
        providers:
          ark: { kind: seedream, base_url: "{{BASE}}/api/v3", api_key: ark-test-key\(provider) }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate:
              from: products
              provider: ark
              model: seedream-5-0-260128
              prompt: "{{ name }}"
              \(stage)
              output: "hero/{{ sku }}.png"
              retry: { attempts: 3, initial: 10ms }
        """
    }

    static let csv = "sku,name\nA1,Red mug\nB2,[[output-refused]] Blue mug\nC3,[[block]] Green mug\nD4,[[fail:429x1]] Grey mug\nE5,[[fail:500x9]] Black mug\n"

    static func run(_ yaml: String) async throws -> (RunHarness.Outcome, [String: [String: Any]]) {
        var configuration = EmulatorConfiguration()
        configuration.apiKey = "ark-test-key"
        let run = try await RunHarness.run(yaml, files: ["products.csv": csv], emulator: configuration)
        let lines = Dictionary(run.lines(stage: "hero").map { ($0["key"] as! String, $0) }, uniquingKeysWith: { a, _ in a })
        return (run, lines)
    }

    @Test(arguments: ["", ", response_format: url"])
    func answersInBothFormatsAndEachErrorByItsCode(_ provider: String) async throws {
        let (run, lines) = try await Self.run(Self.yaml(provider: provider))
        #expect(lines["A1"]?["status"] as? String == "succeeded", "\(String(describing: lines["A1"]))")
        let bytes = try #require(FileManager.default.contents(atPath: run.directory.appendingPathComponent("out/hero/A1.png").path))
        #expect(throws: Never.self) { try ImageInspector.inspect(Array(bytes)) }
        #expect(lines["A1"]?["cost_usd"] as? Double == 0.035)
        // One image refused inside a 200 answer.
        #expect(lines["B2"]?["failure_class"] as? String == "content_policy")
        #expect((lines["B2"]?["message"] as? String ?? "").contains("OutputImageSensitiveContentDetected"))
        #expect(lines["C3"]?["failure_class"] as? String == "content_policy")
        #expect((lines["C3"]?["message"] as? String ?? "").contains("InputTextSensitiveContentDetected"))
        #expect(lines["C3"]?["attempts"] as? Int == 1, "a refusal is not sent again")
        #expect(lines["D4"]?["status"] as? String == "succeeded" && lines["D4"]?["attempts"] as? Int == 2, "a 429 is retried")
        #expect(lines["E5"]?["failure_class"] as? String == "server_error" && lines["E5"]?["attempts"] as? Int == 3)
        #expect((lines["E5"]?["message"] as? String ?? "").contains("InternalServiceError"))
    }

    @Test func aWrongKeyIsAnAuthFailure() async throws {
        let (_, lines) = try await Self.run(Self.yaml().replacingOccurrences(of: "api_key: ark-test-key", with: "api_key: wrong-key"))
        #expect(lines["A1"]?["failure_class"] as? String == "auth")
        #expect((lines["A1"]?["message"] as? String ?? "").contains("AuthenticationError"))
    }

    /// What goes over the wire, seen by the emulator's capture route standing in for ModelArk.
    @Test func theRequestSaysWhatThePipelineSays() async throws {
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let yaml = Self.yaml(stage: "aspect_ratio: \"16:9\"\n      resolution: 2K\n      seed: 7")
            .replacingOccurrences(of: "{{BASE}}/api/v3", with: "{{BASE}}/capture/ark")
        _ = try await RunHarness.run(yaml, files: ["products.csv": "sku,name\nA1,Red mug\n"], server: emulator)
        let request = try #require(emulator.stats.captured.first { $0.path == "/capture/ark/images/generations" })
        #expect(request.method == "POST")
        #expect(request.headers.contains { $0.0.lowercased() == "authorization" && $0.1 == "Bearer ark-test-key" })
        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
        #expect(body["model"] as? String == "seedream-5-0-260128")
        #expect(body["prompt"] as? String == "Red mug")
        #expect(body["size"] as? String == "2720x1520", "16:9 with 2K's pixel count")
        #expect(body["seed"] as? Int == 7)
        #expect(body["watermark"] as? Bool == false, "imagepipe's default, documented")
        #expect(body["response_format"] as? String == "b64_json")
    }

    @Test func eachDocumentedCodeHasItsClass() {
        let expected: [(String, Int, FailureClass)] = [
            ("InputTextSensitiveContentDetected", 400, .content_policy), ("OutputImageSensitiveContentDetected", 400, .content_policy),
            ("ModelAccountIpmRateLimitExceeded", 429, .rate_limited), ("RateLimitExceeded.EndpointRPMExceeded", 429, .rate_limited),
            ("ServerOverloaded", 429, .rate_limited), ("QuotaExceeded", 429, .auth), ("AuthenticationError", 401, .auth),
            ("AccountOverdueError", 403, .auth), ("AccessDenied", 403, .auth), ("InvalidEndpointOrModel.NotFound", 404, .bad_request),
            ("ModelNotOpen", 404, .bad_request), ("InvalidParameter", 400, .bad_request), ("MissingParameter", 400, .bad_request),
            ("InvalidImageURL.EmptyURL", 400, .bad_request), ("InternalServiceError", 500, .server_error), ("SomethingNew", 503, .server_error),
        ]
        for (code, status, failureClass) in expected {
            #expect(SeedreamProvider.failureClass(code: code, status: status) == failureClass, "\(code)")
        }
    }

    @Test func thePlanPricesSeedream() {
        let (checked, _) = Fixtures.validate(Self.yaml().replacingOccurrences(of: "{{BASE}}", with: "http://127.0.0.1:1"), files: ["products.csv": Self.csv])
        #expect(checked.isValid, "\(Fixtures.lines(checked))")
        let (wrong, _) = Fixtures.validate(Self.yaml(stage: "resolution: 1K\n      aspect_ratio: \"1:1\"").replacingOccurrences(of: "base_url: \"{{BASE}}/api/v3\", ", with: ""),
                                           files: ["products.csv": Self.csv])
        #expect(Fixtures.lines(wrong).contains { $0.contains("does not make resolution 1K") }, "\(Fixtures.lines(wrong))")
    }
}
