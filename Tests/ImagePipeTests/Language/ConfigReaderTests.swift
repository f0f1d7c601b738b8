import Testing
@testable import ImagePipeLanguage
@testable import ImagePipePlan

/// How the reader places values in the file.
@Suite struct ConfigReaderTests {
    /// A mistake deep in a long `>-` prompt is named at its own line and column, not at the
    /// block's first line.
    @Test func errorsInsideBlockScalarsNameTheirLine() {
        let yaml = """
        version: 1
        name: blk
        providers: { local: { kind: placeholder } }
        sources:
          products: { items: [{ sku: A1, name: Mug }], key: "{{ sku }}" }
        stages:
          hero:
            generate:
              from: products
              provider: local
              model: m
              prompt: >-
                A studio photo of {{ name }},

                in {{ colr }} light,
                  soft shadows {{ nme }}
              output: "{{ sku }}.png"
        """
        let (outcome, _) = Fixtures.validate(yaml)
        #expect(Fixtures.lines(outcome) == [
            "pipeline.yaml:15:15: error: unknown field 'colr': source 'products' does not provide it (fields: sku, name), nor does any upstream stage",
            "pipeline.yaml:16:27: error: unknown field 'nme': source 'products' does not provide it (fields: sku, name), nor does any upstream stage; did you mean 'name'?",
        ])
        let literal = yaml.replacingOccurrences(of: "prompt: >-", with: "prompt: |")
        #expect(Fixtures.lines(Fixtures.validate(literal).0).map { $0.prefix(20) } == ["pipeline.yaml:15:15:", "pipeline.yaml:16:27:"])
    }
}
