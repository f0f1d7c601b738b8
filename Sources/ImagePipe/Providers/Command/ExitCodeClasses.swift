/// How a program's exit says what went wrong: its status (`retry_exit_codes`, `exit_codes`) or a
/// JSON error on stdout (`{"status": "error", "error": {"code": …, "message": …}}`, as common
/// image CLIs print it).
struct ExitCodeClasses: Sendable {
    /// The failure classes `exit_codes` may name.
    static let pattern = "(" + FailureClass.allCases.filter { $0 != .cancelled }.map(\.rawValue).joined(separator: "|") + ")"

    private var classes: [Int32: FailureClass] = [:]

    init(_ spec: ProviderSpec) {
        for node in spec.settings.list("retry_exit_codes") ?? [] {
            if case .integer(let code) = node.value { classes[Int32(code)] = .server_error }
        }
        for (name, node) in spec.settings.map("exit_codes") ?? [] {
            guard let failureClass = FailureClass(rawValue: name.value), case .list(let codes) = node.value else { continue }
            for code in codes { if case .integer(let c) = code.value { classes[Int32(c)] = failureClass } }
        }
    }

    func failureClass(ofExit status: Int32) -> FailureClass? { classes[status] }

    /// The class and message of a JSON error a program printed, if it printed one.
    static func jsonError(_ json: JSONValue) -> (FailureClass, String)? {
        guard case .string(let status)? = json["status"], status != "success" else { return nil }
        let error = json["error"]
        func text(_ value: JSONValue?) -> String? {
            switch value {
            case .string(let s)?: return s
            case .int(let i)?: return String(i)
            default: return nil
            }
        }
        let code = text(error?["code"]) ?? text(error?["type"]) ?? text(json["code"]) ?? text(json["error_type"]) ?? ""
        let message = text(error?["message"]) ?? text(json["message"]) ?? text(error) ?? "status '\(status)'"
        return (classify(code + " " + message), message)
    }

    /// Words that vendors' CLIs use for each class, in the code first, then the message.
    static func classify(_ text: String) -> FailureClass {
        let t = text.lowercased()
        func has(_ words: String...) -> Bool { words.contains { t.contains($0) } }
        if has("rate", "429", "quota", "too many", "throttl") { return .rate_limited }
        if has("auth", "401", "403", "unauthori", "forbidden", "api key", "credential") { return .auth }
        if has("safety", "policy", "moderation", "blocked", "nsfw", "content") { return .content_policy }
        if has("timeout", "timed out", "deadline") { return .timeout }
        if has("500", "502", "503", "504", "server", "unavailable", "overloaded", "internal", "busy") { return .server_error }
        if has("network", "connect", "dns", "resolve") { return .network }
        return .bad_request
    }
}
