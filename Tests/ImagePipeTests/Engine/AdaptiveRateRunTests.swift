import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
import ImagePipeEmulator

/// The adaptive control in whole runs against the emulator over loopback HTTP, in both wire
/// formats: a quota stated in rate headers (OpenAI) or in `QuotaFailure` (Gemini), and random
/// load-shedding 429s. Figures at full size are scripts/bench-rate's.
@Suite struct AdaptiveRateRunTests {
    static func pipeline(_ wire: String, extra: String = "") -> String {
        let provider = wire == "openai"
            ? #"p: { kind: openai, base_url: "{{BASE}}/v1", api_key: test-key-123456\#(extra) }"#
            : #"p: { kind: gemini, base_url: "{{BASE}}", api_key: test-key-123456\#(extra) }"#
        let model = wire == "openai" ? "model: gpt-image-1\n      size: 1024x1024" : "model: gemini-2.5-flash-image\n      aspect_ratio: \"1:1\""
        return """
        version: 1
        name: adaptive-\(wire)
        providers:
          \(provider)
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate:
              from: products
              provider: p
              \(model)
              prompt: "{{ name }}"
              output: "{{ sku }}.png"
              concurrency: 16
              retry: { attempts: 8, initial: 50ms, max: 2s }
        """
    }

    static func quota(_ perSecond: Double, burst: Int) -> EmulatorConfiguration {
        var configuration = EmulatorConfiguration()
        configuration.latency = 0.01
        configuration.quota = .init(requestsPerSecond: perSecond, burst: burst)
        return configuration
    }

    /// 240 items against a quota with no `rate_limit`: nothing fails, few 429s, and the pace the
    /// run settles at is the quota's, learned from the headers or the first refusal. OpenAI's is
    /// 20 a second: headers tell the rate only once the bucket is drawn down, and a loaded machine
    /// (the whole suite at once, on 2 cores) may not send 40 a second.
    @Test(arguments: ["openai", "gemini"])
    func aQuotaIsLearnedAndKept(wire: String) async throws {
        // Gemini states its quota only when it refuses: a bucket of 2 is empty for the run's first 16
        // calls however slowly a loaded machine sends them. OpenAI's headers say it on every answer.
        let rate: Double = wire == "openai" ? 20 : 40
        let burst = wire == "openai" ? 20 : 2
        let run = try await RunHarness.run(Self.pipeline(wire), files: ["products.csv": RunHarness.products(240)],
                                           emulator: Self.quota(rate, burst: burst), ledger: true)
        #expect(run.result.allSucceeded)
        let statuses = try #require(run.emulator?.statuses)
        let refused = statuses[429] ?? 0
        // OpenAI's headers warn before the bucket is empty; Gemini says so only in its first 429s.
        #expect(Double(refused) <= (wire == "openai" ? 0.02 : 0.15) * 240, "\(refused) answered 429")
        let traffic = try #require(run.result.providers.first)
        #expect(traffic.throttled == refused)
        #expect(traffic.learnedFrom == (wire == "openai" ? "rate headers" : "stated quota"))
        // Headers give the rate to within their rounding. A bucket of 2 refuses any two calls that
        // arrive close together, so the stated quota's pace may be lowered some for that.
        let pace = traffic.pace ?? 0
        if wire == "openai" {
            #expect(abs(pace - rate * AdaptiveRate.margin) < 2, "paced at \(pace)/s after \(refused) refusals")
        } else {
            #expect(pace >= 0.6 * 40 && pace <= 40, "paced at \(pace)/s after \(refused) refusals")
        }
        // Never faster than the quota allows over the run: its burst plus the rate.
        let arrivals = try #require(run.emulator?.arrivals).sorted()
        let span = (arrivals.last ?? 0) - (arrivals.first ?? 0)
        #expect(Double(arrivals.count - refused) <= Double(burst) + rate * span + 1)
        #expect(span >= Double(240 - burst) / rate * 0.95, "\(span) s")

        // The summary and `status` say what the provider did and where the run settled.
        let summary = RunSummaryPrinter.text(run.result, displayManifest: "manifest.jsonl", budget: nil)
        #expect(summary.contains("provider p: "), "\(summary)")
        #expect(summary.contains("paced at \(ProviderTraffic.rate(traffic.pace ?? 0)) (learned from \(traffic.learnedFrom ?? "?"))"), "\(summary)")
        let ledger = try #require(try Ledger.existing(path: run.directory.appendingPathComponent(".imagepipe/adaptive-\(wire).sqlite").path))
        let status = try ledger.status(stageOrder: ["hero"])
        #expect(status.providers == [traffic].map { var t = $0; t.sending = nil; t.pausedFor = nil; return t })
        let text = LedgerStatusPrinter(file: "pipeline.yaml", ledger: "ledger", listFailures: false).text(status)
        #expect(text.contains("provider p: \(refused == 0 ? "\(traffic.answered) answers, none throttled" : "\(refused) of \(traffic.answered) answers were 429")"), "\(text)")
    }

    /// 1% of requests refused at random: each waits its own Retry-After; the provider is not slowed.
    @Test func randomThrottlingSlowsOnlyTheRefusedRequests() async throws {
        var configuration = EmulatorConfiguration()
        configuration.throttleRate = 0.01
        let run = try await RunHarness.run(Self.pipeline("openai"), files: ["products.csv": RunHarness.products(600)], emulator: configuration)
        #expect(run.result.allSucceeded)
        let traffic = try #require(run.result.providers.first)
        #expect(traffic.throttled == run.emulator?.statuses[429])
        #expect(traffic.pace == nil)
        // Each refused request was sent once more, and nothing else was held back or retried.
        let attempts = run.lines(stage: "hero").compactMap { $0["attempts"] as? Int }.reduce(0, +)
        #expect(attempts == 600 + traffic.throttled)
    }

    /// `adaptive: false` keeps the plain behaviour: no pace is learned and every 429 pauses.
    @Test func adaptiveFalseLearnsNothing() async throws {
        let run = try await RunHarness.run(Self.pipeline("openai", extra: ", adaptive: false"), files: ["products.csv": RunHarness.products(60)],
                                           emulator: Self.quota(40, burst: 40))
        let traffic = try #require(run.result.providers.first)
        #expect(!traffic.adaptive)
        #expect(traffic.pace == nil)
        #expect(traffic.throttled == run.emulator?.statuses[429] ?? 0)
    }
}
