/// Names that say their value is a credential: environment variables (`OPENAI_API_KEY`,
/// `CMS_TOKEN`, `SLACK_WEBHOOK`) and HTTP headers (`Authorization`, `X-Api-Key`). A safety net
/// under the fields declared secret: a token pasted into a JSON body is still masked.
public enum SecretNames {
    private static let variableWords: Set<String> = [
        "APIKEY", "TOKEN", "TOKENS", "SECRET", "SECRETS", "PASSWORD", "PASSWD", "CREDENTIAL", "CREDENTIALS",
        "AUTH", "WEBHOOK", "DSN", "COOKIE", "SIGNATURE",
    ]

    /// `OPENAI_API_KEY`, `AWS_ACCESS_KEY_ID`, `STRIPE_KEY`, `CMS_TOKEN`, `DB_PASSWORD`; not `KEY_COLUMN`,
    /// `PWD` or `PRIVATE_BUCKET`.
    public static func isSecretVariable(_ name: String) -> Bool {
        let upper = name.uppercased()
        let words = upper.split(separator: "_").map(String.init)
        if words.contains(where: variableWords.contains) { return true }
        if words.last == "KEY" || upper.hasSuffix("APIKEY") { return true }
        return ["API_KEY", "ACCESS_KEY", "SECRET_KEY", "PRIVATE_KEY", "SIGNING_KEY"].contains { upper.contains($0) }
    }

    private static let headerWords = ["auth", "token", "key", "secret", "signature", "password", "session", "cookie"]

    public static func isCredentialHeader(_ name: String) -> Bool {
        let lower = name.lowercased()
        return headerWords.contains { lower.contains($0) }
    }
}
