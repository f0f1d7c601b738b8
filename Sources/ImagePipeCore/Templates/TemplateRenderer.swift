/// Where a template's fields come from: one item on its way through the DAG, a record, a summary.
public protocol TemplateFields {
    /// The text of a field path, or nil when there is no such field.
    func text(at path: [String]) -> String?
    /// The values of a field that holds one per unit (a joined stage with variants), or nil.
    func list(at path: [String]) -> [String]?
}

extension TemplateFields {
    public func list(at path: [String]) -> [String]? { nil }
}

/// How a template's values enter the text around them. The template's own text (and what `${VAR}`
/// put there) stays as written; only values from fields are encoded.
public enum ValueEncoding: Sendable {
    /// Prompts, paths, JSON strings (a body is built as a structure, not as text).
    case asWritten
    /// Part of a URL: RFC 6570's simple string expansion, or reserved expansion with `raw`.
    case url

    @inline(__always) func encode(_ value: String, _ expression: Template.Expression) -> String {
        switch self {
        case .asWritten: return value
        case .url: return expression.isRaw ? URLValueEncoding.reserved(value) : URLValueEncoding.component(value)
        }
    }
}

/// Renders a compiled template against a set of fields.
public enum TemplateRenderer {
    public struct MissingField: Error, Equatable {
        public var path: String
    }

    /// Generic rather than closure-taking: the plan renders millions of templates, and a closure
    /// over an item would be allocated for each.
    public static func render<Fields: TemplateFields>(_ template: Template, fields: Fields, encoding: ValueEncoding = .asWritten) throws(MissingField) -> String {
        if template.segments.count == 1 {
            switch template.segments[0] {
            case .literal(let text): return text
            case .expression(let expression):
                // `{{ sku }}` alone: the value itself, without building a new string.
                var value = fields.text(at: expression.path)
                for call in expression.filters { value = call.filter.apply(value, argument: call.argument) }
                guard let value else { throw MissingField(path: expression.dotted) }
                return encoding.encode(value, expression)
            }
        }
        var out = ""
        out.reserveCapacity(template.source.utf8.count + 32)
        for segment in template.segments {
            switch segment {
            case .literal(let text):
                out += text
            case .expression(let expression):
                var value = fields.text(at: expression.path)
                for call in expression.filters {
                    value = call.filter.apply(value, argument: call.argument)
                }
                guard let value else { throw MissingField(path: expression.dotted) }
                out += encoding.encode(value, expression)
            }
        }
        return out
    }

    /// - Parameter lookup: the text of a field path, or nil when there is no such field.
    public static func render(_ template: Template, lookup: ([String]) -> String?) throws(MissingField) -> String {
        try withoutActuallyEscaping(lookup) { lookup throws(MissingField) in
            try render(template, fields: LookupFields(lookup: lookup))
        }
    }
}

/// Fields answered by a closure, for the few places that render once.
package struct LookupFields: TemplateFields {
    package let lookup: ([String]) -> String?
    package func text(at path: [String]) -> String? { lookup(path) }
}
