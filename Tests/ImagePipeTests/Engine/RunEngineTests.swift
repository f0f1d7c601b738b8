import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan
import ImagePipeEmulator

/// The engine over real loopback HTTP against the emulator: both wire formats, retries,
/// failure classes, limits and the budget.
@Suite struct RunEngineTests {
    static func pipeline(kind: String = "openai", base: String = "{{BASE}}/v1", provider: String = "", stage: String = "",
                         prompt: String = "Photo of {{ name }}", sources: String? = nil) -> String {
        """
        version: 1
        name: engine-test
        output_dir: out
        providers:
          p:
            kind: \(kind)
            base_url: \(base)
            api_key: test-key-123456
        \(provider.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        sources:
          products:
            csv: products.csv
            key: "{{ sku }}"
        stages:
          hero:
            generate:
              from: products
              provider: p
              model: \(kind == "openai" ? "gpt-image-1" : "gemini-2.5-flash-image")
              prompt: "\(prompt)"
              size: 256x128
              output: hero/{{ sku }}.png
        \(stage.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n"))
        """
    }

    static let fastRetry = "retry: { attempts: 3, initial: 10ms, max: 50ms }"

    @Test(arguments: ["openai", "gemini"])
    func generatesEveryItemOverBothWireFormats(kind: String) async throws {
        let base = kind == "openai" ? "{{BASE}}/v1" : "{{BASE}}"
        var emulator = EmulatorConfiguration()
        emulator.apiKey = "test-key-123456"
        emulator.imageSize = nil
        let run = try await RunHarness.run(Self.pipeline(kind: kind, base: base), files: ["products.csv": RunHarness.products(5)], emulator: emulator)
        #expect(run.result.allSucceeded)
        #expect(run.stage("hero").succeeded == 5)
        #expect(run.emulator?.requests == 5)
        #expect(run.emulator?.byPrompt.values.allSatisfy { $0 == 1 } == true)
        for line in run.lines(stage: "hero") {
            #expect(line["status"] as? String == "succeeded")
            let path = run.directory.appendingPathComponent("out").appendingPathComponent(line["path"] as! String).path
            let bytes = try #require(FileManager.default.contents(atPath: path))
            let info = try ImageInspector.inspect(Array(bytes))
            // Gemini takes an aspect ratio, not pixels: 256x128 asks for the nearest, 16:9.
            let expected = kind == "openai" ? (256, 128) : (1024, 576)
            #expect(info.width == expected.0 && info.height == expected.1)
            #expect(line["width"] as? Int == expected.0)
            #expect(line["bytes"] as? Int == bytes.count)
            #expect(line["provider"] as? String == "p")
            #expect((line["sha256"] as? String)?.count == 64)
        }
        // No temporary files are left next to the images.
        let names = try FileManager.default.contentsOfDirectory(atPath: run.directory.appendingPathComponent("out/hero").path)
        #expect(names.sorted() == (1...5).map { "P\($0).png" }.sorted())
    }

    @Test(arguments: ["openai", "gemini"])
    func honoursRetryAfterOn429(kind: String) async throws {
        let base = kind == "openai" ? "{{BASE}}/v1" : "{{BASE}}"
        let run = try await RunHarness.run(Self.pipeline(kind: kind, base: base, stage: Self.fastRetry, prompt: "[[fail:429x1]] {{ name }}"),
                                           files: ["products.csv": RunHarness.products(1)], emulator: EmulatorConfiguration())
        #expect(run.result.allSucceeded)
        let arrivals = try #require(run.emulator?.arrivals)
        #expect(arrivals.count == 2)
        // The emulator asked for 1 s; the policy alone would have waited at most 50 ms.
        #expect(arrivals[1] - arrivals[0] >= 0.95)
        #expect(run.lines(stage: "hero").first?["attempts"] as? Int == 2)
    }

    @Test func retriesServerErrorsUpToAttempts() async throws {
        let run = try await RunHarness.run(Self.pipeline(stage: Self.fastRetry, prompt: "[[fail:500x9]] {{ name }}"),
                                           files: ["products.csv": RunHarness.products(2)], emulator: EmulatorConfiguration())
        #expect(!run.result.allSucceeded)
        #expect(run.stage("hero").failed[.server_error] == 2)
        #expect(run.emulator?.byPrompt.values.allSatisfy { $0 == 3 } == true)
        #expect(run.lines(stage: "hero").allSatisfy { $0["attempts"] as? Int == 3 && $0["failure_class"] as? String == "server_error" })
    }

    @Test(arguments: ["openai", "gemini"])
    func contentPolicyIsNotRetried(kind: String) async throws {
        let base = kind == "openai" ? "{{BASE}}/v1" : "{{BASE}}"
        let run = try await RunHarness.run(Self.pipeline(kind: kind, base: base, stage: Self.fastRetry, prompt: "[[block]] {{ name }}"),
                                           files: ["products.csv": RunHarness.products(2)], emulator: EmulatorConfiguration())
        #expect(run.stage("hero").failed[.content_policy] == 2)
        #expect(run.emulator?.requests == 2)
    }

    @Test func refusedKeyFailsFastForTheWholeProvider() async throws {
        var emulator = EmulatorConfiguration()
        emulator.apiKey = "the-right-key-999"
        let run = try await RunHarness.run(Self.pipeline(stage: Self.fastRetry + "\nconcurrency: 1"),
                                           files: ["products.csv": RunHarness.products(10)], emulator: emulator)
        #expect(run.stage("hero").failed[.auth] == 10)
        // Three refusals in a row, then the remaining items are not sent at all.
        #expect(run.emulator?.requests == ProviderGate.authFailuresToGiveUp)
        let messages = run.lines(stage: "hero").compactMap { $0["message"] as? String }
        #expect(messages.filter { $0.contains("its remaining items were not sent") }.count == 10 - ProviderGate.authFailuresToGiveUp)
        #expect(!run.manifest.description.contains("test-key-123456"))
    }

    @Test func hangingRequestTimesOutAndIsRetried() async throws {
        // 3 s: the second attempt, answered at once, must not time out on a loaded machine.
        let run = try await RunHarness.run(Self.pipeline(stage: Self.fastRetry + "\ntimeout: 3s", prompt: "[[hang:1]] {{ name }}"),
                                           files: ["products.csv": RunHarness.products(1)], emulator: EmulatorConfiguration())
        #expect(run.result.allSucceeded)
        #expect(run.emulator?.requests == 2)
        #expect(run.lines(stage: "hero").first?["attempts"] as? Int == 2)
    }

    @Test func undecodableImageIsInvalidOutput() async throws {
        let run = try await RunHarness.run(Self.pipeline(stage: Self.fastRetry, prompt: "[[garbage:1]] {{ name }}"),
                                           files: ["products.csv": RunHarness.products(1)], emulator: EmulatorConfiguration())
        #expect(run.stage("hero").failed[.invalid_output] == 1)
        #expect(!FileManager.default.fileExists(atPath: run.directory.appendingPathComponent("out/hero/P1.png").path))
    }

    @Test func providerConcurrencyIsNeverExceeded() async throws {
        // Calls slow enough that a loaded machine still has several out at once (at 50 ms, CI once saw one).
        var emulator = EmulatorConfiguration()
        emulator.latency = 0.4
        let run = try await RunHarness.run(Self.pipeline(provider: "concurrency: 3", stage: "concurrency: 16"),
                                           files: ["products.csv": RunHarness.products(18)], emulator: emulator)
        #expect(run.result.allSucceeded)
        let peak = try #require(run.emulator?.peakInFlight)
        #expect(peak <= 3 && peak >= 2)
    }

    /// Never above the limit, and the limit is used: with calls this slow, 5 are in flight at once
    /// (at 0.3 s a suite sharing two cores with heavier tests sometimes kept only 4 going).
    @Test func stageConcurrencyIsReachedAndNeverExceeded() async throws {
        var emulator = EmulatorConfiguration()
        emulator.latency = 1.5
        let run = try await RunHarness.run(Self.pipeline(stage: "concurrency: 5"), files: ["products.csv": RunHarness.products(20)], emulator: emulator)
        #expect(run.result.allSucceeded)
        #expect(run.emulator?.peakInFlight == 5)
    }

    /// The limit holds end to end over real loopback HTTP. That no window ever passes it is
    /// shown exactly in virtual time (`VirtualTimeTests`): arrival times at a loopback server
    /// bunch on a loaded machine, so windows measured there would flake.
    @Test func rateLimitHoldsEndToEnd() async throws {
        // 20 per second with a burst of 2: 40 requests cannot take less than 38 / 20 s.
        let run = try await RunHarness.run(Self.pipeline(provider: "rate_limit: { requests_per_second: 20, burst: 2 }", stage: "concurrency: 16"),
                                           files: ["products.csv": RunHarness.products(40)], emulator: EmulatorConfiguration())
        #expect(run.result.allSucceeded)
        #expect(try #require(run.emulator?.arrivals).count == 40)
        #expect(run.result.duration >= 1.9 - 0.01, "\(run.result.duration)")
    }

    @Test func failedItemSkipsItsDownstreamStagesAndSaysWhy() async throws {
        let yaml = Self.pipeline(stage: Self.fastRetry, prompt: "{{ name }}") + """

          touch_up:
            edit:
              from: hero
              provider: p
              model: gpt-image-1
              prompt: "Brighter: {{ hero.prompt }}"
              output: edited/{{ sku }}.png
        """
        let run = try await RunHarness.run(yaml, files: ["products.csv": "sku,name\nP1,fine\nP2,[[block]] bad\n"], emulator: EmulatorConfiguration())
        #expect(run.stage("hero").succeeded == 1)
        #expect(run.stage("touch_up").succeeded == 1)
        #expect(run.stage("touch_up").skipped == 1)
        let skipped = try #require(run.lines(stage: "touch_up").first { $0["status"] as? String == "skipped" })
        #expect(skipped["key"] as? String == "P2")
        #expect((skipped["message"] as? String)?.contains("upstream stage 'hero' failed (content_policy)") == true)
        // The edit sent the generated image: the emulator refuses edits without one.
        #expect(run.emulator?.byPrompt["Brighter: fine"] == 1)
    }

    @Test func secretsNeverReachTheManifest() async throws {
        let yaml = Self.pipeline(base: "{{BASE}}/v1", prompt: "{{ name }} for ${secret:BRAND_CODE}").replacingOccurrences(of: "api_key: test-key-123456", with: "api_key: ${CANARY_KEY}")
        var emulator = EmulatorConfiguration()
        emulator.apiKey = "canary-key-5f3a9"
        let run = try await RunHarness.run(yaml, files: ["products.csv": "sku,name\nA1,mug\nA2,[[block]] cup\n"], emulator: emulator,
                                           environment: ["CANARY_KEY": "canary-key-5f3a9", "BRAND_CODE": "canary-brand-77e1"])
        #expect(run.stage("hero").succeeded == 1)
        let manifest = try String(contentsOfFile: run.result.runManifestPath, encoding: .utf8)
            + String(contentsOfFile: run.result.manifestPath, encoding: .utf8)
        #expect(manifest.contains("mug for ***"))
        #expect(!manifest.contains("canary"))
    }

    @Test func budgetStopsNewWorkAndSaysSo() async throws {
        let yaml = """
        version: 1
        name: budget-test
        providers:
          local: { kind: placeholder, prices: { priced-v1: 1.0 } }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate: { from: products, provider: local, model: priced-v1, prompt: "{{ name }}", size: 16x16, output: "{{ sku }}.png", concurrency: 1 }
        budget: { max_usd: 3 }
        """
        let run = try await RunHarness.run(yaml, files: ["products.csv": RunHarness.products(10)])
        #expect(run.result.stopReason == .budget)
        #expect(run.stage("hero").succeeded == 3)
        #expect(run.result.spentUSD == 3)
        // The seven items that were ready are cancelled with the budget as the reason.
        #expect(run.stage("hero").cancelled == 7)
        #expect(run.lines(stage: "hero").filter { ($0["message"] as? String)?.contains("the budget of $3.00 was reached") == true }.count == 7)
        #expect(!run.result.allSucceeded)
        // The same session as `imagepipe run`: a reached budget exits 1.
        #expect(run.ending == .budgetReached && run.ending.exitCode == 1)
        #expect(run.budgetReserved == 0)
    }

    @Test func variantsAndMatrixFanOut() async throws {
        let yaml = """
        version: 1
        name: fanout
        providers:
          local: { kind: placeholder }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          social:
            generate:
              from: products
              provider: local
              model: placeholder-v1
              prompt: "{{ name }} in {{ style }}"
              size: 32x16
              variants: 2
              matrix: { style: [flat, photo] }
              output: "{{ sku }}/{{ style }}-{{ variant }}.png"
        """
        let run = try await RunHarness.run(yaml, files: ["products.csv": RunHarness.products(3)])
        #expect(run.result.allSucceeded)
        #expect(run.stage("social").succeeded == 12)
        let hashes = Set(run.lines(stage: "social").compactMap { $0["sha256"] as? String })
        #expect(hashes.count == 12)
        #expect(run.lines(stage: "social").allSatisfy { $0["width"] as? Int == 32 && $0["height"] as? Int == 16 })
    }

    /// Manifest rows as a first user found them: a success carried the failure of an earlier
    /// attempt, variant 1 had no variant, no row said which run wrote it or when.
    @Test func aManifestRowDescribesItsResultAndKeepsEarlierAttemptsApart() async throws {
        let run = try await RunHarness.run(Self.pipeline(stage: Self.fastRetry), files: ["products.csv": "sku,name\nP1,[[fail:500x1]] mug\n"],
                                           emulator: EmulatorConfiguration())
        let line = try #require(run.lines(stage: "hero").first)
        #expect(line["status"] as? String == "succeeded")
        #expect(line["failure_class"] == nil && line["message"] == nil, "\(line)")
        let retries = try #require(line["retries"] as? [[String: Any]])
        #expect(retries.count == 1 && retries[0]["class"] as? String == "server_error")
        #expect(line["variant"] as? Int == 1)
        #expect(line["run_id"] as? String != nil)
        #expect(((line["finished_at"] as? Double) ?? 0) > 1_700_000_000)
    }
}
