/// Names that say their value is a credential: environment variables (`OPENAI_API_KEY`,
/// `CMS_TOKEN`, `SLACK_WEBHOOK`) and HTTP headers (`Authorization`, `X-Api-Key`). A safety net
/// under the fields declared secret: a token pasted into a JSON body is still masked.
public enum SecretNames {
    private static let variableWords: Set<String> = [
        "KEY", "KEYS", "APIKEY", "TOKEN", "TOKENS", "SECRET", "SECRETS", "PASSWORD", "PASSWD", "PWD", "PASS",
        "CREDENTIAL", "CREDENTIALS", "AUTH", "WEBHOOK", "DSN", "COOKIE", "SIGNATURE", "PRIVATE",
    ]

    public static func isSecretVariable(_ name: String) -> Bool {
        let upper = name.uppercased()
        if upper.split(separator: "_").contains(where: { variableWords.contains(String($0)) }) { return true }
        return ["KEY", "TOKEN", "SECRET", "PASSWORD"].contains { upper.hasSuffix($0) }
    }

    private static let headerWords = ["auth", "token", "key", "secret", "signature", "password", "session", "cookie"]

    public static func isCredentialHeader(_ name: String) -> Bool {
        let lower = name.lowercased()
        return headerWords.contains { lower.contains($0) }
    }
}
