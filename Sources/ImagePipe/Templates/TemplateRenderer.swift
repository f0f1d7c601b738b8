/// Renders a compiled template against a lookup from field paths to text.
public enum TemplateRenderer {
    public struct MissingField: Error, Equatable {
        public var path: String
    }

    /// - Parameter lookup: the text of a field path, or nil when the item has no such field.
    public static func render(_ template: Template, lookup: ([String]) -> String?) throws(MissingField) -> String {
        if template.segments.count == 1, case .literal(let text) = template.segments[0] { return text }
        var out = ""
        out.reserveCapacity(template.source.utf8.count + 32)
        for segment in template.segments {
            switch segment {
            case .literal(let text):
                out += text
            case .expression(let expression):
                var value = lookup(expression.path)
                for call in expression.filters {
                    value = call.filter.apply(value, argument: call.argument)
                }
                guard let value else { throw MissingField(path: expression.dotted) }
                out += value
            }
        }
        return out
    }
}
