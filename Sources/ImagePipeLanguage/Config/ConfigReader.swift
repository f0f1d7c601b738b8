import ImagePipeCore
import Foundation
import Yams

/// Walks a YAML node tree against the declarations, interpolating the environment, and turns it
/// into validated `ConfigNode`s. It never stops at the first problem: every mistake becomes a
/// diagnostic with its line and column, and reading goes on.
public final class ConfigReader {
    public let file: String
    public let diagnostics: Diagnostics
    package let interpolator: EnvironmentInterpolator
    package let secrets: SecretSet
    /// The file's lines, to place errors inside block scalars; set by the loader.
    package var sourceLines: [Substring] = []
    /// Set while reading a field declared secret (or a credential header's value).
    private var readingSecret = false
    /// Set while reading a map of headers, whose credential values are secret.
    private var readingHeaders = false

    public init(file: String, environment: [String: String], secrets: SecretSet, diagnostics: Diagnostics) {
        self.file = file
        self.interpolator = EnvironmentInterpolator(environment: environment)
        self.secrets = secrets
        self.diagnostics = diagnostics
    }

    package func location(of node: Node) -> SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    // MARK: objects

    public func readObject(_ node: Node, spec: ObjectSpec, path: String) -> ConfigObject? {
        let here = location(of: node)
        let display = path.isEmpty ? "the pipeline" : "'\(path)'"
        guard case .mapping(let mapping) = node else {
            diagnostics.error("\(display) must be a mapping, got \(Self.kindName(node))", at: here)
            return nil
        }
        let pairs = mergedPairs(mapping)
        var object = ConfigObject(spec: spec, location: here, fields: [:], keyLocations: [:], orderedKeys: [])

        var allowed = spec.fields
        var variantFieldNames = Set<String>()
        if let discriminator = spec.discriminator {
            variantFieldNames = Set(discriminator.variants.flatMap { $0.fields.map(\.name) })
            if let kindPair = pairs.first(where: { $0.0.scalar?.string == discriminator.field }),
               let kind = kindPair.1.scalar?.string,
               let variant = discriminator.variants.first(where: { $0.value == kind }) {
                allowed += variant.fields
            }
        }
        let allowedNames = Set(allowed.map(\.name))
        // A misspelt key already reported with "did you mean 'model'?" should not also report
        // 'model' as missing.
        var suggested = Set<String>()

        for (keyNode, valueNode) in pairs {
            guard case .scalar(let keyScalar) = keyNode else {
                diagnostics.error("keys of \(display) must be plain names, got \(Self.kindName(keyNode))", at: location(of: keyNode))
                continue
            }
            let key = keyScalar.string
            let keyLocation = location(of: keyNode)
            guard let field = allowed.first(where: { $0.name == key }) else {
                if spec.allowsExtensionKeys, key.hasPrefix("x-") { continue }
                if variantFieldNames.contains(key), let discriminator = spec.discriminator {
                    let kinds = discriminator.variants.filter { $0.fields.contains { $0.name == key } }.map { "'\($0.value)'" }
                    diagnostics.error("'\(key)' is only valid in \(display) when \(discriminator.field) is \(kinds.joined(separator: " or "))",
                                      at: keyLocation, hint: "remove it, or change '\(discriminator.field)'")
                } else {
                    let suggestion = DidYouMean.suggestion(for: key, among: allowedNames)
                    if let suggestion { suggested.insert(suggestion) }
                    let hint = suggestion.map { "did you mean '\($0)'?" }
                        ?? "valid keys: " + allowed.map(\.name).joined(separator: ", ")
                    diagnostics.error("unknown key '\(key)' in \(display)", at: keyLocation, hint: hint)
                }
                continue
            }
            object.keyLocations[key] = keyLocation
            let outer = (readingSecret, readingHeaders)
            readingSecret = readingSecret || field.secrecy == .secret
            readingHeaders = field.secrecy == .credentialHeaders
            defer { (readingSecret, readingHeaders) = outer }
            if let value = read(valueNode, type: field.type, path: Self.join(path, key), name: key) {
                if case .null = value.value, field.required {
                    diagnostics.error("'\(key)' in \(display) needs a value", at: value.location)
                    continue
                }
                if case .null = value.value { continue }
                object.fields[key] = value
                object.orderedKeys.append(key)
            }
        }

        let grouped = Set((spec.exactlyOne + spec.atMostOne).flatMap { $0 })
        for field in allowed where field.required && !grouped.contains(field.name) && object.keyLocations[field.name] == nil
            && !suggested.contains(field.name) {
            diagnostics.error("\(display) is missing the required key '\(field.name)'", at: here, hint: "add '\(field.name): …'")
        }
        for group in spec.exactlyOne {
            let present = group.filter { object.keyLocations[$0] != nil }
            if present.isEmpty {
                diagnostics.error("\(display) needs one of " + group.map { "'\($0)'" }.joined(separator: ", "), at: here)
            } else if present.count > 1 {
                reportConflict(present, in: display, object: object)
            }
        }
        for group in spec.atMostOne {
            let present = group.filter { object.keyLocations[$0] != nil }
            if present.count > 1 { reportConflict(present, in: display, object: object) }
        }
        return object
    }

    private func reportConflict(_ present: [String], in path: String, object: ConfigObject) {
        let later = present.max { object.keyLocation($0) < object.keyLocation($1) }!
        diagnostics.error("\(path) cannot have both " + present.map { "'\($0)'" }.joined(separator: " and "),
                          at: object.keyLocation(later), hint: "keep one of them")
    }

    /// A mapping's pairs with YAML merge keys (`<<: *defaults`) applied; explicit keys win.
    package func mergedPairs(_ mapping: Node.Mapping) -> [(Node, Node)] {
        var explicit: [(Node, Node)] = []
        var merged: [(Node, Node)] = []
        for (key, value) in mapping {
            if case .scalar(let s) = key, s.string == "<<", s.style == .plain {
                let sources: [Node]
                switch value {
                case .sequence(let seq): sources = Array(seq)
                default: sources = [value]
                }
                for source in sources {
                    guard case .mapping(let inner) = source else {
                        diagnostics.error("a merge key '<<' needs a mapping or a list of mappings", at: location(of: source))
                        continue
                    }
                    merged.append(contentsOf: mergedPairs(inner))
                }
            } else {
                explicit.append((key, value))
            }
        }
        guard !merged.isEmpty else { return explicit }
        let explicitKeys = Set(explicit.compactMap { $0.0.scalar?.string })
        var seen = Set<String>()
        let inherited = merged.filter { pair in
            guard let k = pair.0.scalar?.string else { return false }
            return !explicitKeys.contains(k) && seen.insert(k).inserted
        }
        return explicit + inherited
    }

    // MARK: values

    package struct ScalarText {
        package var text: String
        package var location: SourceLocation
        package var shift: Int?
        package var fromEnvironment: Bool
        package var isPlain: Bool
        package var lineStarts: [LineStart]?
    }

    package enum ScalarOutcome {
        case text(ScalarText)
        case null(SourceLocation)
        case unresolved(SourceLocation)
        case invalid
    }

    package func scalar(_ node: Node, name: String) -> ScalarOutcome {
        guard case .scalar(let s) = node else { return .invalid }
        let here = location(of: node)
        if s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) { return .null(here) }
        let result: EnvironmentInterpolator.Result
        do {
            result = try interpolator.interpolate(s.string, secrets: secrets, secretField: readingSecret)
        } catch {
            switch error {
            case .unterminated:
                diagnostics.error("unterminated '${' in '\(name)'", at: here, hint: "close it with '}', or write '$$' for a literal '$'")
            case .badName(let bad, _):
                diagnostics.error("'${\(bad)}' is not a valid environment variable name", at: here,
                                  hint: "use letters, digits and '_', like ${API_KEY} or ${API_KEY:-default}")
            }
            return .invalid
        }
        if !result.missing.isEmpty {
            for variable in result.missing {
                diagnostics.strictWarning("environment variable '\(variable)' is not set", at: here,
                                          hint: "set it before 'imagepipe run', or give a default: ${\(variable):-value}")
            }
            return .unresolved(here)
        }
        let singleLine = !s.string.contains("\n") && !s.string.contains("$")
        let shift: Int?
        switch s.style {
        case .plain where singleLine: shift = 0
        case .singleQuoted where singleLine, .doubleQuoted where singleLine && !s.string.contains("\\"): shift = 1
        default: shift = nil
        }
        // A secret written into the file is as secret as one from the environment.
        if readingSecret { secrets.register(result.text) }
        var lineStarts: [LineStart]?
        if s.style == .literal || s.style == .folded, result.text == s.string { lineStarts = blockLineStarts(after: here.line, folded: s.style == .folded) }
        return .text(ScalarText(text: result.text, location: here, shift: shift, fromEnvironment: result.usedEnvironment,
                                isPlain: s.style == .plain, lineStarts: lineStarts))
    }

    /// Where each content line of a block scalar whose indicator is on `line` starts in its value.
    /// Literal blocks keep each line break; folded ones turn a break into a space, and a blank
    /// line into the break itself.
    private func blockLineStarts(after line: Int, folded: Bool) -> [LineStart]? {
        guard line >= 1, line < sourceLines.count else { return nil }
        var starts: [LineStart] = []
        var indent: Int?
        var offset = 0
        for index in line..<sourceLines.count {
            let text = sourceLines[index]
            let lead = text.prefix { $0 == " " }.count
            let blank = text.allSatisfy { $0 == " " || $0 == "\r" }
            if blank {
                if !folded { offset += 1 }
                continue
            }
            if indent == nil { indent = lead }
            guard let indent, lead >= indent else { break }
            let content = text.dropFirst(indent)
            starts.append(LineStart(offset: offset, location: SourceLocation(file: file, line: index + 1, column: indent + 1)))
            offset += content.unicodeScalars.count - (content.hasSuffix("\r") ? 1 : 0) + 1
        }
        return starts.isEmpty ? nil : starts
    }

    package func read(_ node: Node, type: FieldType, path: String, name: String) -> ConfigNode? {
        let here = location(of: node)
        func make(_ value: ConfigNode.Value, _ text: ScalarText? = nil) -> ConfigNode {
            ConfigNode(value: value, location: text?.location ?? here, textColumnShift: text?.shift, fromEnvironment: text?.fromEnvironment ?? false,
                       lineStarts: text?.lineStarts)
        }
        func mismatch(_ got: String) -> ConfigNode? {
            diagnostics.error("'\(name)' must be \(type.description), got \(got)", at: here, hint: Self.hint(for: type, got: got))
            return nil
        }

        switch type {
        case .object(let spec):
            if case .scalar = node, case .null = scalar(node, name: name) { return make(.null) }
            return readObject(node, spec: spec, path: path).map { make(.object($0)) }

        case .toggleOrObject(let spec):
            if case .scalar = node { return read(node, type: .boolean, path: path, name: name) }
            return read(node, type: .object(spec), path: path, name: name)

        case .list(let element, let minCount):
            guard case .sequence(let sequence) = node else {
                if case .scalar = node, case .null = scalar(node, name: name) { return make(.null) }
                if case .scalar = node, case .text(let t) = scalar(node, name: name) {
                    diagnostics.error("'\(name)' must be \(type.description), got '\(t.text)'", at: here, hint: "write it as a list: [\(t.text)]")
                    return nil
                }
                return mismatch(Self.kindName(node))
            }
            var items: [ConfigNode] = []
            for (n, item) in sequence.enumerated() {
                if let value = read(item, type: element, path: "\(path)[\(n)]", name: name) { items.append(value) }
            }
            if sequence.count < minCount {
                diagnostics.error("'\(name)' needs at least \(minCount) item\(minCount == 1 ? "" : "s")", at: here)
            }
            return make(.list(items))

        case .templateList:
            return read(node, type: .list(.template, minCount: 1), path: path, name: name)

        case .references(let kind):
            if case .sequence = node { return read(node, type: .list(.reference(kind), minCount: 1), path: path, name: name) }
            return read(node, type: .reference(kind), path: path, name: name)

        case .map(let element, let keyPattern):
            guard case .mapping(let mapping) = node else {
                if case .scalar = node, case .null = scalar(node, name: name) { return make(.map([])) }
                return mismatch(Self.kindName(node))
            }
            var pairs: [(key: Located<String>, value: ConfigNode)] = []
            for (keyNode, valueNode) in mergedPairs(mapping) {
                guard case .scalar(let k) = keyNode else {
                    diagnostics.error("keys of '\(name)' must be plain names", at: location(of: keyNode))
                    continue
                }
                let key = Located(k.string, at: location(of: keyNode))
                if let keyPattern, !Self.matches(k.string, keyPattern) {
                    if let names = Self.alternatives(keyPattern) {
                        // A closed set of names (failure classes): say which, with a did-you-mean.
                        diagnostics.error("'\(k.string)' is not one of the names '\(name)' takes", at: key.location,
                                          hint: DidYouMean.hint(for: k.string, among: names) ?? "use one of: " + names.joined(separator: ", "))
                    } else {
                        diagnostics.error("'\(k.string)' is not a valid name in '\(name)'", at: key.location,
                                          hint: "names start with a letter and use letters, digits and '_' (\(keyPattern))")
                    }
                    continue
                }
                let outer = readingSecret
                if readingHeaders, SecretNames.isCredentialHeader(k.string) { readingSecret = true }
                defer { readingSecret = outer }
                if let value = read(valueNode, type: element, path: "\(path).\(k.string)", name: k.string) {
                    pairs.append((key, value))
                }
            }
            return make(.map(pairs))

        case .json:
            return readJSON(node, path: path, name: name)

        default:
            break
        }

        // Scalars from here on.
        guard case .scalar = node else { return mismatch(Self.kindName(node)) }
        let text: ScalarText
        switch scalar(node, name: name) {
        case .text(let t): text = t
        case .null: return make(.null)
        case .unresolved(let at): return ConfigNode(value: .unresolved, location: at, textColumnShift: nil, fromEnvironment: true)
        case .invalid: return nil
        }
        let raw = text.text

        switch type {
        case .string(let pattern, _):
            if let pattern, !Self.matches(raw, pattern) { return mismatch("'\(raw)'") }
            return make(.string(raw), text)
        case .template, .path, .reference:
            if case .path = type, raw.isEmpty { return mismatch("an empty string") }
            return make(.string(raw), text)
        case .scalar:
            return make(.string(raw), text)
        case .integer(let min, let max):
            guard let value = Int(raw.trimmingCharacters(in: .whitespaces)) else { return mismatch("'\(raw)'") }
            if let min, value < min { return mismatch(String(value)) }
            if let max, value > max { return mismatch(String(value)) }
            return make(.integer(value), text)
        case .number(let min, let exclusive):
            guard let value = Double(raw.trimmingCharacters(in: .whitespaces)), value.isFinite else { return mismatch("'\(raw)'") }
            if let min, exclusive ? value <= min : value < min { return mismatch(JSONValue.format(value)) }
            return make(.number(value), text)
        case .boolean:
            switch raw {
            case "true", "True", "TRUE": return make(.boolean(true), text)
            case "false", "False", "FALSE": return make(.boolean(false), text)
            default: return mismatch("'\(raw)'")
            }
        case .duration, .durationOrZero:
            guard let seconds = DurationParser.seconds(raw) else { return mismatch("'\(raw)'") }
            if case .durationOrZero = type, seconds == 0 { return make(.duration(0), text) }
            guard seconds > 0 else {
                diagnostics.error("'\(name)' must be longer than zero, got '\(raw)'", at: here)
                return nil
            }
            return make(.duration(seconds), text)
        case .size:
            guard let size = ImageSize(parsing: raw) else { return mismatch("'\(raw)'") }
            return make(.size(size), text)
        case .aspectRatio:
            guard let ratio = AspectRatio(parsing: raw) else { return mismatch("'\(raw)'") }
            return make(.aspectRatio(ratio), text)
        case .url:
            guard Self.isHTTPURL(raw) else {
                // A secret URL (a webhook's) is not echoed, even when it is wrong.
                return mismatch(readingSecret ? "a secret value that is not one" : "'\(raw)'")
            }
            return make(.string(raw), text)
        case .choice(let options):
            guard options.contains(raw) else {
                diagnostics.error("'\(name)' must be \(type.description), got '\(raw)'", at: here,
                                  hint: DidYouMean.hint(for: raw, among: options))
                return nil
            }
            return make(.string(raw), text)
        default:
            return make(.string(raw), text)
        }
    }

    /// Strings in a JSON body are templates; plain scalars resolve as YAML's core schema does.
    package func readJSON(_ node: Node, path: String, name: String) -> ConfigNode? {
        let here = location(of: node)
        switch node {
        case .mapping(let mapping):
            var pairs: [(key: Located<String>, value: ConfigNode)] = []
            for (k, v) in mergedPairs(mapping) {
                guard let key = k.scalar?.string else {
                    diagnostics.error("keys in '\(name)' must be strings", at: location(of: k))
                    continue
                }
                if let value = readJSON(v, path: "\(path).\(key)", name: key) { pairs.append((Located(key, at: location(of: k)), value)) }
            }
            return ConfigNode(value: .map(pairs), location: here, textColumnShift: nil, fromEnvironment: false)
        case .sequence(let sequence):
            let items = sequence.enumerated().compactMap { readJSON($1, path: "\(path)[\($0)]", name: name) }
            return ConfigNode(value: .list(items), location: here, textColumnShift: nil, fromEnvironment: false)
        case .scalar(let s):
            switch scalar(node, name: name) {
            case .null: return ConfigNode(value: .null, location: here, textColumnShift: nil, fromEnvironment: false)
            case .unresolved(let at): return ConfigNode(value: .unresolved, location: at, textColumnShift: nil, fromEnvironment: true)
            case .invalid: return nil
            case .text(let t):
                var value = ConfigNode.Value.string(t.text)
                if t.isPlain, !s.string.contains("$") {
                    if let b = node.bool, ["true", "false", "True", "False", "TRUE", "FALSE"].contains(t.text) { value = .boolean(b) }
                    else if let i = Int(t.text) { value = .integer(i) }
                    else if let d = Double(t.text), d.isFinite, t.text.first.map({ $0.isNumber || $0 == "-" || $0 == "." }) == true { value = .number(d) }
                }
                return ConfigNode(value: value, location: t.location, textColumnShift: t.shift, fromEnvironment: t.fromEnvironment, lineStarts: t.lineStarts)
            }
        case .alias:
            return nil
        }
    }

    // MARK: helpers

    package static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    package static func kindName(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let s): return "'\(s.string)'"
        case .alias: return "an alias"
        }
    }

    package static func hint(for type: FieldType, got: String) -> String? {
        switch type {
        case .duration, .durationOrZero:
            let digits = got.trimmingCharacters(in: CharacterSet(charactersIn: "'"))
            if Double(digits) != nil { return "add a unit: \(digits)s" }
            return nil
        case .size:
            return "use WIDTHxHEIGHT, or aspect_ratio with resolution"
        default:
            return nil
        }
    }

    package static func matches(_ text: String, _ pattern: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: "^(?:\(pattern))$") else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// An absolute http(s) URL with a host. Templates may follow the host (`{{ sku }}` in a path).
    package static func isHTTPURL(_ raw: String) -> Bool {
        let probe = raw.replacingOccurrences(of: #"\{\{[^}]*\}\}"#, with: "x", options: .regularExpression)
        guard let components = URLComponents(string: probe), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
              !raw.hasPrefix("\(scheme)://{{") else { return false }
        return true
    }

    /// `(a|b|c)` → ["a", "b", "c"]: a key pattern that lists plain names.
    static func alternatives(_ pattern: String) -> [String]? {
        guard pattern.hasPrefix("("), pattern.hasSuffix(")") else { return nil }
        let names = pattern.dropFirst().dropLast().split(separator: "|").map(String.init)
        guard names.count > 1, names.allSatisfy({ $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }) else { return nil }
        return names
    }
}
