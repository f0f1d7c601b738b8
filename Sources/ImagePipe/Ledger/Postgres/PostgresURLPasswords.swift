import Foundation

/// A PostgreSQL URL read once for its passwords, wherever libpq takes one: `user:secret@` (for
/// several hosts too, `postgres://u:pw@h1,h2/db`, which URLComponents cannot read) and
/// `password=…` in the query. `shown` is the URL without them; `passwords` is what to mask.
struct PostgresURLPasswords {
    private(set) var shown: String
    /// Each password raw and percent-decoded.
    private(set) var passwords: [String] = []

    init(_ url: String) {
        shown = url
        var found: [String] = []
        // `scheme://user:password@`: from the first ':' after the user to the last '@' before the path.
        if let scheme = shown.range(of: "://") {
            let rest = shown[scheme.upperBound...]
            let authority = rest[..<(rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex)]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                found.append(String(shown[shown.index(after: colon)..<at]))
                shown.removeSubrange(colon..<at)
            }
        }
        if let query = shown.firstIndex(of: "?") {
            let pairs = shown[shown.index(after: query)...].split(separator: "&")
            let isPassword = { (pair: Substring) in pair.lowercased().hasPrefix("password=") }
            found += pairs.filter(isPassword).map { String($0.dropFirst("password=".count)) }
            let kept = pairs.filter { !isPassword($0) }
            shown = String(shown[..<query]) + (kept.isEmpty ? "" : "?" + kept.joined(separator: "&"))
        }
        passwords = found.filter { !$0.isEmpty }.flatMap { [$0, $0.removingPercentEncoding ?? $0] }
    }
}
