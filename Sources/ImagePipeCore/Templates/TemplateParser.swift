/// Parses template text. Errors carry the Unicode-scalar offset of the problem, which the caller
/// maps onto a file column.
public enum TemplateParser {
    public struct Failure: Error, Equatable {
        public var offset: Int
        public var message: String
        public var hint: String?
    }

    public static func parse(_ text: String) throws(Failure) -> Template {
        let scalars = Array(text.unicodeScalars)
        var segments: [Template.Segment] = []
        var literal = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            if scalars[i] == "{", i + 1 < scalars.count, scalars[i + 1] == "{" {
                guard let close = findClose(scalars, from: i + 2) else {
                    throw Failure(offset: i, message: "'{{' is never closed", hint: "close it with '}}'")
                }
                if !literal.isEmpty {
                    segments.append(.literal(String(literal)))
                    literal = String.UnicodeScalarView()
                }
                segments.append(.expression(try parseExpression(scalars, from: i + 2, to: close)))
                i = close + 2
            } else if scalars[i] == "}", i + 1 < scalars.count, scalars[i + 1] == "}" {
                throw Failure(offset: i, message: "'}}' without a matching '{{'", hint: nil)
            } else {
                literal.append(scalars[i])
                i += 1
            }
        }
        if !literal.isEmpty { segments.append(.literal(String(literal))) }
        return Template(source: text, segments: segments)
    }

    /// The index of the `}}` that closes an expression, skipping quoted filter arguments.
    private static func findClose(_ s: [Unicode.Scalar], from start: Int) -> Int? {
        var i = start
        var quote: Unicode.Scalar?
        while i < s.count {
            let c = s[i]
            if let q = quote {
                if c == "\\" { i += 2; continue }
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "}", i + 1 < s.count, s[i + 1] == "}" {
                return i
            } else if c == "{", i + 1 < s.count, s[i + 1] == "{" {
                return nil
            }
            i += 1
        }
        return nil
    }

    private static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c)
    }

    private static func isIdentifierPart(_ c: Unicode.Scalar) -> Bool {
        isIdentifierStart(c) || ("0"..."9").contains(c) || c == "-"
    }

    private static func parseExpression(_ s: [Unicode.Scalar], from start: Int, to end: Int) throws(Failure) -> Template.Expression {
        var i = start
        func skipSpaces() { while i < end, s[i] == " " || s[i] == "\t" { i += 1 } }
        func identifier() -> String? {
            guard i < end, isIdentifierStart(s[i]) || ("0"..."9").contains(s[i]) else { return nil }
            var out = String.UnicodeScalarView()
            while i < end, isIdentifierPart(s[i]) {
                out.append(s[i])
                i += 1
            }
            return String(out)
        }

        skipSpaces()
        let pathOffset = i
        guard i < end else { throw Failure(offset: start - 2, message: "empty '{{ }}'", hint: "name a field, like {{ name }}") }
        guard i < end, isIdentifierStart(s[i]), let first = identifier() else {
            throw Failure(offset: i, message: "expected a field name after '{{'", hint: "field names use letters, digits and '_', like {{ sku }}")
        }
        var path = [first]
        while i < end, s[i] == "." {
            i += 1
            guard let part = identifier() else {
                throw Failure(offset: i, message: "expected a field name after '.'", hint: nil)
            }
            path.append(part)
        }
        var filters: [Template.FilterCall] = []
        skipSpaces()
        while i < end {
            guard s[i] == "|" else {
                throw Failure(offset: i, message: "unexpected '\(Character(s[i]))' in '{{ }}'", hint: "filters are written {{ field | lower }}")
            }
            i += 1
            skipSpaces()
            let filterOffset = i
            guard let name = identifier() else {
                throw Failure(offset: i, message: "expected a filter name after '|'", hint: "filters: " + TemplateFilter.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard let filter = TemplateFilter(rawValue: name) else {
                let hint = DidYouMean.hint(for: name, among: TemplateFilter.allCases.map(\.rawValue))
                    ?? "filters: " + TemplateFilter.allCases.map(\.rawValue).joined(separator: ", ")
                throw Failure(offset: filterOffset, message: "unknown filter '\(name)'", hint: hint)
            }
            skipSpaces()
            var argument: String?
            if i < end, s[i] == "(" {
                i += 1
                skipSpaces()
                guard i < end, s[i] == "\"" || s[i] == "'" else {
                    throw Failure(offset: i, message: "filter '\(name)' takes a quoted string", hint: "like \(name)(\"x\")")
                }
                let quote = s[i]
                i += 1
                var value = String.UnicodeScalarView()
                while i < end, s[i] != quote {
                    if s[i] == "\\", i + 1 < end { i += 1 }
                    value.append(s[i])
                    i += 1
                }
                guard i < end else { throw Failure(offset: i, message: "unterminated string in filter '\(name)'", hint: nil) }
                i += 1
                skipSpaces()
                guard i < end, s[i] == ")" else { throw Failure(offset: i, message: "expected ')' after the argument of '\(name)'", hint: nil) }
                i += 1
                argument = String(value)
            }
            if filter.takesArgument, argument == nil {
                throw Failure(offset: filterOffset, message: "filter '\(name)' needs an argument", hint: "like \(name)(\"x\")")
            }
            if !filter.takesArgument, argument != nil {
                throw Failure(offset: filterOffset, message: "filter '\(name)' takes no argument", hint: nil)
            }
            filters.append(Template.FilterCall(filter: filter, argument: argument, offset: filterOffset))
            skipSpaces()
        }
        return Template.Expression(path: path, filters: filters, offset: pathOffset)
    }
}
