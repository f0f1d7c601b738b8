/// Parses a condition: `or` binds loosest, then `and`, then `not`, then one comparison.
/// Errors carry the Unicode-scalar offset of the problem, like template errors.
public enum ConditionParser {
    public struct Failure: Error, Equatable {
        public var offset: Int
        public var message: String
        public var hint: String?
    }

    private enum Token: Equatable {
        case word(String), text(String), number(Double), symbol(String), end
    }

    public static func parse(_ text: String) throws(Failure) -> Condition {
        var parser = Parser(tokens: try tokenize(text))
        let condition = try parser.or()
        guard parser.peek.token == .end else {
            throw Failure(offset: parser.peek.offset, message: "unexpected \(describe(parser.peek.token))", hint: "join conditions with 'and' or 'or'")
        }
        return condition
    }

    private static func describe(_ token: Token) -> String {
        switch token {
        case .word(let w): return "'\(w)'"
        case .text(let t): return "\"\(t)\""
        case .number(let n): return "\(n)"
        case .symbol(let s): return "'\(s)'"
        case .end: return "end of the condition"
        }
    }

    private static func tokenize(_ text: String) throws(Failure) -> [(token: Token, offset: Int)] {
        let s = Array(text.unicodeScalars)
        var out: [(token: Token, offset: Int)] = []
        var i = 0
        func isWordStart(_ c: Unicode.Scalar) -> Bool { c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
        func isWord(_ c: Unicode.Scalar) -> Bool { isWordStart(c) || ("0"..."9").contains(c) || c == "-" || c == "." }
        while i < s.count {
            let c = s[i]
            if c == " " || c == "\t" { i += 1; continue }
            let start = i
            if c == "\"" || c == "'" {
                var value = String.UnicodeScalarView()
                i += 1
                while i < s.count, s[i] != c {
                    if s[i] == "\\", i + 1 < s.count { i += 1 }
                    value.append(s[i])
                    i += 1
                }
                guard i < s.count else { throw Failure(offset: start, message: "unterminated text", hint: "close it with \(Character(c))") }
                i += 1
                out.append((.text(String(value)), start))
            } else if ("0"..."9").contains(c) || (c == "-" && i + 1 < s.count && ("0"..."9").contains(s[i + 1])) {
                i += 1
                while i < s.count, ("0"..."9").contains(s[i]) || s[i] == "." { i += 1 }
                let literal = String(String.UnicodeScalarView(s[start..<i]))
                guard let number = Double(literal) else { throw Failure(offset: start, message: "'\(literal)' is not a number", hint: nil) }
                out.append((.number(number), start))
            } else if isWordStart(c) {
                while i < s.count, isWord(s[i]) { i += 1 }
                out.append((.word(String(String.UnicodeScalarView(s[start..<i]))), start))
            } else {
                let two = i + 1 < s.count ? String(String.UnicodeScalarView([c, s[i + 1]])) : ""
                if ["==", "!=", "<=", ">="].contains(two) {
                    out.append((.symbol(two), start))
                    i += 2
                } else if "<>()[],!".unicodeScalars.contains(c) {
                    out.append((.symbol(String(c)), start))
                    i += 1
                } else if c == "=" {
                    throw Failure(offset: start, message: "'=' alone is not a comparison", hint: "write '==' to compare")
                } else {
                    throw Failure(offset: start, message: "unexpected '\(Character(c))'", hint: "compare fields with ==, !=, <, <=, >, >=, in, contains")
                }
            }
        }
        out.append((.end, s.count))
        return out
    }

    private struct Parser {
        var tokens: [(token: Token, offset: Int)]
        var position = 0

        var peek: (token: Token, offset: Int) { tokens[position] }
        mutating func next() -> (token: Token, offset: Int) {
            defer { if position < tokens.count - 1 { position += 1 } }
            return tokens[position]
        }

        mutating func or() throws(Failure) -> Condition {
            var left = try and()
            while peek.token == .word("or") {
                _ = next()
                left = .or(left, try and())
            }
            return left
        }

        mutating func and() throws(Failure) -> Condition {
            var left = try not()
            while peek.token == .word("and") {
                _ = next()
                left = .and(left, try not())
            }
            return left
        }

        mutating func not() throws(Failure) -> Condition {
            if peek.token == .word("not") || peek.token == .symbol("!") {
                _ = next()
                return .not(try not())
            }
            if peek.token == .symbol("(") {
                _ = next()
                let inner = try or()
                guard peek.token == .symbol(")") else { throw Failure(offset: peek.offset, message: "expected ')'", hint: nil) }
                _ = next()
                return inner
            }
            return try comparison()
        }

        mutating func operand() throws(Failure) -> Condition.Operand {
            let (token, offset) = next()
            switch token {
            case .word(let w) where !["and", "or", "not", "in"].contains(w):
                return .field(path: w.split(separator: ".").map(String.init), offset: offset)
            case .text(let t): return .text(t)
            case .number(let n): return .number(n)
            default:
                throw Failure(offset: offset, message: "expected a field, a \"text\" or a number, got \(ConditionParser.describe(token))",
                              hint: "like category == \"shoes\"")
            }
        }

        mutating func comparison() throws(Failure) -> Condition {
            let left = try operand()
            let (token, offset) = next()
            var negated = false
            var op: Condition.Comparison?
            switch token {
            case .symbol(let s): op = Condition.Comparison(rawValue: s)
            case .word("in"): break
            case .word("not") where peek.token == .word("in"):
                _ = next()
                negated = true
            case .word(let w): op = Condition.Comparison(rawValue: w)
            default: break
            }
            if op == nil, token == .word("in") || negated {
                guard peek.token == .symbol("[") else { throw Failure(offset: peek.offset, message: "expected '[' after 'in'", hint: "like color in [\"red\", \"blue\"]") }
                _ = next()
                var list: [Condition.Operand] = []
                while peek.token != .symbol("]") {
                    list.append(try operand())
                    if peek.token == .symbol(",") { _ = next() } else { break }
                }
                guard peek.token == .symbol("]") else { throw Failure(offset: peek.offset, message: "expected ']'", hint: nil) }
                _ = next()
                return .member(left, list, negated: negated)
            }
            guard let op else {
                let words = Condition.Comparison.allCases.map(\.rawValue) + ["in", "not in"]
                throw Failure(offset: offset, message: "expected a comparison after the field, got \(ConditionParser.describe(token))",
                              hint: "one of: " + words.joined(separator: ", "))
            }
            return .compare(left, op, try operand())
        }
    }
}
