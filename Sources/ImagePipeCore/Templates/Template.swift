/// A compiled template: literal text and `{{ field.path | filter("arg") }}` expressions.
/// Parsed once, rendered per item; no HTML escaping, since prompts and paths are not HTML.
public struct Template: Sendable, Equatable {
    public enum Segment: Sendable, Equatable {
        case literal(String)
        case expression(Expression)
    }

    public struct Expression: Sendable, Equatable {
        /// `["upload", "url"]` for `{{ upload.url }}`.
        public var path: [String]
        public var filters: [FilterCall]
        /// Unicode-scalar offset of the path in the template text, for error columns.
        public var offset: Int

        public var dotted: String { path.joined(separator: ".") }

        package init(path: [String], filters: [FilterCall], offset: Int) {
            self.path = path
            self.filters = filters
            self.offset = offset
        }

        /// `{{ base | raw }}`: the value may carry structure where it lands (a URL's path and query).
        public var isRaw: Bool { filters.contains { $0.filter == .raw } }
    }

    public struct FilterCall: Sendable, Equatable {
        public var filter: TemplateFilter
        public var argument: String?
        public var offset: Int
    }

    public var source: String
    public var segments: [Segment]

    public var expressions: [Expression] {
        segments.compactMap {
            if case .expression(let e) = $0 { return e }
            return nil
        }
    }

    /// True when the template is plain text without expressions.
    public var isConstant: Bool { expressions.isEmpty }
}
