import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

@Suite struct TemplateTests {
    func render(_ text: String, _ fields: [String: String]) throws -> String {
        try TemplateRenderer.render(try TemplateParser.parse(text)) { fields[$0.joined(separator: ".")] }
    }

    @Test func rendersFieldsPathsAndFilters() throws {
        let fields = ["name": "  Café Noir (XL) ", "upload.url": "https://x/y.png", "color": ""]
        #expect(try render("{{ name | trim }}!", fields) == "Café Noir (XL)!")
        #expect(try render("{{name|slug}}", fields) == "cafe-noir-xl")
        #expect(try render("{{ name | trim | upper }}", fields) == "CAFÉ NOIR (XL)")
        #expect(try render("{{ upload.url }}", fields) == "https://x/y.png")
        #expect(try render("{{ color | default(\"black\") }}", fields) == "black")
        #expect(try render("{{ missing | default('none') }}", fields) == "none")
        #expect(try render("<b>{{ name | trim }}</b>", fields) == "<b>Café Noir (XL)</b>", "no HTML escaping")
    }

    /// The guide's own Korean data slugged to nothing, so every path collided.
    @Test func slugKeepsLettersOfEveryScript() throws {
        let cases = [
            "가죽 지갑": "가죽-지갑", "눈 오는 거리": "눈-오는-거리", "한복 스카프": "한복-스카프",
            "ガラスの花瓶": "ガラスの花瓶", "ｶﾞﾗｽ 花瓶 ２": "ガラス-花瓶-2", "Café Noir (XL)": "cafe-noir-xl",
            "Crème Brûlée, 250 g": "creme-brulee-250-g", "Café 가죽": "cafe-가죽", "Ærø Ø": "ærø-ø", "— !? —": "",
        ]
        for (text, slug) in cases {
            #expect(try render("{{ t | slug }}", ["t": text]) == slug, "\(text)")
        }
    }

    @Test func missingFieldIsAnError() {
        #expect(throws: TemplateRenderer.MissingField(path: "sku")) { try render("{{ sku }}", [:]) }
    }

    @Test func syntaxErrorsCarryOffsets() {
        func failure(_ text: String) -> TemplateParser.Failure? {
            do { _ = try TemplateParser.parse(text); return nil } catch { return error }
        }
        #expect(failure("ab {{ name")?.offset == 3)
        #expect(failure("{{ name | lowr }}")?.message == "unknown filter 'lowr'")
        #expect(failure("{{ name | lowr }}")?.hint == "did you mean 'lower'?")
        #expect(failure("{{ name | default }}")?.message == "filter 'default' needs an argument")
        #expect(failure("{{ }}")?.message == "empty '{{ }}'")
        #expect(failure("a }} b")?.message == "'}}' without a matching '{{'")
        #expect(failure("{{ a b }}")?.message == "unexpected 'b' in '{{ }}'")
    }

    @Test func fieldErrorPointsAtTheColumnInTheFile() {
        let yaml = """
        version: 1
        name: p
        providers: { fast: { kind: placeholder } }
        sources: { products: { items: [{ sku: A1, name: Mug }], key: "{{ sku }}" } }
        stages:
          hero:
            generate: { from: products, provider: fast, model: m, prompt: "A {{ nme }}", output: "{{ sku }}.png" }
        """
        let (outcome, _) = Fixtures.validate(yaml)
        #expect(Fixtures.lines(outcome) == ["pipeline.yaml:7:73: error: unknown field 'nme': source 'products' does not provide it (fields: sku, name), nor does any upstream stage; did you mean 'name'?"])
    }
}
