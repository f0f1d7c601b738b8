import Foundation
import Testing
import Crypto
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipePlan
import ImagePipeEmulator

/// The `transform` stage end to end: real images through libvips, the results decoded by Pillow
/// (not by libvips), provenance read back by exiftool, one manifest line per output, the cache.
@Suite struct TransformStageTests {
    static let yaml = """
    version: 1
    name: transform-test
    providers:
      local: { kind: placeholder }
    sources:
      products:
        items:
          - { sku: A1, name: "Red shoe" }
          - { sku: B2, name: "Blue mug" }
          - { sku: C3, name: "Green lamp" }
        key: "{{ sku }}"
    stages:
      hero:
        generate:
          from: products
          provider: local
          model: placeholder-v1
          prompt: "Product photo of {{ name }}"
          size: 1024x1024
          output: hero/{{ key }}.png
      web:
        transform:
          from: hero
          quality: 82
          outputs:
            og:
              resize: { width: 1200, height: 630, fit: cover, position: attention }
              output: og/{{ key }}.webp
            thumb:
              resize: { width: 400, height: 400 }
              quality: 70
              output: thumb/{{ key }}.jpg
            boxed:
              resize: { width: 300, height: 200, fit: contain }
              background: "#ff0000"
              output: boxed/{{ key }}.png
            narrow:
              resize: { width: 250 }
              format: avif
              output: narrow/{{ key }}.avif
            bare:
              crop: { left: 100, top: 100, width: 500, height: 300 }
              strip: true
              output: bare/{{ key }}.jpg
      sized:
        transform:
          from: web
          when: 'output == "og"'
          resize: { width: 600, height: 315, fit: fill }
          output: "small/{{ key }}-{{ output }}.png"
    """

    @Test func outputsHaveTheirSizesFormatsAndProvenance() async throws {
        let run = try await RunHarness.run(Self.yaml, ledger: true)
        let web = run.lines(stage: "web")
        #expect(web.count == 15, "one line per item and output")
        #expect(web.allSatisfy { $0["status"] as? String == "succeeded" }, "\(web.filter { $0["status"] as? String != "succeeded" })")
        #expect(Set(web.compactMap { $0["output"] as? String }) == ["og", "thumb", "boxed", "narrow", "bare"])
        let out = run.directory.appendingPathComponent("out")
        func path(_ relative: String) -> String { out.appendingPathComponent(relative).path }
        let expected: [(String, String, Int, Int)] = [
            ("og/A1.webp", "WEBP", 1200, 630), ("thumb/A1.jpg", "JPEG", 400, 400), ("boxed/A1.png", "PNG", 300, 200),
            ("narrow/A1.avif", "AVIF", 250, 250), ("bare/A1.jpg", "JPEG", 500, 300), ("small/A1-og.png", "PNG", 600, 315),
        ]
        let decoded = try await ExternalTool.decoded(expected.map { path($0.0) })
        for (file, format, width, height) in expected {
            let image = decoded[path(file)]
            #expect(image?["error"] == nil, "\(file): \(String(describing: image))")
            #expect(image?["format"] as? String == format, "\(file)")
            #expect(image?["width"] as? Int == width && image?["height"] as? Int == height, "\(file): \(String(describing: image))")
        }
        // The manifest says what Pillow saw.
        let og = web.first { $0["key"] as? String == "A1" && $0["output"] as? String == "og" }
        #expect(og?["width"] as? Int == 1200 && og?["height"] as? Int == 630 && og?["path"] as? String == "og/A1.webp")
        #expect(run.lines(stage: "sized").count == 3, "only the og outputs went on")
        // `contain` pads with the background: the corner of the 300×200 box is red.
        let corner = try await ExternalTool.run(["python3", "-c", "from PIL import Image; print(Image.open('\(path("boxed/A1.png"))').convert('RGB').getpixel((0, 0)))"])
        #expect(corner.trimmingCharacters(in: .whitespacesAndNewlines) == "(255, 0, 0)")

        // Provenance: generated images say so; transforms keep it unless they strip.
        for file in ["hero/A1.png", "og/A1.webp", "thumb/A1.jpg", "boxed/A1.png", "narrow/A1.avif", "small/A1-og.png"] {
            let tags = try await ExternalTool.xmp(of: path(file))
            #expect(tags["XMP-iptcExt:DigitalSourceType"] == XMPPacket.trainedAlgorithmicMedia, "\(file): \(tags)")
            #expect(tags["XMP-imagepipe:Prompt"] == "Product photo of Red shoe", "\(file)")
            #expect(tags["XMP-imagepipe:Provider"] == "local" && tags["XMP-imagepipe:Model"] == "placeholder-v1", "\(file)")
            #expect(tags["XMP-imagepipe:Pipeline"] == "transform-test" && tags["XMP-imagepipe:Run"] != nil, "\(file)")
        }
        #expect(try await ExternalTool.xmp(of: path("bare/A1.jpg"))["XMP-iptcExt:DigitalSourceType"] == nil, "strip: true drops it")

        // Again: every transform is a cache hit (fingerprinted by the input's SHA-256 and the recipe).
        let again = try await RunHarness.run(Self.yaml, directory: run.directory, ledger: true)
        #expect(again.lines(stage: "web").allSatisfy { $0["status"] as? String == "cached" })
        #expect(again.lines(stage: "sized").allSatisfy { $0["status"] as? String == "cached" })
    }

    @Test func aPromptHashInsteadOfThePromptAndProvenanceOff() async throws {
        let yaml = Self.yaml.replacingOccurrences(of: "name: transform-test\n", with: "name: transform-test\nprovenance: { prompt: hash }\n")
            .replacingOccurrences(of: "  sized:\n    transform:\n", with: "  sized:\n    transform:\n      provenance: false\n")
        #expect(yaml.contains("provenance: false"))
        let run = try await RunHarness.run(yaml)
        let out = run.directory.appendingPathComponent("out")
        let tags = try await ExternalTool.xmp(of: out.appendingPathComponent("hero/B2.png").path)
        #expect(tags["XMP-imagepipe:Prompt"] == nil)
        #expect(tags["XMP-imagepipe:PromptSHA256"] == Hex.string(SHA256.hash(data: Array("Product photo of Blue mug".utf8))))
        #expect(try await ExternalTool.xmp(of: out.appendingPathComponent("small/B2-og.png").path).isEmpty)
    }

    @Test func aLibvipsFailureIsTheItemsNotTheRuns() async throws {
        // A 500×300 crop at (100, 100) fits a 1024 px hero, not a 400 px one.
        let small = Self.yaml.replacingOccurrences(of: "size: 1024x1024", with: "size: 400x400")
        let run = try await RunHarness.run(small)
        let bare = run.lines(stage: "web").filter { $0["output"] as? String == "bare" }
        #expect(bare.count == 3)
        for line in bare {
            #expect(line["status"] as? String == "failed")
            #expect(line["failure_class"] as? String == "local_error")
            #expect((line["message"] as? String ?? "").contains("does not fit the 400x400 input"), "\(line)")
        }
        #expect(run.lines(stage: "web").filter { $0["status"] as? String == "succeeded" }.count == 12, "the other outputs are made")
    }

    @Test func mistakesAreFoundBeforeAnythingRuns() {
        let cases: [(String, String)] = [
            (Self.yaml.replacingOccurrences(of: "      from: hero\n      quality: 82", with: "      from: products\n      quality: 82"), "transform"),
            (Self.yaml.replacingOccurrences(of: "      quality: 82\n", with: "      quality: 82\n      on_check_failure: regenerate\n"), "'on_check_failure' must be one of 'fail'"),
            (Self.yaml.replacingOccurrences(of: "resize: { width: 250 }", with: "resize: { fit: cover }"), "has neither 'width' nor 'height'"),
            (Self.yaml.replacingOccurrences(of: "output: thumb/{{ key }}.jpg", with: "output: thumb/all.jpg"), "has no fields"),
            (Self.yaml.replacingOccurrences(of: "output: boxed/{{ key }}.png", with: "output: og/{{ key }}.webp"), "have the same path"),
            // A folder named "output" is not the {{ output }} field.
            (Self.yaml.replacingOccurrences(of: "output: og/{{ key }}.webp", with: "output: output/{{ key }}.webp")
                .replacingOccurrences(of: "output: boxed/{{ key }}.png", with: "output: output/{{ key }}.webp"), "have the same path"),
            (Self.yaml.replacingOccurrences(of: "output: thumb/{{ key }}.jpg", with: "output: ../thumb/{{ key }}.jpg"), "leaves output_dir"),
        ]
        for (yaml, message) in cases {
            #expect(yaml != Self.yaml, "the case changes the pipeline")
            let (checked, _) = Fixtures.validate(yaml)
            let lines = Fixtures.lines(checked)
            #expect(lines.contains { $0.contains(message) }, "expected '\(message)' in \(lines)")
        }
    }

    /// Below a transform each output is its own unit; a join (`from: [web]`, a list of one) takes
    /// each item once, with every output by name.
    @Test func aJoinSeesEveryOutputByName() async throws {
        let yaml = """
        version: 1
        name: transform-join
        providers:
          local: { kind: placeholder }
        sources:
          products:
            items: [{ sku: A1 }, { sku: B2 }]
            key: "{{ sku }}"
        stages:
          hero:
            generate: { from: products, provider: local, model: placeholder-v1, prompt: "{{ sku }}", size: 256x256, output: "hero/{{ key }}.png" }
          web:
            transform:
              from: hero
              outputs:
                og: { resize: { width: 120, height: 63 }, output: "og/{{ key }}.webp" }
                thumb: { resize: { width: 40, height: 40 }, output: "thumb/{{ key }}.jpg" }
          each:
            http: { from: web, method: PUT, url: "{{BASE}}/capture/each/{{ key }}/{{ output }}", json: { path: "{{ web.path }}" } }
          cms:
            http:
              from: [web]
              method: PUT
              url: "{{BASE}}/capture/cms/{{ key }}"
              json: { og: "{{ web.og.path }}", thumb: "{{ web.thumb.path }}", thumb_width: "{{ web.thumb.width }}" }
        """
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let run = try await RunHarness.run(yaml, server: emulator)
        #expect(run.stage("each").succeeded == 4, "one request per item and output")
        #expect(run.stage("cms").succeeded == 2, "one request per item")
        let bodies = emulator.stats.captured.filter { $0.path.hasPrefix("/capture/cms/") }
        let a1 = try #require(bodies.first { $0.path == "/capture/cms/A1" })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(a1.body.utf8)) as? [String: String])
        #expect(json == ["og": "out/og/A1.webp", "thumb": "out/thumb/A1.jpg", "thumb_width": "40"])
        #expect(Set(emulator.stats.captured.map(\.path)).isSuperset(of: ["/capture/each/A1/og", "/capture/each/A1/thumb"]))

        // Without the join, an output's name is not there to pick: said before anything runs.
        let (checked, _) = Fixtures.validate(yaml.replacingOccurrences(of: "from: [web]", with: "from: web"))
        #expect(Fixtures.lines(checked).contains { $0.contains("takes each output on its own") && $0.contains("from: [web]") }, "\(Fixtures.lines(checked))")
        let (typo, _) = Fixtures.validate(yaml.replacingOccurrences(of: "web.og.path", with: "web.og.pth"))
        #expect(Fixtures.lines(typo).contains { $0.contains("has no output 'pth'") })
    }

    /// The recipe names everything that changes the bytes: a new quality is a new image, even
    /// when the format follows the input.
    @Test func theFingerprintFollowsTheQuality() {
        let low = TransformRecipe(TransformSpec.Operations(quality: 60), outputPath: "small/{{ key }}")
        let high = TransformRecipe(TransformSpec.Operations(quality: 90), outputPath: "small/{{ key }}")
        #expect(low.description != high.description)
        #expect(TransformRecipe(TransformSpec.Operations(quality: 60), outputPath: "a.png").description == "png")
    }

    /// `from: [products]`, a list of one source, is that source (as before lists of one stage joined).
    @Test func aListOfOneSourceIsThatSource() {
        let yaml = Self.yaml.replacingOccurrences(of: "      from: products\n", with: "      from: [products]\n")
        #expect(yaml != Self.yaml)
        let (checked, _) = Fixtures.validate(yaml)
        #expect(checked.isValid, "\(Fixtures.lines(checked))")
    }
}
