import ImagePipeCore
import ImagePipeLanguage
/// The fields a template may use at one place in the DAG, and the check that a reference exists.
package struct TemplateScope {
    package struct StageOutputs {
        package var fields: [String]
        package var open: Set<String>
        /// The stage's units' output names (below a transform with `outputs:`).
        package var outputNames: [String]

        package init(fields: [String], open: Set<String>, outputNames: [String] = []) {
            self.fields = fields
            self.open = open
            self.outputNames = outputNames
        }
    }

    /// Record fields, `key`, `variant` and matrix fields.
    package var fields: Set<String>
    /// The record's own fields, for messages and did-you-mean.
    package var recordFields: [String]
    /// False when the source's fields could not be read: field checks would only add noise.
    package var recordFieldsKnown = true
    /// JSON sources hold objects, so `{{ dims.width }}` may index into a field.
    package var nestedFields = false
    package var upstream: [String: StageOutputs] = [:]
    package var otherStages: Set<String> = []
    /// A join sees every unit of its stages: `{{ web.og.url }}` picks one output by name.
    package var isJoin = false
    /// "source 'products'" — for messages.
    package var origin: String

    package init(fields: Set<String>, recordFields: [String], recordFieldsKnown: Bool = true, nestedFields: Bool = false, origin: String) {
        self.fields = fields
        self.recordFields = recordFields
        self.recordFieldsKnown = recordFieldsKnown
        self.nestedFields = nestedFields
        self.origin = origin
    }

    package struct Problem {
        package var message: String
        package var hint: String?
    }

    package func check(_ expression: Template.Expression, in stage: String?) -> Problem? {
        let path = expression.path
        let head = path[0]
        if let outputs = upstream[head] {
            guard path.count > 1 else {
                return Problem(message: "'\(head)' is a stage; name one of its outputs",
                               hint: "like {{ \(head).\(outputs.fields[0]) }}; outputs: " + outputs.fields.joined(separator: ", "))
            }
            let field = path[1]
            if outputs.outputNames.contains(field), path.count == 3 {
                guard outputs.fields.contains(path[2]) else {
                    return Problem(message: "stage '\(head)' has no output '\(path[2])' (in '\(expression.dotted)')",
                                   hint: DidYouMean.hint(for: path[2], among: outputs.fields) ?? "outputs: " + outputs.fields.joined(separator: ", "))
                }
                guard isJoin else {
                    return Problem(message: "'\(expression.dotted)' names output '\(field)' of stage '\(head)', but this stage takes each output on its own",
                                   hint: "write 'from: [\(head)]' to take each item once, with every output, or use {{ \(head).\(path[2]) }} and {{ output }}")
                }
                return nil
            }
            guard outputs.fields.contains(field) else {
                return Problem(message: "stage '\(head)' has no output '\(field)'",
                               hint: DidYouMean.hint(for: field, among: outputs.fields) ?? "outputs: " + outputs.fields.joined(separator: ", "))
            }
            if path.count > 2, !outputs.open.contains(field) {
                return Problem(message: "output '\(head).\(field)' has no fields", hint: "use {{ \(head).\(field) }}")
            }
            return nil
        }
        if fields.contains(head) {
            if path.count > 1, !nestedFields {
                return Problem(message: "field '\(head)' has no fields ('\(expression.dotted)')", hint: "use {{ \(head) }}")
            }
            return nil
        }
        if otherStages.contains(head) {
            let here = stage.map { " of '\($0)'" } ?? ""
            return Problem(message: "stage '\(head)' is not upstream\(here), so its outputs are not available here",
                           hint: "a template can use the stages its item has passed through, following 'from:'")
        }
        // `{{ mood | default("calm") }}` is written for items that may lack the field.
        if expression.filters.contains(where: { $0.filter == .default }) { return nil }
        guard recordFieldsKnown else { return nil }
        let candidates = Array(fields) + Array(upstream.keys)
        let described = recordFields.isEmpty ? "" : " (fields: " + recordFields.joined(separator: ", ") + ")"
        return Problem(message: "unknown field '\(head)': \(origin) does not provide it\(described), nor does any upstream stage",
                       hint: DidYouMean.hint(for: head, among: candidates))
    }
}
