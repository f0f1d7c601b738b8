import Testing
@testable import ImagePipeCore

/// Values in URL templates expand as RFC 6570 says: simple string expansion by default, reserved
/// expansion with `raw`. The vectors are the RFC's own (sections 1.2 and 3.2.2–3.2.3).
@Suite struct URLValueEncodingTests {
    func render(_ text: String, _ fields: [String: String]) throws -> String {
        try TemplateRenderer.render(try TemplateParser.parse(text), fields: LookupFields { fields[$0.joined(separator: ".")] }, encoding: .url)
    }

    @Test func plainValuesAreSimpleStringExpansions() throws {
        let rfc = ["var": "value", "hello": "Hello World!", "half": "50%", "path": "/foo/bar", "base": "http://example.com/home/", "x": "1024"]
        #expect(try render("{{ var }}", rfc) == "value")
        #expect(try render("{{ hello }}", rfc) == "Hello%20World%21")
        #expect(try render("{{ half }}", rfc) == "50%25")
        #expect(try render("{{ base }}index", rfc) == "http%3A%2F%2Fexample.com%2Fhome%2Findex")
        #expect(try render("{{ path }}/here", rfc) == "%2Ffoo%2Fbar/here")
        #expect(try render("map?{{ x }}", rfc) == "map?1024")
        // What hostile catalogue data becomes: one segment, its structure gone.
        #expect(try render("/api/{{ v }}", ["v": "../../admin?x=1#f"]) == "/api/..%2F..%2Fadmin%3Fx%3D1%23f")
        #expect(try render("/api/{{ v }}", ["v": "a%2Fb c"]) == "/api/a%252Fb%20c")
        #expect(try render("/api/{{ v }}", ["v": "가 é\u{0}\r\n"]) == "/api/%EA%B0%80%20%C3%A9%00%0D%0A")
    }

    @Test func rawValuesAreReservedExpansions() throws {
        let rfc = ["hello": "Hello World!", "half": "50%", "path": "/foo/bar", "base": "http://example.com/home/"]
        #expect(try render("{{ hello | raw }}", rfc) == "Hello%20World!")
        #expect(try render("{{ half | raw }}", rfc) == "50%25")
        #expect(try render("{{ base | raw }}index", rfc) == "http://example.com/home/index")
        #expect(try render("{{ path | raw }}/here", rfc) == "/foo/bar/here")
        #expect(try render("{{ v | raw }}", ["v": "a%2Fb?q=1#x y"]) == "a%2Fb?q=1#x%20y", "existing escapes are kept")
    }

    @Test func textOutsideURLsIsAsWritten() throws {
        let template = try TemplateParser.parse("{{ v }} {{ v | raw }}")
        #expect(try TemplateRenderer.render(template, fields: LookupFields { _ in "a/b c" }) == "a/b c a/b c")
    }

    @Test func dotSegmentsAreFoundInTheirEncodedFormsToo() {
        for segment in [".", "..", "%2e", "%2E%2e", ".%2E"] { #expect(URLValueEncoding.isDotSegment(Substring(segment)), "\(segment)") }
        for segment in ["...", "a..", "..%2F..", "", "%2F"] { #expect(!URLValueEncoding.isDotSegment(Substring(segment)), "\(segment)") }
    }
}
