/// A problem in a data file, at a line (and column where one is known) of that file.
public struct DataFileError: Error, Equatable {
    public var line: Int
    public var column: Int
    public var message: String
    public var hint: String?

    public init(line: Int, column: Int = 1, _ message: String, hint: String? = nil) {
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint
    }
}
