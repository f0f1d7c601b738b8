import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipePlan

/// `run --shard I/N` splits the items by their key's hash, and `imagepipe merge` puts the shards'
/// manifests back together as one run's.
@Suite struct ShardTests {
    @Test func theArgumentIsReadOrRefusedWithTheReason() throws {
        #expect(try Shard.parse("2/4", environment: [:]) == Shard(index: 2, count: 4))
        #expect(try Shard.parse("auto/4", environment: ["JOB_COMPLETION_INDEX": "0"]) == Shard(index: 1, count: 4))
        #expect(try Shard.parse("auto/4", environment: ["JOB_COMPLETION_INDEX": "3"]) == Shard(index: 4, count: 4))
        for (text, environment, message) in [
            ("0/4", [String: String](), "shards count from 1"), ("5/4", [:], "must be 1 to 4"), ("2", [:], "write I/N"),
            ("auto/4", [:], "JOB_COMPLETION_INDEX is not set"), ("auto/4", ["JOB_COMPLETION_INDEX": "4"], "not 0 to 3"),
        ] {
            #expect(throws: Shard.Problem.self, "\(text)") { try Shard.parse(text, environment: environment) }
            do { _ = try Shard.parse(text, environment: environment) } catch { #expect(error.description.contains(message), "\(error)") }
        }
    }

    @Test func everyKeyIsInExactlyOneShard() {
        let keys = (0..<1000).map { "SKU\($0)" }
        let shards = (1...4).map { Shard(index: $0, count: 4) }
        var sizes = [0, 0, 0, 0]
        for key in keys {
            let owners = shards.filter { $0.contains(key: key) }
            #expect(owners.count == 1, "\(key)")
            if let owner = owners.first { sizes[owner.index - 1] += 1 }
        }
        #expect(sizes.allSatisfy { (200...300).contains($0) }, "\(sizes)")
    }

    static let yaml = """
    version: 1
    name: shard-test
    # The run is named in each image's provenance: off, so that shards and a single run make the same bytes.
    provenance: false
    providers:
      local: { kind: placeholder }
    sources:
      products: { csv: products.csv, key: "{{ sku }}" }
    stages:
      hero:
        generate: { from: products, provider: local, model: placeholder-v1, prompt: "{{ name }}", size: 64x64, variants: 2, output: "hero/{{ key }}-{{ variant }}.png" }
      web:
        transform:
          from: hero
          outputs:
            og: { resize: { width: 40, height: 21 }, output: "og/{{ key }}-{{ variant }}.webp" }
            thumb: { resize: { width: 16, height: 16 }, output: "thumb/{{ key }}-{{ variant }}.jpg" }
    """

    @Test func fourShardsMakeWhatOneRunMakesAndMergeIntoItsManifest() async throws {
        let csv = RunHarness.products(30)
        let single = try await RunHarness.run(Self.yaml, files: ["products.csv": csv])
        var folders: [String] = []
        var seen: [String: Int] = [:]
        for index in 1...4 {
            var options = RunOptions()
            options.shard = Shard(index: index, count: 4)
            let shard = try await RunHarness.run(Self.yaml, files: ["products.csv": csv], options: options)
            #expect(shard.ending == .succeeded)
            for line in shard.current where line["stage"] as? String == "hero" { seen[line["key"] as! String, default: 0] += 1 }
            folders.append(shard.directory.appendingPathComponent("out").path)
        }
        #expect(seen.count == 30 && seen.values.allSatisfy { $0 == 2 }, "every item in one shard only (2 variants each): \(seen)")
        let merged = Fixtures.temporaryDirectory().appendingPathComponent("merged").path
        let result = try ManifestMerge.merge(folders: folders, into: merged)
        #expect(result.lines == 30 * 2 * 3 && result.duplicates == 0)
        func units(_ lines: [[String: Any]]) -> [String: String] {
            Dictionary(uniqueKeysWithValues: lines.map { line in
                (ManifestMerge.identity(stage: line["stage"] as! String, key: line["key"] as! String, line),
                 "\(line["status"] ?? "") \(line["path"] ?? "") \(line["sha256"] ?? "")")
            })
        }
        let mergedLines = RunHarness.jsonLines(merged + "/manifest.jsonl")
        #expect(units(mergedLines) == units(single.current), "the merged manifest says what the single run's says")

        // The same folder twice: each unit once, the latest line kept.
        let twice = try ManifestMerge.merge(folders: [folders[0], folders[0]], into: merged)
        #expect(twice.duplicates == twice.lines)
    }

    @Test func theCommandLineSaysWhatIsMissing() async throws {
        let dir = Fixtures.temporaryDirectory()
        let missing = try await CLIProcess.run(["merge", "nowhere", "--out", "merged"], in: dir)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nowhere/manifest.jsonl: no manifest there"), "\(missing.stderr)")
        let bad = try await CLIProcess.run(["run", "--shard", "5/4", "pipeline.yaml"], in: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("must be 1 to 4"), "\(bad.stderr)")
    }
}
