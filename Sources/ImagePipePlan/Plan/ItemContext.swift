import ImagePipeCore
import ImagePipeLanguage
/// One item on its way through the DAG: its record, identity, fan-out fields and what the
/// stages it has passed through produced.
package struct ItemContext: TemplateFields {
    package var record: Record
    package var key: String
    package var location: SourceLocation
    package var variant = 1
    package var matrix: [(field: String, value: String)] = []
    /// Below a `transform` with several `outputs:`: which output this unit carries (`{{ output }}`).
    package var outputName: String?
    package var outputs: [StageOutput] = []
    /// What the item's stages produced, for joins (`from: [hero, lifestyle]`); nil without joins.
    package var joins: JoinCollector?
    /// With workers claiming stage by stage: the stage this item's claim runs; nil runs its whole path.
    package var claim: StageClaim?

    package init(record: Record, key: String, location: SourceLocation) {
        self.record = record
        self.key = key
        self.location = location
    }

    /// The ledger's name for this unit: the key, `#N` past the first variant, the matrix values.
    package var itemID: String {
        Fingerprint.itemID(key: key, variant: variant, matrix: outputName.map { matrix + [("output", $0)] } ?? matrix)
    }

    /// Renders one of a stage's templates for this unit; a field the item lacks is the unit's
    /// problem, named with the template's part (`prompt`, `url`, …) and the stage.
    package func render(_ template: Template?, stage: String, what: String, encoding: ValueEncoding = .asWritten) throws(UnitProblem) -> String? {
        guard let template else { return nil }
        do {
            return try TemplateRenderer.render(template, fields: self, encoding: encoding)
        } catch {
            throw UnitProblem("item '\(key)' has no field '\(error.path)', needed by the \(what) of stage '\(stage)'",
                              hint: "add the field, or use {{ \(error.path) | default(\"x\") }}",
                              cause: "items without field '\(error.path)', needed by the \(what) of stage '\(stage)'",
                              setting: String(what.prefix { $0 != " " }))
        }
    }

    /// A joined stage's output over its several units (variants, a matrix).
    package func list(at path: [String]) -> [String]? {
        guard path.count == 2, let output = outputs.first(where: { $0.stage == path[0] }), let units = output.units else { return nil }
        return units.map { unit in unit.first { $0.name == path[1] }?.value ?? output.constants[path[1]] ?? "" }
    }

    /// Resolves a template path the way `TemplateScope` checked it: upstream stages, then the
    /// item's own fields, then the record.
    package func text(at path: [String]) -> String? {
        let head = path[0]
        // A single name is never a stage's output (`{{ hero }}` does not compile).
        if path.count == 1 {
            if head == "key" { return key }
            if head == "variant" { return String(variant) }
            if head == "output", let outputName { return outputName }
            if !matrix.isEmpty, let value = matrix.first(where: { $0.field == head })?.value { return value }
            return record.text(at: path[...])
        }
        if let output = outputs.first(where: { $0.stage == head }) {
            if path.count == 3, let units = output.units ?? (output.itemValue(StageOutput.outputNameField) != nil ? [output.values] : nil),
               let unit = units.first(where: { unit in unit.contains { $0.name == StageOutput.outputNameField && $0.value == path[1] } }) {
                // `{{ web.og.url }}`: the unit of output `og`.
                return unit.first { $0.name == path[2] }?.value ?? output.constants[path[2]] ?? ""
            }
            if path.count > 2 {
                // `{{ cms.json.id }}`: into the answer's JSON when a run has it.
                guard let json = output.json, path[1] == "json" else { return "<\(path.joined(separator: "."))>" }
                var value: JSONValue? = json
                for step in path[2...] {
                    if case .array(let items)? = value, let index = Int(step) {
                        value = items.indices.contains(index) ? items[index] : nil
                    } else {
                        value = value?[step]
                    }
                }
                return value.map(StageOutput.text)
            }
            return output.value(path[1])
        }
        return record.text(at: path[...])
    }
}

/// What a stage produced for one item, as templates downstream see it: a few values that vary
/// per item, and the stage's constants (placeholders for what only a run can know).
package struct StageOutput {
    /// The absolute path of a written image, for `edit` stages downstream; templates cannot
    /// name it (`@` is not an identifier character).
    package static let fileField = "@file"
    /// The output name a join's unit carries (`{{ web.og.url }}`); templates cannot name it.
    package static let outputNameField = "@output"

    package var stage: String
    package var values: [(name: String, value: String)]
    package var constants: [String: String]
    /// An `http` stage's answer, for `{{ stage.json.field }}`.
    package var json: JSONValue?
    /// Set when a join sees a stage with several units for the item: each unit's values (a
    /// template shows them joined with ", ", a JSON body as a list).
    package var units: [[(name: String, value: String)]]?

    package init(stage: String, values: [(name: String, value: String)], constants: [String: String], json: JSONValue? = nil,
                 units: [[(name: String, value: String)]]? = nil) {
        self.stage = stage
        self.values = values
        self.constants = constants
        self.json = json
        self.units = units
    }

    /// A JSON value as a template shows it: strings bare, everything else as JSON.
    package static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .null: return ""
        default: return value.serialized(pretty: false)
        }
    }

    /// A value this item really has (not a stage constant's placeholder).
    package func itemValue(_ name: String) -> String? {
        values.first { $0.name == name }?.value
    }

    package func value(_ name: String) -> String? {
        if let units {
            return units.map { unit in unit.first { $0.name == name }?.value ?? constants[name] ?? "" }.joined(separator: ", ")
        }
        return values.first { $0.name == name }?.value ?? constants[name]
    }
}
