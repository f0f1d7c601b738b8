import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan
import ImagePipeEmulator

/// The seed's whole pipeline, `pipelines/product-catalog.yaml`, run by the real binary against
/// loopback servers only: the emulator for Gemini, SeaweedFS for S3 (checking signatures), and
/// the emulator's capture routes for the CMS and Slack. Canary secrets must appear nowhere.
@Suite(.serialized) struct ProductCatalogTests {
    static let canaries = [
        "GEMINI_API_KEY": "canary-gemini-7f3e2a",
        "CMS_TOKEN": "canary-cms-token-91bd",
        "AWS_SECRET_ACCESS_KEY": SeaweedFS.secretKey,
    ]

    @Test func theWholePipelineRunsResumesAndLeaksNothing() async throws {
        let s3 = try await SeaweedFS.start()
        defer { s3.stop() }
        try await s3.createBucket("assets")
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }

        let dir = Fixtures.temporaryDirectory()
        try FileManager.default.copyItem(at: Fixtures.pipelines.appendingPathComponent("product-catalog.yaml"), to: dir.appendingPathComponent("product-catalog.yaml"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("data"), withIntermediateDirectories: true)
        let csv = """
        sku,name,color,category
        A100,"Trail Runner 2, waterproof",Blue,shoes
        A101,Canvas Tote,Natural,bags
        A102,Mug [[block]],White,kitchen
        A103,Desk Lamp,Brass,home

        """
        try csv.write(to: dir.appendingPathComponent("data/products.csv"), atomically: true, encoding: .utf8)
        let slackSecretPath = "/capture/slack/T000/B000/canary-slack-path-55c1"
        var environment = Self.canaries
        environment["GEMINI_BASE_URL"] = emulator.baseURL
        environment["S3_ENDPOINT"] = s3.endpoint
        environment["ASSET_BUCKET"] = "assets"
        environment["AWS_ACCESS_KEY_ID"] = SeaweedFS.accessKey
        environment["CMS_URL"] = emulator.baseURL + "/capture/flaky-503/cms"
        environment["SLACK_WEBHOOK"] = emulator.baseURL + slackSecretPath

        let run = try await CLIProcess.run(["run", "--progress", "plain", "product-catalog.yaml"], in: dir, environment: environment)
        #expect(run.status == 1, "one generation is refused, so the run exits 1: \(run.stderr)")
        #expect(run.stderr.contains("failed: hero A102: content_policy"), "\(run.stderr)")

        // Every object is in the bucket, byte for byte the image on disk.
        let good = ["A100", "A101", "A103"]
        for sku in good {
            let object = try await s3.request("GET", "/assets/products/\(sku).png")
            #expect(object.status == 200)
            let local = try Data(contentsOf: dir.appendingPathComponent("out/product-catalog/hero/\(sku).png"))
            #expect(object.body == Array(local), "object products/\(sku).png")
        }
        #expect(try await s3.request("GET", "/assets/products/A102.png").status == 404)

        // Every CMS PATCH carries the object's URL; the 503 was retried.
        let captured = emulator.stats.captured
        let patches = captured.filter { $0.path.contains("/cms/") }
        #expect(patches.count == 2 * good.count)  // each path is answered 503 once, then retried
        for sku in good {
            let sent = patches.filter { $0.path == "/capture/flaky-503/cms/api/products/\(sku)" }
            #expect(sent.allSatisfy { $0.method == "PATCH" })
            let body = try #require(sent.last.flatMap { try JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any] })
            #expect(body["image_url"] as? String == "\(s3.endpoint)/assets/products/\(sku).png")
            #expect(sent.last?.headers.first { $0.0.lowercased() == "authorization" }?.1 == "Bearer \(Self.canaries["CMS_TOKEN"]!)")
        }

        // Slack heard the start and the finish, with the right counts.
        let slack = captured.filter { $0.path == slackSecretPath }.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any])?["text"] as? String
        }
        #expect(slack == ["product-catalog start: 0 ok, 0 failed, $0.00", "product-catalog finish: 9 ok, 1 failed, $0.12"], "\(slack)")

        // Run again: nothing is generated, uploaded or patched twice, and the refused prompt is not
        // sent again unchanged (that risks the account; --retry-failed sends it).
        let again = try await CLIProcess.run(["run", "--progress", "plain", "product-catalog.yaml"], in: dir, environment: environment)
        #expect(again.status == 1)
        #expect(emulator.stats.snapshot.requests == 4)
        #expect(emulator.stats.captured.filter { $0.path.contains("/cms/") }.count == patches.count)
        // And the plan says so for every kind: uploads and requests done are counted as cached.
        let plan = try await CLIProcess.run(["plan", "product-catalog.yaml"], in: dir, environment: environment)
        // The refused prompt is not counted as work to do: the run would not send it.
        for stage in ["hero (generate from products, provider fast, model gemini-2.5-flash-image): 4 images (3 cached, 0 to run); 1 refused by the provider before",
                      "upload (s3_upload from hero): 4 uploads (3 cached, 1 to run)", "cms (http from upload): 4 requests (3 cached, 1 to run)"] {
            #expect(plan.stdout.contains("Stage \(stage)"), "\(plan.stdout)")
        }

        // The canaries: in no output, file, table or notification.
        var haystacks = [run.stdout, run.stderr, again.stdout, again.stderr]
        let enumerator = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            if let data = try? Data(contentsOf: url) { haystacks.append(String(decoding: data, as: UTF8.self)) }
        }
        haystacks += emulator.stats.captured.filter { $0.path == slackSecretPath }.map(\.body)
        for (name, canary) in Self.canaries {
            for text in haystacks { #expect(!text.contains(canary), "\(name) leaked") }
        }
        #expect(!haystacks.contains { $0.contains("canary-slack-path-55c1") }, "the Slack webhook URL leaked")
    }

    @Test func aWrongSecretIsRefusedAndClassedAsAuth() async throws {
        let s3 = try await SeaweedFS.start()
        defer { s3.stop() }
        try await s3.createBucket("assets")
        let yaml = """
        version: 1
        name: wrong-secret
        providers:
          local: { kind: placeholder }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate: { from: products, provider: local, model: placeholder-v1, prompt: "{{ name }}", size: 32x32, output: "{{ sku }}.png" }
          upload:
            s3_upload: { from: hero, bucket: assets, key: "x/{{ sku }}.png", endpoint: "\(s3.endpoint)", path_style: true, checksum: sha256,
                         access_key_id: \(SeaweedFS.accessKey), secret_access_key: not-the-secret, retry: { attempts: 1 } }
        """
        let run = try await RunHarness.run(yaml, files: ["products.csv": RunHarness.products(2)])
        #expect(run.stage("upload").failed[.auth] == 2)
        #expect(run.lines(stage: "upload").allSatisfy { ($0["message"] as? String)?.contains("SignatureDoesNotMatch") == true })
        #expect(!(run.manifest.description.contains("not-the-secret")))
        // And with the right one, with a checksum the store verifies, it goes through.
        let right = try await RunHarness.run(yaml.replacingOccurrences(of: "not-the-secret", with: SeaweedFS.secretKey), files: ["products.csv": RunHarness.products(2)])
        #expect(right.stage("upload").succeeded == 2)
        #expect(right.lines(stage: "upload").allSatisfy { ($0["url"] as? String)?.hasPrefix(s3.endpoint + "/assets/x/") == true && $0["etag"] != nil })
        // Upload rows say where the object went.
        #expect(right.lines(stage: "upload").allSatisfy { $0["bucket"] as? String == "assets" && ($0["object_key"] as? String)?.hasPrefix("x/P") == true })
        // Manifest paths are relative to output_dir for uploads too.
        #expect(Set(right.lines(stage: "upload").compactMap { $0["path"] as? String }) == ["P1.png", "P2.png"])
    }
}
