import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan
import ImagePipeEmulator

/// The budget as a first real user met it: retries that fit keep their reservations, and what
/// the budget cuts off is cancelled with the budget as the reason, never a server error.
@Suite struct BudgetTests {
    static let yaml = """
    version: 1
    name: budget-retries
    budget: { max_usd: 0.5 }
    providers:
      p: { kind: openai, base_url: "{{BASE}}/v1", api_key: test-key-123456, prices: { gpt-image-1: 0.05 } }
    sources:
      products: { csv: products.csv, key: "{{ sku }}" }
    stages:
      hero:
        generate:
          from: products
          provider: p
          model: gpt-image-1
          prompt: "{{ name }}"
          size: 64x64
          output: "hero/{{ sku }}.png"
          concurrency: 4
          retry: { attempts: 3, initial: 10ms, jitter: none }
      upload_log:
        http: { from: hero, method: POST, url: "{{BASE}}/capture/log/{{ sku }}", json: { image: "{{ hero.path }}" } }
    """

    /// 20 items at $0.05 under $0.50, every first call answered 500: it used to end at $0.25 with
    /// five items failed as server errors "not retried: the run is stopping".
    @Test func retriesThatFitKeepTheirReservationAndTheRestIsCutOff() async throws {
        let products = RunHarness.products(20) { "[[fail:500x1]] Product \($0)" }
        let run = try await RunHarness.run(Self.yaml, files: ["products.csv": products], emulator: EmulatorConfiguration())
        #expect(run.stage("hero").succeeded == 10, "\(run.lines(stage: "hero").map { $0["message"] ?? "" })")
        #expect(abs(run.result.spentUSD - 0.5) < 1e-9)
        #expect(run.result.stopReason == .budget && run.ending == .budgetReached)
        #expect(run.stage("hero").failedCount == 0)
        let cut = run.lines(stage: "hero").filter { $0["status"] as? String == "cancelled" }
        #expect(cut.allSatisfy { ($0["message"] as? String)?.contains("the budget of $0.50 was reached") == true })
        #expect(!run.manifest.contains { ($0["message"] as? String)?.contains("not retried") == true })
        #expect(run.budgetReserved == 0)
        // Free steps of images already paid for still run: each made image is logged.
        #expect(run.stage("upload_log").succeeded == 10)
    }

    /// A reservation given back (a call that failed for good is not billed) makes room again.
    @Test func aCallThatFailsForGoodGivesItsReservationToTheNext() async throws {
        let products = "sku,name\n" + (1...12).map { $0 <= 2 ? "P\($0),[[fail:500x9]] doomed \($0)" : "P\($0),fine \($0)" }.joined(separator: "\n") + "\n"
        let run = try await RunHarness.run(Self.yaml, files: ["products.csv": products], emulator: EmulatorConfiguration())
        // Units start in no fixed order: a doomed item that reached the budget after ten fine
        // ones had reserved is cut off instead of sent. Either way all ten fine items are made,
        // which a doomed call that kept its reservation would have prevented.
        let doomed = run.lines(stage: "hero").filter { ($0["key"] as? String).map { ["P1", "P2"].contains($0) } == true }
        #expect(doomed.count == 2)
        for line in doomed {
            let cutOff = line["status"] as? String == "cancelled" && (line["message"] as? String)?.contains("budget") == true
            #expect(line["failure_class"] as? String == "server_error" || cutOff, "\(line)")
        }
        #expect(run.stage("hero").succeeded == 10)
        #expect(abs(run.result.spentUSD - 0.5) < 1e-9)
        #expect(run.budgetReserved == 0)
    }
}
