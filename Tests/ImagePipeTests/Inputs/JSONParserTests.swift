import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

@Suite struct JSONParserTests {
    func parse(_ s: String) throws(JSONParser.Failure) -> JSONValue { try JSONParser.parse(Array(s.utf8)) }

    @Test func parsesValuesInOrder() throws {
        let value = try parse(#"{"b": 1, "a": [true, null, 2.5, "x\u00e9\n"], "c": {"d": -3e2}}"#)
        #expect(value == .object([("b", .int(1)), ("a", .array([.bool(true), .null, .double(2.5), .string("xé\n")])),
                                  ("c", .object([("d", .double(-300))]))]))
        #expect(try parse(#""\ud83d\ude00""#) == .string("😀"))
    }

    @Test func rejectsInvalidJSONWithColumns() {
        func failure(_ s: String) -> JSONParser.Failure? {
            do { _ = try parse(s); return nil } catch { return error }
        }
        #expect(failure(#"{"a": 1,}"#)?.column == 9)
        #expect(failure("{'a': 1}")?.message == "expected a quoted key")
        #expect(failure("[1] x")?.message == "unexpected text after the JSON value")
        #expect(failure(String(repeating: "[", count: 500))?.message.contains("deeper") == true)
    }
}
