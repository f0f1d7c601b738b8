/// Lexical path arithmetic: no file system access, so that a plan can check paths it has not written.
public enum RelativePath {
    /// `a/./b/../c` → `a/c`. Returns nil when the path climbs above its start (`../x`, `a/../../x`).
    public static func normalize(_ path: String) -> String? {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            default: parts.append(part)
            }
        }
        return parts.joined(separator: "/")
    }

    /// Joins `relative` onto `base` unless it is absolute, and tidies the result lexically.
    public static func join(_ base: String, _ relative: String) -> String {
        if relative.hasPrefix("/") { return tidy(relative) }
        if base.isEmpty || base == "." { return tidy(relative) }
        return tidy(base + "/" + relative)
    }

    /// Like `normalize`, but keeps leading `..` parts (for display paths) and a leading `/`.
    public static func tidy(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                if let last = parts.last, last != ".." { parts.removeLast() } else if !absolute { parts.append(part) }
            default: parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// The folder part of a path: `pipelines/x.yaml` → `pipelines`, `x.yaml` → `.`.
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }
}
