import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan
import ImagePipeEmulator

/// The committed schema and reference are exactly what the declarations generate.
@Suite struct SchemaTests {
    @Test func committedSchemaIsCurrent() throws {
        let committed = try String(contentsOf: Fixtures.repository.appendingPathComponent("schemas/pipeline.schema.json"), encoding: .utf8)
        #expect(committed == JSONSchemaGenerator.schema().serialized() + "\n",
                "schemas/pipeline.schema.json is stale: run `swift run imagepipe schema > schemas/pipeline.schema.json`")
    }

    @Test func committedReferenceIsCurrent() throws {
        let committed = try String(contentsOf: Fixtures.repository.appendingPathComponent("docs/pipeline-reference.md"), encoding: .utf8)
        #expect(committed == ReferenceDocGenerator.markdown(),
                "docs/pipeline-reference.md is stale: run `swift run imagepipe docs > docs/pipeline-reference.md`")
    }

    @Test func everyDeclaredFieldIsInTheSchema() throws {
        let schema = JSONSchemaGenerator.schema()
        let defs = try #require(schema["$defs"])
        for spec in DeclarationWalker.all(from: PipelineSpec.declaration) where spec !== PipelineSpec.declaration {
            let properties = try #require(defs[spec.schemaName]?["properties"], "\(spec.schemaName) missing")
            for field in spec.fields { #expect(properties[field.name] != nil, "\(spec.schemaName).\(field.name)") }
        }
    }

    @Test func committedManifestSchemaIsCurrent() throws {
        let committed = try String(contentsOf: Fixtures.repository.appendingPathComponent("schemas/manifest.schema.json"), encoding: .utf8)
        #expect(committed == ManifestLineSchema.schema().serialized() + "\n",
                "schemas/manifest.schema.json is stale: run `swift run imagepipe schema --manifest > schemas/manifest.schema.json`")
    }

    /// Real lines of every status hold to the manifest's schema: no field it does not declare, the
    /// declared types and values, the required fields present.
    @Test func manifestLinesHoldToTheirSchema() async throws {
        let yaml = """
        version: 1
        name: schema-check
        providers:
          p: { kind: openai, base_url: "{{BASE}}/v1", api_key: test-key-123456 }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate: { from: products, provider: p, model: gpt-image-1, prompt: "{{ name }} {{ look }}", size: 64x64, matrix: { look: [day, night] }, output: "{{ sku }}-{{ look }}.png" }
          cms:
            http: { from: hero, method: PUT, url: "{{BASE}}/capture/flaky-503/cms/{{ sku }}/{{ look }}", json: { image: "{{ hero.path }}" }, retry: { attempts: 2, initial: 10ms } }
        """
        let emulator = ImagePipeEmulator.Emulator(configuration: .init(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let dir = Fixtures.temporaryDirectory()
        let files = ["products.csv": "sku,name\nA1,Mug\nA2,[[block]] Cup\n"]
        let first = try await RunHarness.run(yaml, files: files, server: emulator, directory: dir, ledger: true)
        let second = try await RunHarness.run(yaml, server: emulator, directory: dir, ledger: true)
        let lines = first.manifest + second.manifest + second.current
        #expect(Set(lines.compactMap { $0["status"] as? String }) == ["succeeded", "failed", "skipped", "cached"])
        #expect(lines.contains { ($0["retries"] as? [Any])?.isEmpty == false })
        // Cached rows keep what the image cost when made; the run that reused them spent nothing.
        let cachedHero = second.lines(stage: "hero").filter { $0["status"] as? String == "cached" }
        #expect(cachedHero.count == 2 && cachedHero.allSatisfy { $0["cost_usd"] as? Double == 0.042 })
        #expect(second.stage("hero").costUSD == 0 && second.result.spentUSD == 0)
        let fields = Dictionary(uniqueKeysWithValues: ManifestLineSchema.fields.map { ($0.name, $0) })
        for line in lines {
            for required in ManifestLineSchema.fields where required.required { #expect(line[required.name] != nil, "\(required.name) missing in \(line)") }
            for (name, value) in line {
                let field = try #require(fields[name], "'\(name)' is not in the manifest schema")
                switch field.type {
                case "string": #expect(value is String, "\(name)")
                case "integer": #expect((value as? NSNumber).map { $0.doubleValue == $0.doubleValue.rounded() } ?? false, "\(name)")
                case "number": #expect(value is NSNumber, "\(name)")
                case "object": #expect(value is [String: Any], "\(name)")
                case "array": #expect(value is [Any], "\(name)")
                default: Issue.record("type \(field.type)")
                }
                if let values = field.values { #expect(values.contains(value as? String ?? ""), "\(name): \(value)") }
            }
        }
    }
}
