import ImagePipeCore
import Foundation
import Yams

/// Reads a pipeline file into a `PipelineSpec`: YAML with marks, environment interpolation, and
/// validation against the declarations. Problems go to `diagnostics`; a spec comes back whenever
/// the file could be read at all, so later checks can report more problems in the same pass.
public struct SpecLoader {
    public var environment: [String: String]
    public var secrets: SecretSet
    /// The stage and provider kinds the language knows.
    public var registry: LanguageRegistry

    public init(registry: LanguageRegistry, environment: [String: String] = ProcessInfo.processInfo.environment, secrets: SecretSet = SecretSet()) {
        self.registry = registry
        self.environment = environment
        self.secrets = secrets
    }

    /// - Parameter displayPath: how the file is named in diagnostics (the path the user typed).
    public func load(path: String, displayPath: String? = nil, diagnostics: Diagnostics) -> PipelineSpec? {
        let display = displayPath ?? path
        let start = SourceLocation(file: display, line: 1, column: 1)
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            diagnostics.error(exists ? "cannot read the file" : "no such file", at: start,
                              hint: exists ? "check its permissions" : nil)
            return nil
        }
        guard data.count <= YAMLLoader.maximumBytes else {
            diagnostics.error("the file is \(data.count) bytes; a pipeline may be at most \(YAMLLoader.maximumBytes) bytes", at: start,
                              hint: "put large item lists in a CSV or JSON Lines source")
            return nil
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            let location = TextPosition.firstInvalidUTF8(in: data).map { SourceLocation(file: display, line: $0.line, column: $0.column) } ?? start
            diagnostics.error("the file is not valid UTF-8", at: location, hint: "save it as UTF-8")
            return nil
        }
        return load(text: text, file: display, diagnostics: diagnostics)
    }

    public func load(text: String, file: String, diagnostics: Diagnostics) -> PipelineSpec? {
        guard let root = YAMLLoader.load(text: text, file: file, diagnostics: diagnostics) else { return nil }
        let reader = ConfigReader(file: file, environment: environment, secrets: secrets, diagnostics: diagnostics)
        reader.sourceLines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        guard let object = reader.readObject(root, spec: registry.pipelineDeclaration, path: "") else { return nil }
        return build(object, file: file, diagnostics: diagnostics)
    }

    private func build(_ o: ConfigObject, file: String, diagnostics: Diagnostics) -> PipelineSpec {
        let defaults = o.object("defaults")
        let providers = (o.map("providers") ?? []).compactMap { pair -> ProviderSpec? in
            guard case .object(let object) = pair.value.value else { return nil }
            return ProviderSpec(name: pair.key.value, object: object, environment: environment, registry: registry)
        }
        for provider in providers {
            if let key = provider.apiKey { secrets.register(key) }
            if let variable = provider.missingKeyVariable {
                diagnostics.strictWarning("provider '\(provider.name)' has no api_key and environment variable '\(variable)' is not set",
                                          at: provider.location, hint: "set \(variable), or add 'api_key: ${YOUR_VARIABLE}'")
            }
        }
        let sources = (o.map("sources") ?? []).compactMap { pair -> SourceSpec? in
            guard case .object(let object) = pair.value.value else { return nil }
            return SourceSpec(name: pair.key.value, object: object)
        }
        let templates = (o.map("templates") ?? []).compactMap { pair -> (name: String, template: Located<String>)? in
            pair.value.located.map { (pair.key.value, $0) }
        }
        let stages = (o.map("stages") ?? []).compactMap { pair -> StageSpec? in
            guard case .object(let object) = pair.value.value else { return nil }
            return StageSpec(name: pair.key.value, object: object, registry: registry)
        }
        let notify = (o.list("notify") ?? []).compactMap { node -> NotifySpec? in
            guard case .object(let object) = node.value else { return nil }
            return NotifySpec(object)
        }
        return PipelineSpec(
            file: file,
            name: o.string("name")?.value ?? "pipeline",
            outputDir: o.string("output_dir")?.value ?? "out",
            state: o.string("state")?.value,
            defaultProvider: defaults?.string("provider"),
            defaultRetry: RetryPolicy().overridden(by: defaults?.object("retry")),
            defaultTimeout: defaults?.duration("timeout") ?? 120,
            defaultConcurrency: defaults?.int("concurrency") ?? 4,
            providers: providers,
            sources: sources,
            templates: templates,
            stages: stages,
            notify: notify,
            budgetUSD: o.object("budget")?.double("max_usd"),
            provenance: ProvenanceSetting.read(o) ?? .standard,
            root: o
        )
    }
}

/// Line and column arithmetic over raw bytes, for data files and invalid UTF-8.
public enum TextPosition {
    /// The 1-based line and column of the first byte that is not valid UTF-8.
    public static func firstInvalidUTF8(in data: some Collection<UInt8>) -> (line: Int, column: Int)? {
        var line = 1, column = 1
        let bytes = Array(data)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length: Int
            switch b {
            case 0x00..<0x80: length = 1
            case 0xC2..<0xE0: length = 2
            case 0xE0..<0xF0: length = 3
            case 0xF0..<0xF5: length = 4
            default: return (line, column)
            }
            guard i + length <= bytes.count, String(validating: bytes[i..<(i + length)], as: UTF8.self) != nil else {
                return (line, column)
            }
            if b == 0x0A { line += 1; column = 1 } else { column += 1 }
            i += length
        }
        return nil
    }
}
