import ImagePipeCore
import ImagePipeLanguage
/// Where a unit's rendered output path lands: relative to output_dir, inside it, with a name.
/// One rule for `plan` and `run`, so that a path the dry run accepts is the one the run writes.
package enum OutputPath {
    package static func resolve(_ rendered: String, stage: String, key: String) throws(UnitProblem) -> String {
        // The common case, without allocating: already normal (no empty, `.` or `..` part, no
        // leading or trailing `/`) and a file name that does not start with a dot.
        if RelativePath.isAlreadyNormal(rendered) {
            let utf8 = rendered.utf8
            let nameStart = utf8.lastIndex(of: UInt8(ascii: "/")).map { utf8.index(after: $0) } ?? utf8.startIndex
            if utf8[nameStart] != UInt8(ascii: ".") { return rendered }
        }
        guard !rendered.hasPrefix("/"), let normalized = RelativePath.normalize(rendered), !normalized.isEmpty else {
            throw UnitProblem("stage '\(stage)' output path '\(rendered)' for item '\(key)' leaves output_dir",
                              hint: "this item's data contains '..' or '/' where the path uses it; clean the data or use the 'slug' filter",
                              cause: "stage '\(stage)' output paths that leave output_dir (data with '..' or '/')", setting: "output")
        }
        let parts = rendered.split(separator: "/", omittingEmptySubsequences: false)
        if parts.dropLast().contains(where: \.isEmpty) || rendered.hasSuffix("/") {
            throw UnitProblem("stage '\(stage)' output path '\(rendered)' for item '\(key)' has an empty folder name",
                              hint: "a field in the path is empty for this item; give it a value, or use {{ FIELD | default(\"x\") }}",
                              cause: "stage '\(stage)' output paths with an empty folder name", setting: "output")
        }
        let name = parts.last ?? ""
        if name.first == "." || name.isEmpty {
            throw UnitProblem("stage '\(stage)' output path '\(rendered)' for item '\(key)' has an empty file name",
                              hint: "a field in the file name is empty for this item (a 'slug' of a name with no letters or digits?); add the key, like {{ key }}-{{ name | slug }}.png",
                              cause: "stage '\(stage)' output paths with an empty file name", setting: "output")
        }
        return normalized
    }
}
