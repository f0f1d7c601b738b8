import ImagePipeCore
import ImagePipeLanguage
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
        var roots: [String: (source: String, ancestors: [String], firstChain: [String])] = [:]
        var reportedCycle = Set<String>()
        /// The chain above one input, nearest first, and its source; nil when it is broken.
        func chain(of stage: StageSpec, through input: Located<String>) -> (source: String, chain: [String])? {
            var chain: [String] = []
            var current = input.value
            var seen: Set<String> = [stage.name]
            while sourcesByName[current] == nil, let upstream = stagesByName[current] {
                if seen.contains(current) {
                    if !reportedCycle.contains(stage.name), current == stage.name {
                        let cycle = [stage.name] + chain + [stage.name]
                        cycle.forEach { reportedCycle.insert($0) }
                        diagnostics.error("stages form a cycle: " + cycle.joined(separator: " → "), at: input.location,
                                          hint: "every chain of 'from:' must start at a source")
                    }
                    return nil
                }
                seen.insert(current)
                chain.append(current)
                current = upstream.from.value
            }
            guard sourcesByName[current] != nil else {
                if chain.isEmpty {
                    reportUnknown("source or stage", input, among: Array(sourcesByName.keys) + Array(stagesByName.keys).filter { $0 != stage.name })
                }
                return nil
            }
            return (current, chain)
        }
        for stage in spec.stages {
            if stage.isJoin(fromIsStage: stagesByName[stage.from.value] != nil) {
                // A join: stages of one source, each named once.
                var found: [(input: Located<String>, source: String, chain: [String])] = []
                var names = Set<String>()
                for input in stage.inputs {
                    if !names.insert(input.value).inserted {
                        diagnostics.error("'\(input.value)' is listed twice in 'from'", at: input.location, hint: "list each stage once")
                        continue
                    }
                    if sourcesByName[input.value] != nil {
                        diagnostics.error("'\(input.value)' is a source; a list in 'from' joins stages", at: input.location,
                                          hint: "list the stages whose results this stage combines, like from: [hero, lifestyle]")
                        continue
                    }
                    if let (source, chain) = chain(of: stage, through: input) { found.append((input, source, chain)) }
                }
                guard found.count == stage.inputs.count else { continue }
                if let other = found.first(where: { $0.source != found[0].source }) {
                    diagnostics.error("'\(stage.name)' joins stages of different sources: '\(found[0].input.value)' (\(found[0].source)) and '\(other.input.value)' (\(other.source))",
                                      at: other.input.location, hint: "a join combines one item's results, so its stages must share a source")
                    continue
                }
                var ancestors: [String] = []
                for entry in found { for name in entry.chain where !ancestors.contains(name) { ancestors.append(name) } }
                roots[stage.name] = (found[0].source, ancestors, found[0].chain)
            } else if let (source, chain) = chain(of: stage, through: stage.from) {
                roots[stage.name] = (source, chain, chain)
            }
        }

        // Type-check edges and compile each stage.
        var compiled: [String: CompiledStage] = [:]
        for stage in spec.stages {
            guard let (root, ancestors, firstChain) = roots[stage.name] else { continue }
            let inputType: ItemType = stagesByName[stage.from.value].map { $0.kind.yields } ?? .records
            let accepted = stage.kind.accepts
            var typesFit = true
            for input in stage.inputs {
                let type: ItemType = stagesByName[input.value].map { $0.kind.yields } ?? .records
                guard !accepted.contains(type) else { continue }
                let what = stagesByName[input.value].map { "stage '\($0.name)' (\($0.kindName))" } ?? "source '\(input.value)'"
                diagnostics.error("'\(stage.name)' (\(stage.kindName)) takes \(accepted.map(\.rawValue).joined(separator: " or ")), but \(what) yields \(type.rawValue)",
                                  at: input.location, hint: stage.kind.hint(whenFedWith: type))
                typesFit = false
            }
            if !typesFit { continue }
            guard let source = sourcesByName[root] else { continue }
            let fields = fieldsBySource[root] ?? nil
            var scope = TemplateScope(fields: Set((fields ?? []) + ["key", "variant"]), recordFields: fields ?? [],
                                      recordFieldsKnown: fields != nil, nestedFields: isJSON(source), origin: "source '\(root)'")
            scope.isJoin = stage.isJoin(fromIsStage: stagesByName[stage.from.value] != nil)
            for ancestor in ancestors {
                guard let upstream = stagesByName[ancestor] else { continue }
                scope.upstream[ancestor] = .init(fields: upstream.kind.outputFields, open: upstream.kind.openOutputFields,
                                                 outputNames: namedOutputs(of: upstream, stages: stagesByName))
                upstream.config.addedFields.forEach { scope.fields.insert($0) }
            }
            scope.otherStages = Set(stagesByName.keys).subtracting(ancestors)
            compiled[stage.name] = compileStage(stage, root: root, ancestors: ancestors, inputType: inputType, scope: scope,
                                                providers: providersByName, templates: templatesByName)
            compiled[stage.name]?.firstInputChain = firstChain
        }

        checkUnusedTemplates()
        checkOutputCollisions(Array(compiled.values))
        checkProviders()
        compileNotifications()

        // Dependency order: a stage after its input.
        var ordered: [CompiledStage] = []
        var placed = Set(spec.sources.map(\.name))
        var pending = spec.stages.compactMap { compiled[$0.name] }
        while !pending.isEmpty {
            let ready = pending.filter { $0.inputs.allSatisfy(placed.contains) }
            if ready.isEmpty {
                // Only a join can close a loop the chains above did not see (a join fed by its own child).
                for stage in pending {
                    diagnostics.error("stage '\(stage.name)' waits for \(stage.inputs.filter { !placed.contains($0) }.map { "'\($0)'" }.joined(separator: ", ")), which wait for it",
                                      at: stage.spec.from.location, hint: "a join's stages must not come after the join")
                }
                break
            }
            ordered += ready
            ready.forEach { placed.insert($0.name) }
            pending.removeAll { placed.contains($0.name) }
        }
        return CompiledPipeline(spec: spec, files: files, sources: compiledSources, stages: ordered,
                                outputDirectory: files.resolve(spec.outputDir), displayOutputDirectory: files.display(spec.outputDir))
    }

    // MARK: stages

    private func compileStage(_ stage: StageSpec, root: String, ancestors: [String], inputType: ItemType, scope: TemplateScope,
                              providers: [String: ProviderSpec], templates: [String: Located<String>]) -> CompiledStage {
        let body = stage.component.compile(stage, scope: scope, inputType: inputType,
                                      StageCompilation(compiler: self, providers: providers, templates: templates))
        var compiled = CompiledStage(spec: stage, inputName: stage.from.value, rootSource: root, ancestors: ancestors,
                                     retry: spec.defaultRetry.overridden(by: stage.retry), timeout: stage.timeout ?? spec.defaultTimeout,
                                     concurrency: stage.concurrency ?? body.defaultConcurrency ?? spec.defaultConcurrency, body: body)
        if let when = stage.when { compiled.condition = compileCondition(when, scope: scope, stage: stage.name) }
        return compiled
    }

    /// A `when:` condition, its fields checked like a template's.
    package func compileCondition(_ text: Located<String>, scope: TemplateScope, stage: String?) -> Condition? {
        let condition: Condition
        do {
            condition = try ConditionParser.parse(text.value)
        } catch {
            diagnostics.error("condition: \(error.message)", at: text.location(atOffset: error.offset), hint: error.hint)
            return nil
        }
        // The plan counts each stage's items before anything runs: a condition on what a stage
        // answers could only be judged by the run.
        if let output = condition.fields.first(where: { scope.upstream[$0.path[0]] != nil && $0.path.count > 1 }) {
            diagnostics.error("'when' can test the item's own fields, not what stage '\(output.path[0])' produced", at: text.location(atOffset: output.offset),
                              hint: "stage outputs are known only during the run, so plan and progress could not count the stage's items")
            return nil
        }
        let fields = condition.fields.map { Template.Expression(path: $0.path, filters: [], offset: $0.offset) }
        return checkFields(fields, of: text, scope: scope, stage: stage) ? condition : nil
    }

    /// Reports each field the scope does not provide, at its column; true when all are there.
    private func checkFields(_ expressions: [Template.Expression], of text: Located<String>, scope: TemplateScope, stage: String?) -> Bool {
        var ok = true
        for expression in expressions {
            if let problem = scope.check(expression, in: stage) {
                diagnostics.error(problem.message, at: text.location(atOffset: expression.offset), hint: problem.hint)
                ok = false
            }
        }
        return ok
    }

    // MARK: templates

    @discardableResult
    package func compileTemplate(_ text: Located<String>, scope: TemplateScope, stage: String?) -> Template? {
        let template: Template
        do {
            template = try TemplateParser.parse(text.value)
        } catch {
            diagnostics.error("template syntax: \(error.message)", at: text.location(atOffset: error.offset), hint: error.hint)
            return nil
        }
        return checkFields(template.expressions, of: text, scope: scope, stage: stage) ? template : nil
    }

    private func checkOutputCollisions(_ stages: [CompiledStage]) {
        var seen: [String: String] = [:]
        for stage in spec.stages {
            guard let template = stages.first(where: { $0.name == stage.name })?.body.output else { continue }
            if let other = seen[template.source] {
                diagnostics.error("stages '\(other)' and '\(stage.name)' write to the same output path '\(template.source)'",
                                  at: stage.body.keyLocation("output"), hint: "give each stage its own folder, like \(stage.name)/{{ key }}.png")
            } else {
                seen[template.source] = stage.name
            }
        }
    }

    private func checkProviders() {
        for provider in spec.providers { provider.component.check(provider, self) }
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

    /// The named outputs a stage's units carry: its own (a transform's `outputs:`), else those of
    /// the stage it takes its items from.
    private func namedOutputs(of stage: StageSpec, stages: [String: StageSpec]) -> [String] {
        var current: StageSpec? = stage
        var seen = Set<String>()
        while let here = current, seen.insert(here.name).inserted {
            if !here.config.namedOutputs.isEmpty { return here.config.namedOutputs }
            if here.isJoin(fromIsStage: stages[here.from.value] != nil) { return [] }
            current = stages[here.from.value]
        }
        return []
    }

    private func checkUnusedTemplates() {
        let used = Set(spec.stages.flatMap(\.config.templateNames))
        for (name, text) in spec.templates where !used.contains(name) {
            diagnostics.warning("template '\(name)' is never used", at: text.location, hint: "name it in a stage with 'template: \(name)', or remove it")
        }
    }

    package func reportUnknown(_ what: String, _ name: Located<String>, among candidates: some Sequence<String>) {
        let list = Array(candidates).sorted()
        let hint = DidYouMean.hint(for: name.value, among: list) ?? (list.isEmpty ? "none is declared" : "declared: " + list.joined(separator: ", "))
        diagnostics.error("unknown \(what) '\(name.value)'", at: name.location, hint: hint)
    }

    private func isJSON(_ source: SourceSpec) -> Bool {
        if case .csv = source.kind { return false }
        return true
    }
}
