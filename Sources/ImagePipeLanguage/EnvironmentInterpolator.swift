import ImagePipeCore
/// docker-compose style interpolation: `${VAR}`, `${VAR:-default}` (default when unset or empty),
/// `${VAR-default}` (default when unset) and `$$` for a literal `$`. A value taken from the
/// environment is registered as a secret when the field is secret, when it is written
/// `${secret:VAR}`, or when the variable's name says so (`…_KEY`, `…_TOKEN`).
public struct EnvironmentInterpolator: Sendable {
    public struct Result: Equatable {
        public var text: String
        /// Variables that are unset and have no default.
        public var missing: [String]
        /// Whether any part of `text` came from the environment.
        public var usedEnvironment: Bool
    }

    public enum Failure: Error, Equatable {
        case unterminated(offset: Int)
        case badName(String, offset: Int)
    }

    public let environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    public func interpolate(_ text: String, secrets: SecretSet?, secretField: Bool = false) throws(Failure) -> Result {
        guard text.contains("$") else { return Result(text: text, missing: [], usedEnvironment: false) }
        let scalars = Array(text.unicodeScalars)
        var output = String.UnicodeScalarView()
        var missing: [String] = []
        var usedEnvironment = false
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            guard c == "$", i + 1 < scalars.count else {
                output.append(c)
                i += 1
                continue
            }
            let next = scalars[i + 1]
            if next == "$" {
                output.append("$")
                i += 2
                continue
            }
            guard next == "{" else {
                output.append(c)
                i += 1
                continue
            }
            guard let close = scalars[(i + 2)...].firstIndex(of: "}") else {
                throw .unterminated(offset: i)
            }
            var body = String(String.UnicodeScalarView(scalars[(i + 2)..<close]))
            let marked = body.hasPrefix(Self.secretMark)
            if marked { body.removeFirst(Self.secretMark.count) }
            let (name, fallback, fallbackWhenEmpty) = Self.split(body)
            guard Self.isValidName(name) else { throw .badName(name, offset: i) }
            let value = environment[name]
            if let value, !(fallbackWhenEmpty && value.isEmpty) {
                output.append(contentsOf: value.unicodeScalars)
                usedEnvironment = true
                if marked || secretField || SecretNames.isSecretVariable(name) { secrets?.register(value) }
            } else if let fallback {
                output.append(contentsOf: fallback.unicodeScalars)
            } else {
                missing.append(name)
            }
            i = close + 1
        }
        return Result(text: String(output), missing: missing, usedEnvironment: usedEnvironment)
    }

    /// `${secret:CMS_SESSION}`: the user's word that a value is secret.
    static let secretMark = "secret:"

    private static func split(_ body: String) -> (String, String?, Bool) {
        if let range = body.range(of: ":-") {
            return (String(body[..<range.lowerBound]), String(body[range.upperBound...]), true)
        }
        if let index = body.firstIndex(of: "-") {
            return (String(body[..<index]), String(body[body.index(after: index)...]), false)
        }
        return (body, nil, false)
    }

    package static func isValidName(_ name: String) -> Bool {
        func isLetter(_ c: Unicode.Scalar) -> Bool { c == "_" || ("A"..."Z").contains(c) || ("a"..."z").contains(c) }
        guard let first = name.unicodeScalars.first, isLetter(first) else { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || ("0"..."9").contains($0) }
    }
}
