import ImagePipeCore
/// What a configuration key accepts. The validator, the JSON Schema and the reference docs are all
/// derived from these, so a type is described in exactly one place.
public indirect enum FieldType: Sendable {
    /// Any text; `pattern` is a regular expression the whole text must match.
    case string(pattern: String? = nil, patternHelp: String? = nil)
    /// A template (`{{ field | filter }}`), compiled against the fields the stage receives.
    case template
    /// A file path, relative to the pipeline file.
    case path
    case integer(min: Int? = nil, max: Int? = nil)
    case number(min: Double? = nil, exclusiveMinimum: Bool = false)
    case boolean
    /// `250ms`, `1s`, `2.5m`, `1h`.
    case duration
    /// A duration that may be `0s` (a wait that can be turned off).
    case durationOrZero
    /// `WIDTHxHEIGHT`, e.g. `1024x1024`.
    case size
    /// `"W:H"`, e.g. `"16:9"`.
    case aspectRatio
    /// An absolute http(s) URL; may hold templates after the host.
    case url
    case choice([String])
    /// The name of a declared thing (`providers`, `sources`, `templates`, stages).
    case reference(ReferenceKind)
    case list(FieldType, minCount: Int = 0)
    /// A mapping with keys the user chooses.
    case map(FieldType, keyPattern: String? = nil)
    case object(ObjectSpec)
    /// `true`, `false`, or a mapping of settings (`distinct: true`, `distinct: { threshold: 8 }`).
    case toggleOrObject(ObjectSpec)
    /// Any YAML value; strings inside it are templates (an HTTP step's JSON body).
    case json
    /// A string, number or boolean.
    case scalar
    /// A template, or a list of them (a command's argv).
    case templateList
    /// One name, or a list of two or more (`from: [hero, lifestyle]`).
    case references(ReferenceKind)

    public enum ReferenceKind: String, Sendable {
        case provider, source, template, stageOrSource = "stage or source"
    }

    /// How the type reads in an error message: "'concurrency' must be <description>".
    package var description: String {
        switch self {
        case .string(_, let help): return help ?? "a string"
        case .template: return "a template string"
        case .path: return "a file path"
        case .integer(let min, let max):
            switch (min, max) {
            case let (lo?, hi?): return "a whole number from \(lo) to \(hi)"
            case let (lo?, nil): return "a whole number of at least \(lo)"
            case let (nil, hi?): return "a whole number of at most \(hi)"
            default: return "a whole number"
            }
        case .number(let min, let exclusive):
            guard let min else { return "a number" }
            return exclusive ? "a number greater than \(JSONValue.format(min))" : "a number of at least \(JSONValue.format(min))"
        case .boolean: return "true or false"
        case .duration: return "a duration like 250ms, 1s, 2m or 1h"
        case .durationOrZero: return "a duration like 0s, 250ms, 1s or 2m"
        case .size: return "a size WIDTHxHEIGHT like 1024x1024"
        case .aspectRatio: return "an aspect ratio \"W:H\" like \"16:9\""
        case .url: return "an http(s) URL"
        case .choice(let options): return "one of " + options.map { "'\($0)'" }.joined(separator: ", ")
        case .reference(let kind): return "the name of a \(kind.rawValue)"
        case .list(let element, _): return "a list of \(element.shortDescription)"
        case .map: return "a mapping"
        case .object: return "a mapping"
        case .toggleOrObject: return "true, false, or a mapping"
        case .json: return "a YAML value"
        case .scalar: return "a string, number or boolean"
        case .templateList: return "a list of template strings"
        case .references(let kind): return "the name of a \(kind.rawValue), or a list of names"
        }
    }

    package var shortDescription: String {
        switch self {
        case .object: return "mappings"
        case .string, .template, .path, .reference: return "strings"
        case .integer: return "whole numbers"
        case .choice(let options): return options.map { "'\($0)'" }.joined(separator: ", ")
        default: return "values"
        }
    }
}
