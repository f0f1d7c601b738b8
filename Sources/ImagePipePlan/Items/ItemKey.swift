import ImagePipeCore
import ImagePipeLanguage
/// An item's identity: its source's `key:` template rendered for its record, else its row
/// number. One policy for `plan` and `run`: a key that cannot be rendered, or renders empty, is
/// the item's problem (the plan reports it at the item's line, so a run never starts with one).
package enum ItemKey {
    package static func resolve(_ template: Template?, record: Record, row: Int, source: String) throws(UnitProblem) -> String {
        guard let template else { return String(row) }
        let key: String
        do {
            key = try TemplateRenderer.render(template, fields: record)
        } catch {
            throw UnitProblem("this item has no field '\(error.path)' for source '\(source)' key",
                              hint: "add the field, or use {{ \(error.path) | default(\"x\") }}",
                              cause: "items without field '\(error.path)', needed by source '\(source)' key", setting: "key")
        }
        guard !key.isEmpty else {
            throw UnitProblem("this item's key is empty (source '\(source)')", hint: "every item needs a key",
                              cause: "items whose key is empty (source '\(source)')", setting: "key")
        }
        return key
    }
}
