import ImagePipeCore
import ImagePipeLanguage
/// Lexical path arithmetic: no file system access, so that a plan can check paths it has not written.
public enum RelativePath {
    /// `a/./b/../c` → `a/c`. Returns nil when the path climbs above its start (`../x`, `a/../../x`).
    public static func normalize(_ path: String) -> String? {
        if isAlreadyNormal(path) { return path }
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

    /// True when no part is empty, `.` or `..` and there is no leading or trailing `/`: the
    /// common case, checked without allocating.
    package static func isAlreadyNormal(_ path: String) -> Bool {
        var partLength = 0
        var dots = 0
        for byte in path.utf8 {
            if byte == UInt8(ascii: "/") {
                if partLength == 0 || partLength == dots && dots <= 2 { return false }
                partLength = 0
                dots = 0
            } else {
                partLength += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        return partLength > 0 && !(partLength == dots && dots <= 2)
    }

    /// Joins `relative` onto `base` unless it is absolute, and tidies the result lexically.
    public static func join(_ base: String, _ relative: String) -> String {
        if relative.hasPrefix("/") { return tidy(relative) }
        if base.isEmpty || base == "." { return tidy(relative) }
        return tidy(base + "/" + relative)
    }

    /// Like `normalize`, but keeps leading `..` parts (for display paths) and a leading `/`.
    /// `path` as seen from `folder` (both absolute): `/a/b/c.csv` from `/a/d` is `../b/c.csv`.
    public static func relative(_ path: String, from folder: String) -> String {
        let target = tidy(path).split(separator: "/")
        let base = tidy(folder).split(separator: "/")
        var common = 0
        while common < target.count, common < base.count, target[common] == base[common] { common += 1 }
        let up = Array(repeating: "..", count: base.count - common)
        return (up + target[common...].map(String.init)).joined(separator: "/")
    }

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
