/// What every image stage's output path must be, checked before anything runs: relative, inside
/// output_dir, and different for every unit (the item's key, each variant, each matrix value).
enum OutputTemplateCheck {
    static func check(_ template: Template, at text: Located<String>, stage: String, variants: Int = 1,
                      matrix: [(field: String, values: [String])] = [], _ c: StageCompilation) {
        let probe = template.segments.map { segment -> String in
            if case .literal(let s) = segment { return s }
            return "x"
        }.joined()
        if probe.hasPrefix("/") || probe.hasPrefix("~") {
            c.diagnostics.error("output path '\(text.value)' is absolute; it must be relative to output_dir", at: text.location,
                                hint: "drop the leading '/'; output_dir is '\(c.spec.outputDir)'")
            return
        }
        guard let normalized = RelativePath.normalize(probe), !normalized.isEmpty else {
            c.diagnostics.error("output path '\(text.value)' leaves output_dir", at: text.location, hint: "remove the '..' parts")
            return
        }
        let used = Set(template.expressions.map { $0.path[0] })
        if variants > 1, !used.contains("variant") {
            c.diagnostics.error("stage '\(stage)' makes \(variants) variants per item, but its output path has no {{ variant }}: they would overwrite each other",
                                at: text.location, hint: "add {{ variant }} to the output path")
        }
        for (field, values) in matrix where values.count > 1 && !used.contains(field) {
            c.diagnostics.error("matrix field '\(field)' is not in the output path, so its \(values.count) values would overwrite each other",
                                at: text.location, hint: "add {{ \(field) }} to the output path")
        }
        if template.isConstant {
            c.diagnostics.error("output path '\(text.value)' has no fields, so every item would write the same file", at: text.location,
                                hint: "add the item's key, like out/{{ key }}.png")
        }
    }
}
