import ImagePipeCore
/// A configuration value after validation against its `FieldType`, with its place in the file.
public struct ConfigNode: Sendable {
    public indirect enum Value: Sendable {
        case string(String)
        case integer(Int)
        case number(Double)
        case boolean(Bool)
        /// Seconds.
        case duration(Double)
        case size(ImageSize)
        case aspectRatio(AspectRatio)
        case list([ConfigNode])
        case map([(key: Located<String>, value: ConfigNode)])
        case object(ConfigObject)
        case null
        /// A value that needs an environment variable that is not set: known to be absent, not wrong.
        case unresolved
    }

    public var value: Value
    public var location: SourceLocation
    public var textColumnShift: Int?
    /// Part of the value came from the environment, so it is a secret.
    public var fromEnvironment: Bool
    /// A block scalar's lines, for error columns inside it.
    public var lineStarts: [LineStart]?

    public init(value: Value, location: SourceLocation, textColumnShift: Int?, fromEnvironment: Bool, lineStarts: [LineStart]? = nil) {
        self.value = value
        self.location = location
        self.textColumnShift = textColumnShift
        self.fromEnvironment = fromEnvironment
        self.lineStarts = lineStarts
    }

    public var located: Located<String>? {
        guard case .string(let s) = value else { return nil }
        return Located(s, at: location, textColumnShift: textColumnShift, lineStarts: lineStarts)
    }

    /// The value as plain JSON (for an HTTP step's body and for item fields).
    public var json: JSONValue {
        switch value {
        case .string(let s): return .string(s)
        case .integer(let i): return .int(i)
        case .number(let d), .duration(let d): return .double(d)
        case .boolean(let b): return .bool(b)
        case .size(let s): return .string(s.description)
        case .aspectRatio(let a): return .string(a.description)
        case .list(let items): return .array(items.map(\.json))
        case .map(let pairs): return .object(pairs.map { ($0.key.value, $0.value.json) })
        case .object(let o): return .object(o.orderedKeys.compactMap { k in o.node(k).map { (k, $0.json) } })
        case .null, .unresolved: return .null
        }
    }
}

/// A validated mapping of a declared `ObjectSpec`, read through typed accessors.
public struct ConfigObject: Sendable {
    public let spec: ObjectSpec
    public let location: SourceLocation
    package var fields: [String: ConfigNode]
    package var keyLocations: [String: SourceLocation]
    package var orderedKeys: [String]

    public func has(_ name: String) -> Bool { fields[name] != nil }
    /// Whether the key was written at all, even with a value that failed validation.
    public func wasWritten(_ name: String) -> Bool { keyLocations[name] != nil }
    public func node(_ name: String) -> ConfigNode? {
        assert(spec.field(name) != nil, "\(spec.schemaName) does not declare '\(name)'")
        return fields[name]
    }
    public func keyLocation(_ name: String) -> SourceLocation { keyLocations[name] ?? location }

    public func string(_ name: String) -> Located<String>? { node(name)?.located }

    public func int(_ name: String) -> Int? {
        if case .integer(let i)? = node(name)?.value { return i }
        return nil
    }

    public func double(_ name: String) -> Double? {
        switch node(name)?.value {
        case .number(let d)?: return d
        case .integer(let i)?: return Double(i)
        default: return nil
        }
    }

    public func bool(_ name: String) -> Bool? {
        if case .boolean(let b)? = node(name)?.value { return b }
        return nil
    }

    public func duration(_ name: String) -> Double? {
        if case .duration(let d)? = node(name)?.value { return d }
        return nil
    }

    public func size(_ name: String) -> ImageSize? {
        if case .size(let s)? = node(name)?.value { return s }
        return nil
    }

    public func aspectRatio(_ name: String) -> AspectRatio? {
        if case .aspectRatio(let a)? = node(name)?.value { return a }
        return nil
    }

    public func object(_ name: String) -> ConfigObject? {
        if case .object(let o)? = node(name)?.value { return o }
        return nil
    }

    public func list(_ name: String) -> [ConfigNode]? {
        if case .list(let items)? = node(name)?.value { return items }
        return nil
    }

    public func map(_ name: String) -> [(key: Located<String>, value: ConfigNode)]? {
        if case .map(let pairs)? = node(name)?.value { return pairs }
        return nil
    }

    public func strings(_ name: String) -> [Located<String>]? {
        list(name)?.compactMap(\.located)
    }

    /// Whether the key is present but its value is waiting for an environment variable.
    public func isUnresolved(_ name: String) -> Bool {
        if case .unresolved? = fields[name]?.value { return true }
        return false
    }
}
