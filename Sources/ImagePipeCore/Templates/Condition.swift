import Foundation

/// A condition on an item's fields, for `when:` on a stage and `--where` on the command line:
/// `category == "shoes"`, `price >= 20 and stock > 0`, `not (color in ["red", "blue"])`,
/// `name contains "mug"`. Fields are the names templates use (`sku`, `dims.width`,
/// `hero.width`); values compare as numbers when both sides are numbers, else as text. A
/// missing field is empty text.
public indirect enum Condition: Sendable, Equatable {
    case compare(Operand, Comparison, Operand)
    case member(Operand, [Operand], negated: Bool)
    case and(Condition, Condition)
    case or(Condition, Condition)
    case not(Condition)

    public enum Comparison: String, Sendable, CaseIterable {
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case contains, startsWith = "starts_with", endsWith = "ends_with"
    }

    public enum Operand: Sendable, Equatable {
        case field(path: [String], offset: Int)
        case text(String)
        case number(Double)
    }

    /// Every field the condition reads, with its offset in the text, for checks at compile time.
    public var fields: [(path: [String], offset: Int)] {
        func of(_ operand: Operand) -> [(path: [String], offset: Int)] {
            if case .field(let path, let offset) = operand { return [(path, offset)] }
            return []
        }
        switch self {
        case .compare(let a, _, let b): return of(a) + of(b)
        case .member(let a, let list, _): return of(a) + list.flatMap(of)
        case .and(let a, let b), .or(let a, let b): return a.fields + b.fields
        case .not(let a): return a.fields
        }
    }

    public func holds<Fields: TemplateFields>(for fields: Fields) -> Bool {
        switch self {
        case .compare(let a, let op, let b): return Self.compare(Self.value(a, fields), op, Self.value(b, fields))
        case .member(let a, let list, let negated):
            let value = Self.value(a, fields)
            return list.contains { Self.compare(value, .equal, Self.value($0, fields)) } != negated
        case .and(let a, let b): return a.holds(for: fields) && b.holds(for: fields)
        case .or(let a, let b): return a.holds(for: fields) || b.holds(for: fields)
        case .not(let a): return !a.holds(for: fields)
        }
    }

    private enum Value {
        case text(String)
        case number(Double)

        var text: String {
            switch self {
            case .text(let s): return s
            case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n)
            }
        }
        var number: Double? {
            switch self {
            case .number(let n): return n
            case .text(let s):
                // Plain decimals only: Double() would also read "nan", "inf" and hex.
                let t = s.trimmingCharacters(in: .whitespaces)
                guard !t.isEmpty, t.allSatisfy({ "0123456789.-+eE".contains($0) }), let n = Double(t), n.isFinite else { return nil }
                return n
            }
        }
    }

    private static func value<Fields: TemplateFields>(_ operand: Operand, _ fields: Fields) -> Value {
        switch operand {
        case .field(let path, _): return .text(fields.text(at: path) ?? "")
        case .text(let s): return .text(s)
        case .number(let n): return .number(n)
        }
    }

    private static func compare(_ a: Value, _ op: Comparison, _ b: Value) -> Bool {
        switch op {
        case .contains: return a.text.contains(b.text)
        case .startsWith: return a.text.hasPrefix(b.text)
        case .endsWith: return a.text.hasSuffix(b.text)
        default: break
        }
        let order: Int
        if let x = a.number, let y = b.number {
            order = x < y ? -1 : x > y ? 1 : 0
        } else {
            order = a.text < b.text ? -1 : a.text > b.text ? 1 : 0
        }
        switch op {
        case .equal: return order == 0
        case .notEqual: return order != 0
        case .less: return order < 0
        case .lessOrEqual: return order <= 0
        case .greater: return order > 0
        case .greaterOrEqual: return order >= 0
        case .contains, .startsWith, .endsWith: return false
        }
    }
}
