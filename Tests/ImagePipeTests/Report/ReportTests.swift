import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
import ImagePipeEmulator

/// `imagepipe report`: what it shows from a run's manifest, and that the page works in a real
/// browser (headless Chromium over the DevTools protocol): cards, failures first, the status
/// filter, search, stage tabs, filters from the URL fragment, and a screenshot that is not blank.
@Suite struct ReportTests {
    static let pipeline = """
    version: 1
    name: report-test
    providers:
      p: { kind: openai, base_url: "{{BASE}}/v1", api_key: test-key-123456 }
    sources:
      products: { csv: products.csv, key: "{{ sku }}" }
    stages:
      hero:
        generate:
          from: products
          provider: p
          model: gpt-image-1
          prompt: "{{ name }}"
          size: 1024x1024
          output: "hero/{{ sku }}.png"
          retry: { attempts: 1 }
      touch_up:
        edit:
          from: hero
          provider: p
          model: gpt-image-1
          prompt: "Brighter: {{ hero.prompt }}"
          variants: 2
          output: "edited/{{ sku }}-{{ variant }}.png"
    """

    /// 24 products: two refused as unsafe, one whose server fails; their edits are skipped.
    static func products() -> String {
        RunHarness.products(24) { i in i == 3 || i == 17 ? "[[block]] Product \(i)" : i == 9 ? "[[fail:500x5]] Product \(i)" : "Product \(i)" }
    }

    @Test func theReportWorksInABrowser() async throws {
        let run = try await RunHarness.run(Self.pipeline, files: ["products.csv": Self.products()], emulator: EmulatorConfiguration())
        #expect(run.stage("hero").failedCount == 3)
        let output = run.directory.appendingPathComponent("out").path
        let model = try ReportModel.load(manifest: run.result.manifestPath, runsDirectory: output + "/runs", stages: ["hero", "touch_up"],
                                         pipeline: "report-test", budgetUSD: nil)
        // hero: 24 cards; touch_up: 21 × 2 variants made, 3 items skipped.
        #expect(model.cards.count == 24 + 42 + 3)
        #expect(model.cards.prefix(3).allSatisfy { $0.status == "failed" })
        // Thumbnails by libvips (vipsthumbnail, from scripts/install-test-tools), named by SHA-256.
        let thumbnails = ReportThumbnails().make(for: model.cards, outputDirectory: output, reportDirectory: output + "/report")
        // Identical images (an edit's two variants of one prompt, here) share a thumbnail.
        let images = Set(model.cards.filter { $0.status == "succeeded" }.compactMap(\.sha256)).count
        #expect(thumbnails.made == images && thumbnails.failed == 0 && thumbnails.note == nil, "\(thumbnails)")
        let sample = try #require(thumbnails.bySHA.values.first)
        let info = try ImageInspector.inspect(Array(try Data(contentsOf: URL(fileURLWithPath: output + "/report/" + sample))))
        #expect(info.format == .webp && max(info.width, info.height) <= ReportThumbnails.size)
        let written = try ReportWriter.write(model, outputDirectory: output, reportDirectory: output + "/report", thumbnails: thumbnails)
        #expect(written.pageBytes < 200_000)
        #expect(ReportThumbnails().make(for: model.cards, outputDirectory: output, reportDirectory: output + "/report").reused == images)

        let shot = output + "/report-screenshot.png"
        let seen = try await Chromium.drive(report: written.index, screenshot: shot, search: "Product 1", stage: "touch_up")
        let first = try #require(seen["first"] as? [String: Any])
        #expect((first["items"] as? Int ?? 0) > 0)
        #expect(first["shown"] as? String == "showing 69 of 69 cards")
        // A reviewer starts with what failed; no image is inlined.
        #expect(first["firstStatus"] as? String == "failed")
        #expect(first["inlined"] as? Int == 0)
        // The cards show the thumbnails, and they load.
        #expect((first["thumbnails"] as? Int ?? 0) > 0 && first["thumbnails"] as? Int == first["images"] as? Int, "\(first)")
        #expect(first["loaded"] as? Bool == true)

        let failed = try #require(seen["after_failed_click"] as? [String: Any])
        #expect(failed["hash"] as? String == "#status=failed")
        #expect(failed["statuses"] as? [String] == ["failed"])
        #expect(Set(failed["keys"] as? [String] ?? []) == ["P3", "P9", "P17"])

        // "Product 1" is in the prompts of 1 and 10–19 (two of them failed at hero, one skipped below).
        let searched = try #require(seen["after_search"] as? [String: Any])
        #expect(searched["hash"] as? String == "#q=Product+1")
        let expected = Set(["P1"] + (10...19).map { "P\($0)" })
        #expect(Set(searched["keys"] as? [String] ?? []) == expected)

        let staged = try #require(seen["after_stage_click"] as? [String: Any])
        #expect(staged["stages"] as? [String] == ["touch_up"])
        #expect(staged["hash"] as? String == "#stage=touch_up")

        // A link that carries the filters opens filtered: the edits skipped after a failure.
        let linked = try #require(seen["opened_with_fragment"] as? [String: Any])
        #expect(linked["hash"] as? String == "#status=failed&stage=touch_up")
        #expect((linked["items"] as? Int) == 0)
        #expect(linked["shown"] as? String == "showing 0 of 69 cards")

        let screenshot = try #require(seen["screenshot"] as? [String: Any])
        #expect((screenshot["colours"] as? Int ?? 0) > 50, "a blank page has a handful of colours: \(screenshot)")
        #expect(FileManager.default.fileExists(atPath: shot))
    }

    /// `--compare previous`: what the second run made anew, made again, or left as it was.
    @Test func compareMarksNewRegeneratedAndUnchanged() async throws {
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let yaml = """
        version: 1
        name: report-compare
        providers:
          p: { kind: openai, base_url: "{{BASE}}/v1", api_key: test-key-123456 }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate:
              from: products
              provider: p
              model: gpt-image-1
              prompt: "{{ name }}"
              size: 1024x1024
              output: "hero/{{ sku }}.png"
        """
        let first = try await RunHarness.run(yaml, files: ["products.csv": "sku,name\nA,mug\nB,cup\nC,jug\n"], server: emulator, ledger: true)
        let dir = first.directory
        let output = dir.appendingPathComponent("out").path
        // A report after the first run keeps thumbnails of its images.
        let before = try ReportModel.load(manifest: first.result.manifestPath, runsDirectory: output + "/runs", stages: ["hero"],
                                          pipeline: "report-compare", budgetUSD: nil)
        #expect(ReportThumbnails().make(for: before.cards, outputDirectory: output, reportDirectory: output + "/report").made == 3)
        let second = try await RunHarness.run(yaml, files: ["products.csv": "sku,name\nA,mug\nB,blue cup\nC,jug\nD,bowl\n"], server: emulator,
                                              directory: dir, ledger: true)
        #expect(second.stage("hero").succeeded == 2)
        let model = try ReportModel.load(manifest: second.result.manifestPath, runsDirectory: output + "/runs", stages: ["hero"],
                                         pipeline: "report-compare", budgetUSD: nil, compare: "previous")
        #expect(model.summary.changes == ["unchanged": 2, "regenerated": 1, "new": 1])
        let regenerated = try #require(model.cards.first { $0.key == "B" })
        #expect(regenerated.change == "regenerated")
        // B's file was overwritten, but its earlier thumbnail is still there to show beside the new one.
        let thumbnails = ReportThumbnails().make(for: model.cards, outputDirectory: output, reportDirectory: output + "/report")
        #expect(thumbnails.made == 2 && thumbnails.reused == 3)
        let earlier = try #require(regenerated.earlierSHA256.flatMap { thumbnails.bySHA[$0] })
        let data = ReportWriter.data(model, imagePrefix: "../", thumbnails: thumbnails).serialized(pretty: false)
        #expect(data.contains("\"\(earlier)\"]"))
        #expect(model.cards.first { $0.key == "D" }?.change == "new")
        #expect(throws: ReportModel.Failure.self) {
            try ReportModel.load(manifest: second.result.manifestPath, runsDirectory: output + "/runs", stages: ["hero"],
                                 pipeline: "report-compare", budgetUSD: nil, compare: "no-such-run")
        }
    }

    @Test func withoutVipsthumbnailTheReportSaysSoAndShowsTheOriginals() {
        let card = ReportModel.Card(stage: "hero", key: "A", variant: 1, matrix: [], status: "succeeded", path: "a.png",
                                    sha256: String(repeating: "a", count: 64))
        let dir = Fixtures.temporaryDirectory().path
        _ = FileManager.default.createFile(atPath: dir + "/a.png", contents: Data([1]))
        let made = ReportThumbnails(environment: ["PATH": "/nonexistent"]).make(for: [card], outputDirectory: dir, reportDirectory: dir + "/report")
        #expect(made.bySHA.isEmpty)
        #expect(made.note?.contains("vipsthumbnail (libvips-tools) is not installed") == true)
    }

    /// A URL made from hostile data (`javascript:…` in a CMS's answer) is shown, never a link.
    @Test func onlyWebAddressesBecomeLinks() async throws {
        let dir = Fixtures.temporaryDirectory().path
        let lines = [
            #"{"key":"a","stage":"publish","status":"succeeded","url":"javascript:alert(document.cookie)"}"#,
            #"{"key":"b","stage":"publish","status":"succeeded","url":"https://cms.example.com/products/b"}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/manifest.jsonl", atomically: true, encoding: .utf8)
        let model = try ReportModel.load(manifest: dir + "/manifest.jsonl", runsDirectory: dir + "/runs", stages: ["publish"], pipeline: "links", budgetUSD: nil)
        let written = try ReportWriter.write(model, outputDirectory: dir, reportDirectory: dir + "/report")
        let dom = try await Chromium.dom(of: written.index)
        #expect(dom.contains("<a href=\"https://cms.example.com/products/b\""), "\(dom)")
        #expect(dom.contains("<span>javascript:alert(document.cookie)</span>"))
        #expect(!dom.contains("href=\"javascript:"))
    }

    /// A transform's outputs of one item are cards of their own, not one card shown twice.
    @Test func eachOutputOfATransformIsItsOwnCard() throws {
        let dir = Fixtures.temporaryDirectory().path
        let lines = [
            #"{"key":"a","stage":"web","variant":1,"output":"og","status":"succeeded","path":"og/a.webp"}"#,
            #"{"key":"a","stage":"web","variant":1,"output":"thumb","status":"succeeded","path":"thumb/a.jpg"}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/manifest.jsonl", atomically: true, encoding: .utf8)
        let model = try ReportModel.load(manifest: dir + "/manifest.jsonl", runsDirectory: dir + "/runs", stages: ["web"], pipeline: "outputs", budgetUSD: nil)
        #expect(model.cards.count == 2)
        #expect(Set(model.cards.map(\.identity)).count == 2)
        #expect(model.cards.map { $0.matrix.map(\.1) } == [["og"], ["thumb"]])
    }

    @Test func imagePathsAreRelativeAndEncoded() {
        #expect(ReportWriter.relativePrefix(from: "/a/out/report", to: "/a/out") == "../")
        #expect(ReportWriter.relativePrefix(from: "/a/site", to: "/a/out dir") == "../out%20dir/")
        #expect(ReportWriter.encode("hero/50% off #1?.png") == "hero/50%25%20off%20%231%3F.png")
    }
}
