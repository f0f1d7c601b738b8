import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan
import ImagePipeEmulator

/// The `http` stage against the emulator's capture routes: templated requests, retries on 429,
/// no retry on 4xx, and the answer's JSON as outputs downstream.
@Suite struct HTTPStageTests {
    @Test func requestsAreRenderedRetriedAndTheirAnswersFlowDownstream() async throws {
        let yaml = """
        version: 1
        name: http-test
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          create:
            http:
              from: products
              method: POST
              url: "{{BASE}}/capture/flaky-429/cms/items"
              headers: { X-Sku: "{{ sku }}" }
              json: { sku: "{{ sku }}", name: "{{ name }}", tags: ["a", "{{ sku | lower }}"] }
              retry: { attempts: 3, initial: 10ms }
          link:
            http:
              from: create
              method: PUT
              url: "{{BASE}}/capture/cms/items/{{ create.json.id }}/status-{{ create.status }}"
          missing:
            http:
              from: products
              url: "{{BASE}}/nowhere/{{ sku }}"
              retry: { attempts: 3, initial: 10ms }
        """
        let run = try await RunHarness.run(yaml, files: ["products.csv": RunHarness.products(1)], emulator: EmulatorConfiguration())
        #expect(run.stage("create").succeeded == 1 && run.stage("link").succeeded == 1)
        #expect(run.stage("missing").failed[.bad_request] == 1)
        #expect(run.lines(stage: "missing").first?["attempts"] as? Int == 1)
        #expect(run.lines(stage: "create").first?["attempts"] as? Int == 2)
        #expect(run.lines(stage: "create").first?["http_status"] as? Int == 200)
    }

    @Test func eachVariantKeepsItsNumberDownstream() async throws {
        let yaml = """
        version: 1
        name: variants-down
        providers:
          local: { kind: placeholder }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate: { from: products, provider: local, model: placeholder-v1, prompt: "{{ name }}", size: 16x16, variants: 2, output: "{{ sku }}-{{ variant }}.png" }
          notify_cms:
            http: { from: hero, method: PUT, url: "{{BASE}}/capture/cms/{{ sku }}", json: { image: "{{ hero.path }}" } }
        """
        let dir = Fixtures.temporaryDirectory()
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let run = try await RunHarness.run(yaml, files: ["products.csv": RunHarness.products(1)], server: emulator, directory: dir, ledger: true)
        #expect(run.stage("notify_cms").succeeded == 2)
        // Each request keeps the number of the variant it is about (1 is written too).
        #expect(run.lines(stage: "notify_cms").compactMap { $0["variant"] as? Int }.sorted() == [1, 2])
        #expect(Set(emulator.stats.captured.map(\.body)).count == 2)
        let again = try await RunHarness.run(yaml, server: emulator, directory: dir, ledger: true)
        #expect(again.stage("notify_cms").cached == 2)
        #expect(emulator.stats.captured.count == 2)
    }
}
