import ImagePipeCore
/// A position in a file the user wrote: the pipeline YAML or one of its data files.
/// Lines and columns are 1-based; columns count Unicode scalars, as libyaml does.
public struct SourceLocation: Hashable, Sendable, Comparable {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

/// A value together with where it was written.
public struct Located<Value> {
    public var value: Value
    public var location: SourceLocation
    /// Set when the value's text maps one to one onto a single source line (a plain or quoted
    /// one-line scalar): the number of columns between `location` and the text's first character.
    /// Lets a template error point at the exact column of `{{ colour }}`.
    public var textColumnShift: Int?

    /// Set for a block scalar (`|`, `>-`) spread over several lines: where each source line's
    /// text starts in the value, so that an error deep in a long prompt names its own line.
    public var lineStarts: [LineStart]?

    public init(_ value: Value, at location: SourceLocation, textColumnShift: Int? = nil, lineStarts: [LineStart]? = nil) {
        self.value = value
        self.location = location
        self.textColumnShift = textColumnShift
        self.lineStarts = lineStarts
    }

    /// The location of the character `offset` Unicode scalars into the value's text.
    public func location(atOffset offset: Int) -> SourceLocation {
        if let lineStarts, let start = lineStarts.last(where: { $0.offset <= offset }) {
            var result = start.location
            result.column += offset - start.offset
            return result
        }
        guard let shift = textColumnShift else { return location }
        var result = location
        result.column += shift + offset
        return result
    }

    public func map<T>(_ transform: (Value) -> T) -> Located<T> {
        Located<T>(transform(value), at: location, textColumnShift: textColumnShift, lineStarts: lineStarts)
    }
}

extension Located: Sendable where Value: Sendable {}
extension Located: Equatable where Value: Equatable {}

/// Where one source line of a multi-line value begins: its offset in the value (in Unicode
/// scalars) and its place in the file.
public struct LineStart: Sendable, Equatable {
    public var offset: Int
    public var location: SourceLocation

    public init(offset: Int, location: SourceLocation) {
        self.offset = offset
        self.location = location
    }
}
