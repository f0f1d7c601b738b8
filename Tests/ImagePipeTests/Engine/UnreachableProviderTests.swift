import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore

/// A base_url where nothing listens: a message that says what to check, a provider given up
/// after a few refusals in a row (not every item retried four times), and one line for the lot.
@Suite struct UnreachableProviderTests {
    static func yaml(port: Int) -> String {
        """
        version: 1
        name: unreachable
        providers:
          p: { kind: openai, base_url: "http://127.0.0.1:\(port)/v1", api_key: test-key-123456 }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate: { from: products, provider: p, model: gpt-image-1, prompt: "{{ name }}", output: "{{ sku }}.png", concurrency: 2, retry: { attempts: 4, initial: 10ms } }
        """
    }

    @Test func aRefusedConnectionSaysWhereAndStopsTheProvider() async throws {
        let port = try LoopbackSocket.closedPort()
        let run = try await RunHarness.run(Self.yaml(port: port), files: ["products.csv": RunHarness.products(40)])
        #expect(run.stage("hero").failed[.network] == 40)
        let attempts = run.lines(stage: "hero").compactMap { $0["attempts"] as? Int }.reduce(0, +)
        #expect(attempts <= ProviderGate.unreachableToGiveUp + 2 * 2, "\(attempts) connection attempts for 40 items")
        let messages = run.lines(stage: "hero").compactMap { $0["message"] as? String }
        #expect(messages.allSatisfy { $0.hasPrefix("cannot connect to 127.0.0.1:\(port) (connection refused); is base_url right?") }, "\(Set(messages))")
        #expect(messages.contains { $0.hasSuffix("'p' was given up and its remaining items were not sent") })
    }

    @Test func repeatedFailuresArePrintedOnceWithACount() async throws {
        let port = try LoopbackSocket.closedPort()
        let dir = Fixtures.temporaryDirectory()
        try Self.yaml(port: port).write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        try RunHarness.products(150).write(to: dir.appendingPathComponent("products.csv"), atomically: true, encoding: .utf8)
        let run = try await CLIProcess.run(["run", "--progress", "plain", "p.yaml"], in: dir)
        #expect(run.status == 1)
        let failedLines = run.stderr.split(separator: "\n").filter { $0.hasPrefix("failed:") }
        #expect(failedLines.count <= 3, "\(run.stderr)")
        let counted = run.stderr.split(separator: "\n").filter { $0.contains(" ended the same way (") }
        let total = failedLines.count + counted.compactMap { line in line.split(separator: " ").dropFirst().first.flatMap { Int($0) } }.reduce(0, +)
        #expect(total == 150, "\(run.stderr)")
    }
}
