import Testing
@testable import ImagePipeCore

/// The condition language of `when:` and `--where`.
@Suite struct ConditionTests {
    func holds(_ text: String, _ fields: [String: String]) throws -> Bool {
        try ConditionParser.parse(text).holds(for: LookupFields { fields[$0.joined(separator: ".")] })
    }

    @Test func comparesTextAndNumbers() throws {
        let item = ["category": "shoes", "price": "19.5", "stock": "3", "name": "Trail Mug", "dims.w": "10"]
        #expect(try holds(#"category == "shoes""#, item))
        #expect(try !holds(#"category != "shoes""#, item))
        #expect(try holds("price < 20 and stock >= 3", item))
        #expect(try holds("price > 9", item), "numbers compare as numbers, not text")
        #expect(try holds(#"category in ["bags", "shoes"] and not (stock == 0)"#, item))
        #expect(try holds(#"category not in ["bags"] or price > 100"#, item))
        #expect(try holds(#"name contains "Mug" and name starts_with 'Trail' and name ends_with "ug""#, item))
        #expect(try holds("dims.w == 10", item))
        #expect(try holds(#"missing == """#, item), "a missing field is empty text")
        #expect(try !holds(#"category == "shoes" and (price > 20 or stock > 5)"#, item))
        // Only plain decimals are numbers: "NaN" and hex compare as text.
        #expect(try !holds("price == 5", ["price": "NaN"]) && (try !holds("price <= 0", ["price": "NaN"])))
        #expect(try !holds("code == 16", ["code": "0x10"]))
    }

    @Test func mistakesNameTheirColumn() {
        func failure(_ text: String) -> ConditionParser.Failure? {
            do { _ = try ConditionParser.parse(text); return nil } catch { return error }
        }
        #expect(failure(#"category = "shoes""#) == .init(offset: 9, message: "'=' alone is not a comparison", hint: "write '==' to compare"))
        #expect(failure(#"category == "shoes"#)?.message == "unterminated text")
        #expect(failure("price >")?.message == "expected a field, a \"text\" or a number, got end of the condition")
        #expect(failure("category shoes")?.offset == 9)
        #expect(failure(#"a == 1 b == 2"#)?.message == "unexpected 'b'")
        #expect(failure(#"(a == 1"#)?.message == "expected ')'")
    }
}
