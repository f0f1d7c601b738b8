import Foundation

/// The checks on data that reaches a request's URL and headers: a row of hostile data may not
/// call an endpoint the pipeline's author never named, nor smuggle a header.
enum RequestData {
    /// A path segment `.` or `..` (from data, as `%2E%2E` too) would make most servers answer for
    /// another endpoint, with the pipeline's credentials.
    static func checkPath(of url: String, unit: ItemContext, stage: String) throws(UnitProblem) {
        guard let schemeEnd = url.range(of: "://") else { return }
        let rest = url[schemeEnd.upperBound...]
        // The path starts at the first '/' after the host, unless a query or fragment comes first.
        guard let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }), rest[end] == "/" else { return }
        let pathAndMore = rest[end...]
        let path = pathAndMore.prefix { $0 != "?" && $0 != "#" }
        guard URLValueEncoding.hasDotSegment(path[...]), let segment = path.split(separator: "/", omittingEmptySubsequences: false).first(where: URLValueEncoding.isDotSegment) else { return }
        throw UnitProblem("the URL of stage '\(stage)' for item '\(unit.key)' has a path segment '\(segment)' from the data (\(unit.location.file):\(unit.location.line)); "
                          + "a server would read it as a move to another folder, so it was not sent",
                          hint: "correct the data, or build the path from another field", failureClass: .bad_request,
                          cause: "stage '\(stage)' URLs whose path the data turns into '.' or '..'", setting: "url")
    }

    /// `query:` pairs after the URL's own query, names and values encoded as one component each.
    static func appendQuery(_ query: [(name: String, value: Template)], to url: String, unit: ItemContext, stage: String) throws(UnitProblem) -> String {
        var pairs: [String] = []
        for (name, template) in query {
            let value = try unit.render(template, stage: stage, what: "query parameter '\(name)'", encoding: .url) ?? ""
            pairs.append(URLValueEncoding.component(name) + "=" + value)
        }
        let fragment = url.firstIndex(of: "#").map { String(url[$0...]) } ?? ""
        let base = fragment.isEmpty ? url : String(url.dropLast(fragment.count))
        let separator = base.contains("?") ? (base.hasSuffix("?") || base.hasSuffix("&") ? "" : "&") : "?"
        return base + separator + pairs.joined(separator: "&") + fragment
    }

    /// A header value may hold any text but control characters (RFC 9110 §5.5): a line break
    /// from the data would end the header and start another.
    static func checkHeader(_ name: String, _ value: String, unit: ItemContext, stage: String) throws(UnitProblem) {
        guard let bad = value.unicodeScalars.first(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }) else { return }
        let what: String
        switch bad {
        case "\r", "\n": what = "a line break"
        case "\0": what = "a NUL character"
        default: what = "a control character (U+" + String(format: "%04X", bad.value) + ")"
        }
        throw UnitProblem("header \(name) of item '\(unit.key)' (stage '\(stage)') contains \(what) from the data (\(unit.location.file):\(unit.location.line)); it was not sent",
                          hint: "clean the field in the data, or leave it out of the header", failureClass: .bad_request,
                          cause: "header \(name) of stage '\(stage)' getting a line break or control character from the data", setting: "headers")
    }
}
