import ImagePipeCore
import Foundation
import Yams

/// Turns pipeline text into a Yams `Node` tree (which keeps a mark on every node), refusing
/// hostile input quickly: oversized files, nesting deeper than any pipeline needs, and alias
/// bombs that would expand to millions of nodes.
public enum YAMLLoader {
    public static let maximumBytes = 8 << 20
    public static let maximumDepth = 64
    public static let maximumExpandedNodes = 1_000_000

    public static func load(text: String, file: String, diagnostics: Diagnostics) -> Node? {
        let start = SourceLocation(file: file, line: 1, column: 1)
        guard text.utf8.count <= maximumBytes else {
            diagnostics.error("the file is \(text.utf8.count) bytes; a pipeline may be at most \(maximumBytes) bytes", at: start,
                              hint: "put large item lists in a CSV or JSON Lines source")
            return nil
        }
        // libyaml is iterative but Yams composes recursively: deep input would overflow the
        // default stack, so compose (and drop a refused tree) on a thread with a large one.
        let outcome = LargeStack.run { () -> Result<Node?, LoadFailure> in
            let node: Node?
            do {
                node = try Yams.compose(yaml: text)
            } catch let error as YamlError {
                var failure = LoadFailure(error: error, file: file)
                // libyaml names where it gave up, often lines after the mistake: a misplaced
                // indent or a tab at or before that line is the likelier cause.
                if let finding = YAMLIndentationDoctor.diagnose(text), finding.line <= failure.location.line {
                    failure = LoadFailure(message: finding.message, location: SourceLocation(file: file, line: finding.line, column: finding.column),
                                          hint: finding.hint + " (YAML stopped at line \(failure.location.line): \(failure.message.replacingOccurrences(of: "YAML syntax error: ", with: "")))")
                }
                return .failure(failure)
            } catch {
                return .failure(LoadFailure(message: "cannot read YAML: \(error)", location: start))
            }
            guard let node else { return .success(nil) }
            var budget = maximumExpandedNodes
            if let problem = check(node, depth: 1, budget: &budget, file: file) {
                return .failure(problem)
            }
            return .success(node)
        }
        switch outcome {
        case .success(let node):
            if node == nil { diagnostics.error("the file is empty", at: start, hint: "start with 'version: 1'") }
            return node
        case .failure(let failure):
            diagnostics.error(failure.message, at: failure.location, hint: failure.hint)
            return nil
        }
    }

    package struct LoadFailure: Error {
        package var message: String
        package var location: SourceLocation
        package var hint: String?

        package init(message: String, location: SourceLocation, hint: String? = nil) {
            self.message = message
            self.location = location
            self.hint = hint
        }

        package init(error: YamlError, file: String) {
            func at(_ mark: Mark?) -> SourceLocation {
                SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
            }
            switch error {
            case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
                 let .composer(context, problem, mark, _):
                if problem.hasPrefix("Maximum nesting level") {
                    self.init(message: "nesting deeper than YAML's limit", location: at(mark),
                              hint: "a pipeline never needs this much nesting; check for unbalanced brackets")
                    return
                }
                let while_ = context.map { " \($0.text)" } ?? ""
                self.init(message: "YAML syntax error: \(problem)\(while_)", location: at(mark))
            case let .reader(problem, offset, _, yaml):
                var line = 1, column = 1
                if let offset {
                    for (n, byte) in yaml.utf8.enumerated() {
                        if n >= offset { break }
                        if byte == 0x0A { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
                    }
                }
                self.init(message: "cannot read the file: \(problem)", location: SourceLocation(file: file, line: line, column: column),
                          hint: "save it as UTF-8")
            case let .duplicatedKeysInMapping(duplicates, context):
                let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
                self.init(message: "duplicate key \(names) in one mapping (YAML forbids it, and only one would be kept)",
                          location: at(context.mark), hint: "remove or rename one of them")
            default:
                self.init(message: "cannot read YAML: \(error)", location: at(nil))
            }
        }
    }

    private static func check(_ node: Node, depth: Int, budget: inout Int, file: String) -> LoadFailure? {
        budget -= 1
        let location = SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        if budget < 0 {
            return LoadFailure(message: "the document expands to more than \(maximumExpandedNodes) nodes (an alias bomb?)",
                               location: location, hint: "put large item lists in a CSV or JSON Lines source")
        }
        if depth > maximumDepth {
            return LoadFailure(message: "nesting deeper than \(maximumDepth) levels", location: location,
                               hint: "a pipeline never needs this much nesting; check for unbalanced brackets")
        }
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                if let problem = check(key, depth: depth + 1, budget: &budget, file: file) { return problem }
                if let problem = check(value, depth: depth + 1, budget: &budget, file: file) { return problem }
            }
        case .sequence(let sequence):
            for item in sequence {
                if let problem = check(item, depth: depth + 1, budget: &budget, file: file) { return problem }
            }
        case .scalar, .alias:
            break
        }
        return nil
    }
}
