import Foundation

/// When libyaml refuses a file, it often names a line well after the mistake ("mapping values
/// are not allowed here", ten lines down). Most such files have one line indented wrongly, or a
/// tab: this reads the lines as a person would and names that line, and the column its key
/// should start at. It is only asked about text libyaml refused, so a guess never stops a valid file.
package enum YAMLIndentationDoctor {
    package struct Finding: Equatable {
        package var line: Int
        package var column: Int
        package var message: String
        package var hint: String
    }

    private struct Level {
        var indent: Int
        var line: Int
        var key: String
        /// A key without a value on its line (`stages:`), or a `- ` item: what follows may nest.
        var opensBlock: Bool
        /// Where its first nested line started, which every later one must match.
        var child: (indent: Int, line: Int, key: String)?
    }

    package static func diagnose(_ text: String) -> Finding? {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        if let tab = firstIndentingTab(lines) { return tab }
        var stack: [Level] = []
        var blockScalarIndent: Int?
        var flowDepth = 0
        for (n, raw) in lines.enumerated() {
            let number = n + 1
            let indent = raw.prefix { $0 == " " }.count
            let content = stripComment(String(raw.dropFirst(indent)))
            if content.isEmpty { continue }
            if let scalarIndent = blockScalarIndent {
                if indent > scalarIndent { continue }
                blockScalarIndent = nil
            }
            if flowDepth > 0 {
                flowDepth += depthChange(content)
                continue
            }
            if content.hasPrefix("---") || content.hasPrefix("...") || content.hasPrefix("%") { stack.removeAll(); continue }
            var itemIndent = indent
            var body = content
            var isItem = false
            while body.hasPrefix("- ") || body == "-" {
                isItem = true
                let rest = body.dropFirst(body == "-" ? 1 : 2)
                let spaces = rest.prefix { $0 == " " }.count
                itemIndent += 2 + spaces
                body = String(rest.dropFirst(spaces))
            }
            let key = keyOf(body)
            // Where this line sits among the open levels.
            while let top = stack.last, top.indent > indent { stack.removeLast() }
            if let top = stack.last, top.indent < indent, !top.opensBlock {
                return Finding(line: number, column: indent + 1,
                               message: "\(describe(key, isItem)) is indented more than '\(top.key)' on line \(top.line), which already has a value on its line",
                               hint: "indent it like '\(top.key)' (column \(top.indent + 1))")
            }
            if let top = stack.last, top.indent < indent, let child = top.child, child.indent != indent {
                // A child of `top`, but not in line with its first child: between two levels.
                let nearer = child.indent > indent ? "less" : "more"
                return Finding(line: number, column: indent + 1,
                               message: "\(describe(key, isItem)) is indented \(indent) spaces, \(nearer) than '\(child.key)' on line \(child.line) and more than '\(top.key)' on line \(top.line): it matches no level above",
                               hint: "start it at column \(child.indent + 1) (beside '\(child.key)'), or at column \(top.indent + 1) (beside '\(top.key)')")
            }
            if !stack.isEmpty, stack[stack.count - 1].indent < indent, stack[stack.count - 1].child == nil {
                stack[stack.count - 1].child = (indent, number, key ?? (isItem ? "-" : "the line"))
            }
            if let top = stack.last, top.indent == indent { stack.removeLast() }
            if isItem {
                stack.append(Level(indent: indent, line: number, key: "-", opensBlock: true))
            }
            if let key {
                let value = valueAfterKey(body)
                stack.append(Level(indent: itemIndent, line: number, key: key, opensBlock: value.isEmpty || value.hasPrefix("&")))
                if ["|", ">"].contains(value.first.map(String.init) ?? "") { blockScalarIndent = itemIndent }
                flowDepth = max(0, depthChange(value))
            } else if !isItem {
                flowDepth = max(0, depthChange(body))
            } else {
                flowDepth = max(0, depthChange(body))
            }
        }
        return nil
    }

    private static func firstIndentingTab(_ lines: [String]) -> Finding? {
        for (n, line) in lines.enumerated() {
            let lead = line.prefix { $0 == " " || $0 == "\t" }
            guard let tab = lead.firstIndex(of: "\t"), !line.dropFirst(lead.count).isEmpty else { continue }
            let column = lead.distance(from: lead.startIndex, to: tab) + 1
            let width = lead.filter { $0 == " " }.count
            return Finding(line: n + 1, column: column, message: "a tab indents this line; YAML indents with spaces only",
                           hint: "replace the tab with spaces" + (width > 0 ? " (this line has \(width) spaces too)" : "") + "; most editors can show tabs and turn them into spaces")
        }
        return nil
    }

    private static func describe(_ key: String?, _ isItem: Bool) -> String {
        if let key { return "'\(key)'" }
        return isItem ? "this list item" : "this line"
    }

    /// `name: value` → "name"; plain keys only (quoted keys and flow lines are left alone).
    private static func keyOf(_ body: String) -> String? {
        guard let colon = body.firstIndex(of: ":") else { return nil }
        let after = body.index(after: colon)
        guard after == body.endIndex || body[after] == " " else { return nil }
        let key = body[..<colon]
        guard !key.isEmpty, !key.contains(where: { "{}[],\"'#&*!|>%@`".contains($0) }) else { return nil }
        return String(key)
    }

    private static func valueAfterKey(_ body: String) -> String {
        guard let colon = body.firstIndex(of: ":") else { return "" }
        return body[body.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }

    private static func stripComment(_ text: String) -> String {
        var quote: Character?
        var previous: Character = " "
        for (offset, c) in text.enumerated() {
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "#", previous == " " || offset == 0 {
                return String(text.prefix(offset)).trimmingCharacters(in: .whitespaces)
            }
            previous = c
        }
        return text.trimmingCharacters(in: .whitespaces)
    }

    private static func depthChange(_ text: String) -> Int {
        var depth = 0
        var quote: Character?
        for c in text {
            if let q = quote { if c == q { quote = nil }; continue }
            switch c {
            case "\"", "'": quote = c
            case "{", "[": depth += 1
            case "}", "]": depth -= 1
            default: break
            }
        }
        return depth
    }
}
