import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan
import ImagePipeEmulator

/// Hostile catalogue data through every templated part of a request: the loopback server sees
/// the URL's path and query exactly as the template's author wrote them, each value inside its
/// own segment; a header the data would break is never sent, and `plan` says so first.
@Suite struct RequestDataTests {
    static let yaml = """
    version: 1
    name: hostile
    sources:
      products: { csv: products.csv, key: "{{ id }}" }
    stages:
      cms:
        http:
          from: products
          method: PATCH
          url: "{{BASE}}/capture/api/products/{{ sku }}?lang=en"
          query: { name: "{{ name }}", "a b": "{{ sku }}" }
          headers: { X-Id: "{{ id }}", X-Name: "{{ name }}" }
          json: { name: "{{ name }}", sku: "{{ sku }}" }
          retry: { attempts: 3, initial: 10ms }
    """

    struct Row {
        var id: String
        var sku: String
        var name: String
    }

    static let long = String(repeating: "x/", count: 1500)
    static let sent = [
        Row(id: "A1", sku: "../../admin?x=1#f", name: "Mug"),
        Row(id: "A2", sku: "a b/c", name: "Café 가죽 ガラス \"Noir\""),
        Row(id: "A3", sku: "50%2F", name: "x&y=z#w?"),
        Row(id: "A4", sku: "%2e%2e", name: "tab\there"),
        Row(id: "A5", sku: long, name: "ok"),
    ]
    static let refused = [
        Row(id: "B1", sku: "..", name: "ok"),
        Row(id: "B2", sku: "B2", name: "Mug\r\nX-Evil: 1"),
        Row(id: "B3", sku: "B3", name: "a\u{0}b"),
    ]

    static func csv(_ rows: [Row]) -> String {
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        return "id,sku,name\n" + rows.map { [$0.id, $0.sku, $0.name].map(quoted).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    static var csv: String { csv(sent + refused) }

    @Test func dataStaysInsideItsSegment() async throws {
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let run = try await RunHarness.run(Self.yaml, files: ["products.csv": Self.csv(Self.sent)], server: emulator)
        #expect(run.stage("cms").succeeded == Self.sent.count)

        let captured = emulator.stats.captured
        #expect(captured.count == Self.sent.count)
        for row in Self.sent {
            let request = try #require(captured.first { header($0, "X-Id") == row.id }, "\(row.id)")
            #expect(request.method == "PATCH")
            #expect(request.path == "/capture/api/products/" + URLValueEncoding.component(row.sku), "\(row.id)")
            #expect(request.path.split(separator: "/", omittingEmptySubsequences: false).count == 5, "\(row.id): one segment for the data")
            #expect(request.path.split(separator: "/").last.flatMap { String($0).removingPercentEncoding } == row.sku, "\(row.id)")
            #expect(request.query == "lang=en&name=" + URLValueEncoding.component(row.name) + "&a%20b=" + URLValueEncoding.component(row.sku), "\(row.id)")
            #expect(header(request, "X-Name") == row.name, "\(row.id)")
            let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: String])
            #expect(body == ["name": row.name, "sku": row.sku], "\(row.id): JSON strings carry the data as it is")
        }
    }

    /// Data in the file is refused before the run starts (as `plan` refuses it); data that only a
    /// run can know (an upstream answer) fails its own item, once, unsent.
    @Test func brokenRequestsAreNeverSent() async throws {
        do {
            _ = try await RunHarness.run(Self.yaml, files: ["products.csv": Self.csv], emulator: EmulatorConfiguration())
            Issue.record("the run started")
        } catch let failure as RunHarness.Failure {
            // Two rows break the same header: said once, where the header is written, with both rows.
            #expect(failure.description.contains("pipeline.yaml:12:7: error: header X-Name of stage 'cms' getting a line break or control character from the data: 2 items, e.g. 'B2' (products.csv:8); 'B3' (products.csv:10)"),
                    "\(failure.description)")
        }

        let yaml = """
        version: 1
        name: hostile-answers
        sources:
          products: { csv: products.csv, key: "{{ id }}" }
        stages:
          create:
            http: { from: products, method: POST, url: "{{BASE}}/capture/echo/items", json: { sku: "{{ sku }}", name: "{{ name }}" } }
          link:
            http:
              from: create
              method: PUT
              url: "{{BASE}}/capture/api/products/{{ create.json.sku }}"
              headers: { X-Name: "{{ create.json.name }}" }
              retry: { attempts: 3, initial: 10ms }
        """
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let run = try await RunHarness.run(yaml, files: ["products.csv": Self.csv(Self.refused)], server: emulator)
        #expect(run.stage("create").succeeded == 3)
        #expect(run.stage("link").failed[.bad_request] == 3)
        #expect(emulator.stats.captured.filter { $0.method == "PUT" }.isEmpty, "never sent, nor retried")
        let lines = Dictionary(uniqueKeysWithValues: run.lines(stage: "link").map { ($0["key"] as? String ?? "", $0) })
        for row in Self.refused {
            let line = try #require(lines[row.id])
            #expect(line["failure_class"] as? String == "bad_request")
            #expect(line["attempts"] as? Int == 0, "attempts counts requests sent: none")
            #expect((line["retries"] as? [Any] ?? []).isEmpty)
        }
        #expect(lines["B1"]?["message"] as? String
            == "the URL of stage 'link' for item 'B1' has a path segment '..' from the data (products.csv:2); a server would read it as a move to another folder, so it was not sent")
        #expect(lines["B2"]?["message"] as? String
            == "header X-Name of item 'B2' (stage 'link') contains a line break from the data (products.csv:3); it was not sent")
        #expect((lines["B3"]?["message"] as? String)?.contains("contains a NUL character from the data (products.csv:5)") == true)
    }

    @Test func planReportsWhatARunWouldRefuseAndShowsTheFinalURL() throws {
        let yaml = Self.yaml.replacingOccurrences(of: "{{BASE}}", with: "https://cms.example.com")
        let (outcome, _) = Fixtures.validate(yaml, files: ["products.csv": Self.csv])
        let pipeline = try #require(outcome.pipeline)
        let report = PlanBuilder(pipeline: pipeline, diagnostics: outcome.diagnostics).build()
        let errors = outcome.diagnostics.sorted().map(\.formatted).filter { $0.contains("error:") }
        #expect(errors.count == 2)
        #expect(errors.contains { $0.hasPrefix("products.csv:7:1: error: the URL of stage 'cms' for item 'B1' has a path segment '..'") })
        #expect(errors.contains { $0.hasPrefix("pipeline.yaml:12:7: error: header X-Name of stage 'cms' getting a line break or control character from the data: 2 items") })
        let sample = try #require(report.stages.first?.samples.first)
        #expect(sample.lines.first?.value == "PATCH https://cms.example.com/capture/api/products/..%2F..%2Fadmin%3Fx%3D1%23f?lang=en&name=Mug&a%20b=..%2F..%2Fadmin%3Fx%3D1%23f")
    }

    private func header(_ request: EmulatorStats.CapturedRequest, _ name: String) -> String? {
        request.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// An upload's URLs: `public_url` encodes its data as `http` URLs do, and a key the data would climb out of is refused.
@Suite struct S3UploadDataTests {
    @Test func publicURLsEncodeTheirData() throws {
        let yaml = """
        version: 1
        name: cdn
        providers: { local: { kind: placeholder } }
        sources:
          products: { csv: products.csv, key: "{{ id }}" }
        stages:
          hero:
            generate: { from: products, provider: local, model: placeholder-v1, prompt: "{{ sku }}", size: 16x16, output: "{{ id }}.png" }
          upload:
            s3_upload: { from: hero, bucket: assets, key: "p/{{ id }}.png", public_url: "https://cdn.example.com/p/{{ sku }}.png?v={{ id | raw }}" }
        """
        let (outcome, _) = Fixtures.validate(yaml, files: ["products.csv": "id,sku\nA1,\"../x?y#z 가\"\n"])
        let report = PlanBuilder(pipeline: try #require(outcome.pipeline), diagnostics: outcome.diagnostics).build()
        let sample = try #require(report.stages.last?.samples.first)
        #expect(sample.lines.first { $0.label == "url" }?.value == "https://cdn.example.com/p/..%2Fx%3Fy%23z%20%EA%B0%80.png?v=A1")
    }

    @Test func objectKeysWithDotSegmentsAreRefused() throws {
        let yaml = """
        version: 1
        name: keys
        providers: { local: { kind: placeholder } }
        sources:
          products: { csv: products.csv, key: "{{ id }}" }
        stages:
          hero:
            generate: { from: products, provider: local, model: placeholder-v1, prompt: "{{ sku }}", size: 16x16, output: "{{ id }}.png" }
          upload:
            s3_upload: { from: hero, bucket: assets, path_style: true, key: "p/{{ sku }}.png" }
        """
        let (outcome, _) = Fixtures.validate(yaml, files: ["products.csv": "id,sku\nA1,../../other-bucket/x\nA2,a/b c\n"])
        _ = PlanBuilder(pipeline: try #require(outcome.pipeline), diagnostics: outcome.diagnostics).build()
        let errors = Fixtures.lines(outcome).filter { $0.contains("error:") }
        #expect(errors == ["products.csv:2:1: error: the object key 'p/../../other-bucket/x.png' of stage 'upload' for item 'A1' has a '..' segment from the data (products.csv:2); stores and clients resolve it to another object, so it was not uploaded; use the 'slug' filter on the data in the key"])
    }
}
