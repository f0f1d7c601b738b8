/// A problem in a data file, at a line (and column where one is known) of that file.
public struct DataFileError: Error, Equatable {
    public var line: Int
    public var column: Int
    public var message: String
    public var hint: String?
    /// Whether reading can go on past the problem (a ragged row) or the file ends there (a quote
    /// that never closes).
    public var rest: Rest

    public enum Rest: Sendable {
        case rowSkipped
        case fileEnds
    }

    public init(line: Int, column: Int = 1, _ message: String, hint: String? = nil, rest: Rest = .fileEnds) {
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint
        self.rest = rest
    }
}
