/// How diagnostics are printed: for people, for tools, or as GitHub Actions annotations.
public enum DiagnosticFormat: String, CaseIterable, Sendable {
    case text, json, github

    /// Every line passes through `secrets`, so a value from the environment never shows.
    public func render(_ diagnostics: [Diagnostic], secrets: SecretSet) -> String {
        switch self {
        case .text:
            return diagnostics.map { secrets.redact($0.formatted) + "\n" }.joined()
        case .github:
            return diagnostics.map { d in
                let level = d.severity == .error ? "error" : "warning"
                let message = Self.escapeGitHubData(secrets.redact(d.fullMessage))
                return "::\(level) file=\(Self.escapeGitHubProperty(d.location.file)),line=\(d.location.line),col=\(d.location.column)::\(message)\n"
            }.joined()
        case .json:
            return JSONValue.array(diagnostics.map { Self.json($0, secrets: secrets) }).serialized() + "\n"
        }
    }

    public static func json(_ d: Diagnostic, secrets: SecretSet) -> JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("severity", .string(d.severity.rawValue)),
            ("file", .string(d.location.file)),
            ("line", .int(d.location.line)),
            ("column", .int(d.location.column)),
            ("message", .string(secrets.redact(d.message))),
        ]
        if let hint = d.hint { pairs.append(("hint", .string(secrets.redact(hint)))) }
        return .object(pairs)
    }

    /// GitHub's workflow-command escaping: `%`, CR and LF in the message.
    static func escapeGitHubData(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }

    /// Properties also escape `:` and `,`.
    static func escapeGitHubProperty(_ s: String) -> String {
        escapeGitHubData(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }
}
