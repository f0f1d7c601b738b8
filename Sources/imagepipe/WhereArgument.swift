import ArgumentParser
import ImagePipe

/// `--where 'category == "shoes"'`, parsed before anything runs: a mistake is a usage error
/// (exit 2) that shows the column.
enum WhereArgument {
    static func parse(_ text: String?) throws -> Condition? {
        guard let text else { return nil }
        do {
            return try ConditionParser.parse(text)
        } catch {
            let pointer = String(repeating: " ", count: error.offset) + "^"
            throw ValidationError("--where: \(error.message)\(error.hint.map { "; " + $0 } ?? "")\n  \(text)\n  \(pointer)")
        }
    }
}
