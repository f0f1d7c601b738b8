import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

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
}
