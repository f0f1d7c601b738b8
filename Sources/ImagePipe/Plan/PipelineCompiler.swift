import Foundation

/// Resolves names, checks the DAG (cycles, item types) and compiles every template against the
/// fields available at its place, reporting every problem to `diagnostics`.
public struct PipelineCompiler {
    public let spec: PipelineSpec
    public let files: PipelineFiles
    public let diagnostics: Diagnostics

    public init(spec: PipelineSpec, files: PipelineFiles, diagnostics: Diagnostics) {
        self.spec = spec
        self.files = files
        self.diagnostics = diagnostics
    }

    public func compile() -> CompiledPipeline? {
        let sourcesByName = Dictionary(spec.sources.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let stagesByName = Dictionary(spec.stages.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let providersByName = Dictionary(spec.providers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let templatesByName = Dictionary(spec.templates.map { ($0.name, $0.template) }, uniquingKeysWith: { a, _ in a })
        checkNames(sources: sourcesByName)
        checkOutputDirectory()

        if let provider = spec.defaultProvider, providersByName[provider.value] == nil {
            reportUnknown("provider", provider, among: providersByName.keys)
        }

        // Sources: their fields (header only) and key templates.
        var fieldsBySource: [String: [String]?] = [:]
        var compiledSources: [CompiledSource] = []
        for source in spec.sources {
            var fields: [String]?
            do {
                fields = try RecordStream.fieldNames(of: source, files: files)
            } catch {
                diagnostics.error(error.message, at: error.location, hint: error.hint)
            }
            fieldsBySource[source.name] = fields
            var key: Template?
            if let keyText = source.key {
                let scope = TemplateScope(fields: Set(fields ?? []), recordFields: fields ?? [], recordFieldsKnown: fields != nil,
                                          nestedFields: isJSON(source), origin: "source '\(source.name)'")
                key = compileTemplate(keyText, scope: scope, stage: nil)
            }
            compiledSources.append(CompiledSource(spec: source, key: key))
        }

        // The DAG: follow each stage's `from:` back to its source.
        var roots: [String: (source: String, ancestors: [String])] = [:]
        var reportedCycle = Set<String>()
        for stage in spec.stages {
            var chain: [String] = []
            var current = stage.from.value
            var seen: Set<String> = [stage.name]
            var broken = false
            while sourcesByName[current] == nil, let upstream = stagesByName[current] {
                if seen.contains(current) {
                    if !reportedCycle.contains(stage.name), current == stage.name {
                        let cycle = [stage.name] + chain + [stage.name]
                        cycle.forEach { reportedCycle.insert($0) }
                        diagnostics.error("stages form a cycle: " + cycle.joined(separator: " → "), at: stage.from.location,
                                          hint: "every chain of 'from:' must start at a source")
                    }
                    broken = true
                    break
                }
                seen.insert(current)
                chain.append(current)
                current = upstream.from.value
            }
            if broken { continue }
            if sourcesByName[current] == nil {
                if chain.isEmpty {
                    reportUnknown("source or stage", stage.from, among: Array(sourcesByName.keys) + Array(stagesByName.keys).filter { $0 != stage.name })
                }
                continue
            }
            roots[stage.name] = (current, chain)
        }

        // Type-check edges and compile each stage.
        var compiled: [String: CompiledStage] = [:]
        for stage in spec.stages {
            guard let (root, ancestors) = roots[stage.name] else { continue }
            let inputType: ItemType = stagesByName[stage.from.value].map { ItemType.output(of: $0.kind) } ?? .records
            let accepted = ItemType.accepts(stage.kind)
            if !accepted.contains(inputType) {
                let what = stagesByName[stage.from.value].map { "stage '\($0.name)' (\($0.kind.name))" } ?? "source '\(stage.from.value)'"
                diagnostics.error("'\(stage.name)' (\(stage.kind.name)) takes \(accepted.map(\.rawValue).joined(separator: " or ")), but \(what) yields \(inputType.rawValue)",
                                  at: stage.from.location, hint: hint(forFeeding: stage.kind, from: inputType))
                continue
            }
            guard let source = sourcesByName[root] else { continue }
            let fields = fieldsBySource[root] ?? nil
            var scope = TemplateScope(fields: Set((fields ?? []) + ["key", "variant"]), recordFields: fields ?? [],
                                      recordFieldsKnown: fields != nil, nestedFields: isJSON(source), origin: "source '\(root)'")
            for ancestor in ancestors {
                guard let upstream = stagesByName[ancestor] else { continue }
                scope.upstream[ancestor] = .init(fields: ItemType.outputFields(of: upstream.kind), open: ItemType.openOutputFields(of: upstream.kind))
                if case .generate(let image) = upstream.kind { image.matrix.forEach { scope.fields.insert($0.field.value) } }
                if case .edit(let image) = upstream.kind { image.matrix.forEach { scope.fields.insert($0.field.value) } }
            }
            scope.otherStages = Set(stagesByName.keys).subtracting(ancestors)
            compiled[stage.name] = compileStage(stage, root: root, ancestors: ancestors, inputType: inputType, scope: scope,
                                                providers: providersByName, templates: templatesByName)
        }

        checkUnusedTemplates()
        checkOutputCollisions(Array(compiled.values))
        compileProviderCommands()
        compileNotifications()

        // Dependency order: a stage after its input.
        var ordered: [CompiledStage] = []
        var placed = Set(spec.sources.map(\.name))
        var pending = spec.stages.compactMap { compiled[$0.name] }
        while !pending.isEmpty {
            let ready = pending.filter { placed.contains($0.inputName) }
            if ready.isEmpty { break }
            ordered += ready
            ready.forEach { placed.insert($0.name) }
            pending.removeAll { placed.contains($0.name) }
        }
        return CompiledPipeline(spec: spec, files: files, sources: compiledSources, stages: ordered,
                                outputDirectory: files.resolve(spec.outputDir), displayOutputDirectory: files.display(spec.outputDir))
    }

    // MARK: stages

    private func compileStage(_ stage: StageSpec, root: String, ancestors: [String], inputType: ItemType, scope baseScope: TemplateScope,
                              providers: [String: ProviderSpec], templates: [String: Located<String>]) -> CompiledStage {
        var scope = baseScope
        var out = CompiledStage(spec: stage, inputName: stage.from.value, rootSource: root, ancestors: ancestors, provider: nil,
                                retry: spec.defaultRetry.overridden(by: stage.retry), timeout: stage.timeout ?? spec.defaultTimeout,
                                concurrency: stage.concurrency ?? spec.defaultConcurrency)
        switch stage.kind {
        case .generate(let image), .edit(let image):
            let isEdit: Bool
            if case .edit = stage.kind { isEdit = true } else { isEdit = false }
            // Provider.
            if let name = image.provider ?? spec.defaultProvider {
                if let provider = providers[name.value] {
                    out.provider = provider
                } else if image.provider != nil {
                    reportUnknown("provider", name, among: providers.keys)
                }
            } else {
                diagnostics.error("stage '\(stage.name)' names no provider", at: stage.body.location,
                                  hint: providers.isEmpty ? "declare one under 'providers:' and add 'provider: NAME'" : "add 'provider: \(providers.keys.sorted()[0])', or set 'defaults.provider'")
            }
            out.model = image.model?.value
            out.variants = image.variants
            for (field, values) in image.matrix {
                if scope.fields.contains(field.value) || ["key", "variant"].contains(field.value) {
                    diagnostics.error("matrix field '\(field.value)' would hide a field of the same name", at: field.location, hint: "rename it")
                }
                scope.fields.insert(field.value)
                let texts = values.compactMap { $0.json.text }
                if Set(texts).count != texts.count {
                    diagnostics.error("matrix field '\(field.value)' lists a value twice", at: field.location, hint: "each value makes its own images; remove the repeat")
                }
                out.matrix.append((field.value, texts))
            }
            // Prompt.
            if let name = image.templateName {
                if let text = templates[name.value] {
                    out.prompt = compileTemplate(text, scope: scope, stage: stage.name)
                } else {
                    reportUnknown("template", name, among: templates.keys)
                }
            } else if let prompt = image.prompt {
                out.prompt = compileTemplate(prompt, scope: scope, stage: stage.name)
            }
            if let negative = image.negativePrompt { out.negativePrompt = compileTemplate(negative, scope: scope, stage: stage.name) }
            if let output = image.output {
                out.output = compileTemplate(output, scope: scope, stage: stage.name)
                if let template = out.output { checkOutputTemplate(template, at: output, stage: out) }
            }
            if image.resolution != nil, image.aspectRatio == nil {
                diagnostics.error("'resolution' goes with 'aspect_ratio'", at: stage.body.keyLocation("resolution"),
                                  hint: "add 'aspect_ratio: \"1:1\"', or use 'size:' alone")
            }
            if isEdit {
                if inputType == .records {
                    if let imageField = image.image {
                        out.image = compileTemplate(imageField, scope: scope, stage: stage.name)
                    } else {
                        diagnostics.error("edit stage '\(stage.name)' reads from source '\(stage.from.value)', so it needs 'image:'", at: stage.body.location,
                                          hint: "add 'image: \"{{ FIELD }}\"' naming the field that holds each input image's path")
                    }
                } else if image.image != nil {
                    diagnostics.error("'image' is only for edits fed from a source; this one edits the images of '\(stage.from.value)'",
                                      at: image.imageKeyLocation ?? stage.body.location, hint: "remove 'image:'")
                }
            }
        case .s3Upload(let upload):
            out.bucket = upload.bucket?.value
            if let key = upload.key { out.objectKey = compileTemplate(key, scope: scope, stage: stage.name) }
            if let url = upload.publicURL { out.publicURL = compileTemplate(url, scope: scope, stage: stage.name) }
        case .http(let http):
            if let url = http.url { out.url = compileTemplate(url, scope: scope, stage: stage.name) }
            for (name, value) in http.headers {
                if let located = value.located, let template = compileTemplate(located, scope: scope, stage: stage.name) {
                    out.headers.append((name.value, template))
                } else if case .unresolved = value.value {
                    continue
                }
            }
            if let json = http.json { out.json = compileJSON(json, scope: scope, stage: stage.name) }
        }
        return out
    }

    private func compileJSON(_ node: ConfigNode, scope: TemplateScope, stage: String) -> JSONTemplate {
        switch node.value {
        case .string:
            guard let located = node.located, let template = compileTemplate(located, scope: scope, stage: stage) else { return .value(.null) }
            return template.isConstant ? .value(.string(template.source)) : .template(template)
        case .list(let items): return .array(items.map { compileJSON($0, scope: scope, stage: stage) })
        case .map(let pairs): return .object(pairs.map { ($0.key.value, compileJSON($0.value, scope: scope, stage: stage)) })
        default: return .value(node.json)
        }
    }

    // MARK: templates

    @discardableResult
    func compileTemplate(_ text: Located<String>, scope: TemplateScope, stage: String?) -> Template? {
        let template: Template
        do {
            template = try TemplateParser.parse(text.value)
        } catch {
            diagnostics.error("template syntax: \(error.message)", at: text.location(atOffset: error.offset), hint: error.hint)
            return nil
        }
        var ok = true
        for expression in template.expressions {
            if let problem = scope.check(expression, in: stage) {
                diagnostics.error(problem.message, at: text.location(atOffset: expression.offset), hint: problem.hint)
                ok = false
            }
        }
        return ok ? template : nil
    }

    private func checkOutputTemplate(_ template: Template, at text: Located<String>, stage: CompiledStage) {
        let probe = template.segments.map { segment -> String in
            if case .literal(let s) = segment { return s }
            return "x"
        }.joined()
        if probe.hasPrefix("/") || probe.hasPrefix("~") {
            diagnostics.error("output path '\(text.value)' is absolute; it must be relative to output_dir", at: text.location,
                              hint: "drop the leading '/'; output_dir is '\(spec.outputDir)'")
            return
        }
        guard let normalized = RelativePath.normalize(probe), !normalized.isEmpty else {
            diagnostics.error("output path '\(text.value)' leaves output_dir", at: text.location, hint: "remove the '..' parts")
            return
        }
        let used = Set(template.expressions.map { $0.path[0] })
        if stage.variants > 1, !used.contains("variant") {
            diagnostics.error("stage '\(stage.name)' makes \(stage.variants) variants per item, but its output path has no {{ variant }}: they would overwrite each other",
                              at: text.location, hint: "add {{ variant }} to the output path")
        }
        for (field, values) in stage.matrix where values.count > 1 && !used.contains(field) {
            diagnostics.error("matrix field '\(field)' is not in the output path, so its \(values.count) values would overwrite each other",
                              at: text.location, hint: "add {{ \(field) }} to the output path")
        }
        if template.isConstant {
            diagnostics.error("output path '\(text.value)' has no fields, so every item would write the same file", at: text.location,
                              hint: "add the item's key, like out/{{ key }}.png")
        }
    }

    private func checkOutputCollisions(_ stages: [CompiledStage]) {
        var seen: [String: String] = [:]
        for stage in spec.stages {
            guard let template = stages.first(where: { $0.name == stage.name })?.output else { continue }
            if let other = seen[template.source] {
                diagnostics.error("stages '\(other)' and '\(stage.name)' write to the same output path '\(template.source)'",
                                  at: stage.body.keyLocation("output"), hint: "give each stage its own folder, like \(stage.name)/{{ key }}.png")
            } else {
                seen[template.source] = stage.name
            }
        }
    }

    private func compileProviderCommands() {
        let scope = TemplateScope(fields: Set(ProviderSpec.commandFields), recordFields: ProviderSpec.commandFields, origin: "a command provider")
        for provider in spec.providers where provider.kind == .command {
            for argument in provider.command { compileTemplate(argument, scope: scope, stage: nil) }
            if !provider.command.isEmpty, !provider.command.contains(where: { $0.value.contains("output") }) {
                diagnostics.error("provider '\(provider.name)' command never mentions {{ output }}, so imagepipe cannot tell the program where to write",
                                  at: provider.command[0].location, hint: "pass the path, like [\"tool\", \"--out\", \"{{ output }}\"]")
            }
        }
    }

    private func compileNotifications() {
        let scope = TemplateScope(fields: Set(NotifySpec.summaryFields), recordFields: NotifySpec.summaryFields, origin: "a notification")
        for notify in spec.notify {
            if let message = notify.message { compileTemplate(message, scope: scope, stage: nil) }
        }
    }

    // MARK: names and references

    private func checkNames(sources: [String: SourceSpec]) {
        let reserved: Set<String> = ["key", "variant"]
        for stage in spec.stages {
            if sources[stage.name] != nil {
                diagnostics.error("'\(stage.name)' is both a source and a stage", at: stage.location, hint: "rename one of them: 'from:' must be unambiguous")
            }
            if reserved.contains(stage.name) {
                diagnostics.error("'\(stage.name)' cannot name a stage: templates use {{ \(stage.name) }} for the item's \(stage.name)",
                                  at: stage.location, hint: "rename the stage")
            }
        }
    }

    private func checkOutputDirectory() {
        if spec.outputDir.hasPrefix("/") { return }
        if spec.outputDir == "." || RelativePath.normalize(spec.outputDir) == "" {
            diagnostics.warning("output_dir is the pipeline's own folder", at: spec.root.keyLocation("output_dir"),
                                hint: "use a folder of its own, like 'out'")
        }
    }

    private func checkUnusedTemplates() {
        let used = Set(spec.stages.compactMap { stage -> String? in
            switch stage.kind {
            case .generate(let image), .edit(let image): return image.templateName?.value
            default: return nil
            }
        })
        for (name, text) in spec.templates where !used.contains(name) {
            diagnostics.warning("template '\(name)' is never used", at: text.location, hint: "name it in a stage with 'template: \(name)', or remove it")
        }
    }

    private func reportUnknown(_ what: String, _ name: Located<String>, among candidates: some Sequence<String>) {
        let list = Array(candidates).sorted()
        let hint = DidYouMean.hint(for: name.value, among: list) ?? (list.isEmpty ? "none is declared" : "declared: " + list.joined(separator: ", "))
        diagnostics.error("unknown \(what) '\(name.value)'", at: name.location, hint: hint)
    }

    private func hint(forFeeding kind: StageSpec.Kind, from type: ItemType) -> String {
        switch (kind, type) {
        case (.s3Upload, _): return "upload from a generate or edit stage"
        case (.generate, .images): return "use an 'edit' stage to change images"
        case (.generate, _): return "generate from a source"
        default: return "check 'from:'"
        }
    }

    private func isJSON(_ source: SourceSpec) -> Bool {
        if case .csv = source.kind { return false }
        return true
    }
}
