import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore

/// `checks:` on crafted images, made by a `command` provider that copies a prepared file per
/// item: what fails, with which measured value, and what `regenerate` makes and pays.
@Suite struct ImageChecksTests {
    static let copy = """
    #!/bin/sh
    # key output seed: the seed picks another file when the stage regenerates.
    if [ -n "$3" ] && [ -f "images/$1-again.png" ]; then cp "images/$1-again.png" "$2"; else cp "images/$1.png" "$2"; fi
    echo "$1 $3" >> calls.log
    """

    static func run(keys: [String], checks: String, extra: String = "", top: String = "", images: [String: [UInt8]]) async throws -> RunHarness.Outcome {
        let yaml = """
        version: 1
        name: checks-test
        \(top)
        providers:
          tool: { kind: command, command: ["./copy.sh", "{{ key }}", "{{ output }}", "{{ seed }}"], prices: { crafted: 0.04 } }
        sources:
          items:
            items: [\(keys.map { "{ id: \($0) }" }.joined(separator: ", "))]
            key: "{{ id }}"
        stages:
          hero:
            generate:
              from: items
              provider: tool
              model: crafted
              prompt: "{{ id }}"
              output: out/{{ key }}.png
              concurrency: 1
              checks: \(checks)
        \(extra)
        """
        return try await RunHarness.run(yaml, files: ["copy.sh": copy], setUp: { folder in
            let dir = folder.appendingPathComponent("images")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for (name, bytes) in images { try Data(bytes).write(to: dir.appendingPathComponent("\(name).png")) }
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.appendingPathComponent("copy.sh").path)
        })
    }

    static func byKey(_ run: RunHarness.Outcome) -> [String: [String: Any]] {
        Dictionary(run.lines(stage: "hero").map { ($0["key"] as! String, $0) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func blankAndNearDuplicateImagesFailWithWhatWasMeasured() async throws {
        let images = [
            "flat": CraftedImage.uniform(grey: 200),
            "first": CraftedImage.noise(seed: 1),
            "copy": CraftedImage.noise(seed: 1, touched: 40),
            "other": CraftedImage.noise(seed: 2),
            "small": CraftedImage.noise(seed: 3, side: 120),
        ]
        let run = try await Self.run(keys: ["flat", "first", "copy", "other", "small"],
                                     checks: "{ not_blank: true, distinct: true, min_width: 200, aspect_ratio: \"1:1\" }", images: images)
        let lines = Self.byKey(run)
        func checks(_ key: String) -> [String: Double] { (lines[key]?["checks"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue } }

        #expect(lines["flat"]?["failure_class"] as? String == "check_failed")
        #expect((lines["flat"]?["message"] as? String ?? "").contains("not_blank"), "\(String(describing: lines["flat"]))")
        #expect(checks("flat")["not_blank"].map { $0 < 1 } == true)
        #expect(lines["flat"]?["cost_usd"] as? Double == 0.04, "the image was made: paid")

        #expect(lines["first"]?["status"] as? String == "succeeded")
        #expect(checks("first")["not_blank"].map { $0 > 20 } == true)
        #expect(checks("first")["aspect_ratio"] == 1)

        // Of two near-duplicates, the later one fails, naming the first.
        #expect(lines["copy"]?["failure_class"] as? String == "check_failed")
        #expect((lines["copy"]?["message"] as? String ?? "").contains("near-duplicate of item 'first'"), "\(String(describing: lines["copy"]))")
        #expect(checks("copy")["distinct"].map { $0 <= Double(ImageChecks.defaultDistinctThreshold) } == true)

        #expect(lines["other"]?["status"] as? String == "succeeded")
        #expect(checks("other")["distinct"].map { $0 > Double(ImageChecks.defaultDistinctThreshold) } == true)

        #expect(lines["small"]?["failure_class"] as? String == "check_failed")
        #expect((lines["small"]?["message"] as? String ?? "").contains("120 px wide, at least 200"))
        #expect(checks("small")["min_width"] == 120)
        // What a command provider wrote carries its origin too.
        let tags = try await ExternalTool.xmp(of: run.directory.appendingPathComponent("out/out/first.png").path)
        #expect(tags["XMP-iptcExt:DigitalSourceType"] == XMPPacket.trainedAlgorithmicMedia && tags["XMP-imagepipe:ProviderKind"] == "command", "\(tags)")
        // A failed image is not kept where a later step would pick it up.
        #expect(!FileManager.default.fileExists(atPath: run.directory.appendingPathComponent("out/out/flat.png").path))
    }

    @Test func regenerateMakesTheImageAgainAndCountsWhatItCost() async throws {
        let images = [
            "lucky": CraftedImage.uniform(grey: 10), "lucky-again": CraftedImage.noise(seed: 5),
            "hopeless": CraftedImage.uniform(grey: 90),
        ]
        let run = try await Self.run(keys: ["lucky", "hopeless"], checks: "{ not_blank: true }",
                                     extra: "      on_check_failure: regenerate\n      max_regenerations: 2", images: images)
        let lines = Self.byKey(run)
        #expect(lines["lucky"]?["status"] as? String == "succeeded", "\(String(describing: lines["lucky"]))")
        #expect(lines["lucky"]?["attempts"] as? Int == 2)
        #expect(lines["lucky"]?["cost_usd"] as? Double == 0.08, "two images made, two paid")
        let history = lines["lucky"]?["retries"] as? [[String: String]]
        #expect(history?.first?["class"] == "check_failed")

        #expect(lines["hopeless"]?["failure_class"] as? String == "check_failed")
        #expect(lines["hopeless"]?["attempts"] as? Int == 3, "the first image and two more")
        #expect(run.stage("hero").inFlight == 0, "a regenerated item is one unit in flight, not one per image")
        #expect(abs((lines["hopeless"]?["cost_usd"] as? Double ?? 0) - 0.12) < 1e-9)
        let calls = try String(contentsOf: run.directory.appendingPathComponent("calls.log"), encoding: .utf8).split(separator: "\n")
        #expect(calls.filter { $0.hasPrefix("hopeless") }.count == 3)
        // Each regeneration asks for another seed.
        #expect(Set(calls.filter { $0.hasPrefix("hopeless") }).count == 3, "\(calls)")
    }

    /// A regeneration the budget cannot pay for is not made: the refused image is the result, paid.
    @Test func theBudgetStopsRegenerating() async throws {
        let run = try await Self.run(keys: ["hopeless"], checks: "{ not_blank: true }",
                                     extra: "      on_check_failure: regenerate\n      max_regenerations: 5",
                                     top: "budget: { max_usd: 0.10 }", images: ["hopeless": CraftedImage.uniform(grey: 90)])
        let line = try #require(Self.byKey(run)["hopeless"])
        #expect(line["failure_class"] as? String == "check_failed")
        #expect(line["attempts"] as? Int == 2)
        #expect(abs((line["cost_usd"] as? Double ?? 0) - 0.08) < 1e-9, "two images made and paid: a third would pass the budget")
        #expect((line["message"] as? String ?? "").contains("not made again"), "\(line)")
        #expect(run.budgetReserved == 0)
        #expect(run.stage("hero").inFlight == 0, "a regeneration that never started is not left counted in flight")
    }

    /// `max_bytes` measures the file as written, provenance included.
    @Test func maxBytesSeesTheFileAsWritten() async throws {
        let image = CraftedImage.noise(seed: 1)
        let run = try await Self.run(keys: ["first"], checks: "{ max_bytes: \(image.count + 10) }", images: ["first": image])
        let line = try #require(Self.byKey(run)["first"])
        #expect(line["failure_class"] as? String == "check_failed", "\(line)")
        let measured = ((line["checks"] as? [String: Any])?["max_bytes"] as? NSNumber)?.intValue ?? 0
        #expect(measured > image.count + 500, "the XMP packet is counted")
    }
}
