import ImagePipeCore
import ImagePipeLanguage
/// A JSON body whose strings are templates (an `http` stage's `json:`).
public indirect enum JSONTemplate: Sendable {
    case value(JSONValue)
    case template(Template)
    case array([JSONTemplate])
    case object([(String, JSONTemplate)])

    public var templates: [Template] {
        switch self {
        case .value: return []
        case .template(let t): return [t]
        case .array(let items): return items.flatMap(\.templates)
        case .object(let pairs): return pairs.flatMap(\.1.templates)
        }
    }

    public func render<Fields: TemplateFields>(fields: Fields) throws(TemplateRenderer.MissingField) -> JSONValue {
        switch self {
        case .value(let v): return v
        case .template(let t):
            // `"{{ lifestyle.path }}"` alone, from a joined stage with several units: a JSON list.
            if t.segments.count == 1, case .expression(let e) = t.segments[0], e.filters.isEmpty, let values = fields.list(at: e.path) {
                return .array(values.map(JSONValue.string))
            }
            return .string(try TemplateRenderer.render(t, fields: fields))
        case .array(let items):
            var out: [JSONValue] = []
            for item in items { out.append(try item.render(fields: fields)) }
            return .array(out)
        case .object(let pairs):
            var out: [(String, JSONValue)] = []
            for (k, v) in pairs { out.append((k, try v.render(fields: fields))) }
            return .object(out)
        }
    }
}
