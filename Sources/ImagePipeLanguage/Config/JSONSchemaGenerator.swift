import ImagePipeCore
/// The JSON Schema (draft 2020-12) of the pipeline language, made from the declarations, so that
/// editors complete and check exactly what `validate` accepts.
public enum JSONSchemaGenerator {
    public static let id = "https://github.com/imagepipe/imagepipe/schemas/pipeline.schema.json"

    public static func schema(registry: LanguageRegistry) -> JSONValue {
        let root = registry.pipelineDeclaration
        var top: [(String, JSONValue)] = [
            ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
            ("$id", .string(id)),
            ("title", .string("imagepipe pipeline")),
        ]
        if case .object(let body) = object(root) { top += body }
        var defs: [(String, JSONValue)] = DeclarationWalker.all(from: root).filter { $0 !== root }.map { ($0.schemaName, object($0)) }
        defs.append(("Interpolated", .object([
            ("description", .string("A value taken from the environment: ${VAR} or ${VAR:-default}.")),
            ("type", .string("string")),
            ("pattern", .string("\\$\\{[A-Za-z_][A-Za-z0-9_]*")),
        ])))
        top.append(("$defs", .object(defs)))
        return .object(top)
    }

    package static func object(_ spec: ObjectSpec) -> JSONValue {
        var properties: [(String, JSONValue)] = []
        var names = Set<String>()
        for field in spec.fields + (spec.discriminator?.variants.flatMap(\.fields) ?? []) where names.insert(field.name).inserted {
            properties.append((field.name, property(field)))
        }
        let grouped = Set((spec.exactlyOne + spec.atMostOne).flatMap { $0 })
        let required = spec.fields.filter { $0.required && !grouped.contains($0.name) }.map { JSONValue.string($0.name) }
        var out: [(String, JSONValue)] = [
            ("type", .string("object")),
            ("description", .string(spec.doc)),
            ("properties", .object(properties)),
        ]
        if !required.isEmpty { out.append(("required", .array(required))) }
        if spec.allowsExtensionKeys { out.append(("patternProperties", .object([("^x-", .object([]))]))) }
        out.append(("additionalProperties", .bool(false)))
        var allOf: [JSONValue] = []
        for group in spec.exactlyOne {
            allOf.append(.object([("oneOf", .array(group.map { .object([("required", .array([.string($0)]))]) }))]))
        }
        for group in spec.atMostOne {
            allOf.append(.object([("not", .object([("required", .array(group.map { .string($0) }))]))]))
        }
        if let discriminator = spec.discriminator {
            let variantFields = Set(discriminator.variants.flatMap { $0.fields.map(\.name) })
            for variant in discriminator.variants {
                let own = Set(variant.fields.map(\.name))
                var then: [(String, JSONValue)] = []
                let forbidden = variantFields.subtracting(own).sorted()
                if !forbidden.isEmpty { then.append(("properties", .object(forbidden.map { ($0, .bool(false)) }))) }
                let requiredHere = variant.fields.filter(\.required).map { JSONValue.string($0.name) }
                if !requiredHere.isEmpty { then.append(("required", .array(requiredHere))) }
                guard !then.isEmpty else { continue }
                allOf.append(.object([
                    ("if", .object([("properties", .object([(discriminator.field, .object([("const", .string(variant.value))]))])), ("required", .array([.string(discriminator.field)]))])),
                    ("then", .object(then)),
                ]))
            }
        }
        if !allOf.isEmpty { out.append(("allOf", .array(allOf))) }
        return .object(out)
    }

    package static func property(_ field: FieldSpec) -> JSONValue {
        guard case .object(var pairs) = type(field.type) else { return type(field.type) }
        pairs.insert(("description", .string(field.doc)), at: 0)
        if let value = field.defaultValue { pairs.append(("default", value)) }
        return .object(pairs)
    }

    package static let interpolated = JSONValue.object([("$ref", .string("#/$defs/Interpolated"))])

    package static func orInterpolated(_ schema: [(String, JSONValue)]) -> JSONValue {
        .object([("anyOf", .array([.object(schema), interpolated]))])
    }

    package static func type(_ type: FieldType) -> JSONValue {
        switch type {
        case .string(let pattern, _):
            var s: [(String, JSONValue)] = [("type", .string("string"))]
            if let pattern { s.append(("pattern", .string("^(?:\(pattern))$"))) }
            return .object(s)
        case .template, .path, .reference:
            return .object([("type", .string("string"))])
        case .integer(let min, let max):
            var s: [(String, JSONValue)] = [("type", .string("integer"))]
            if let min { s.append(("minimum", .int(min))) }
            if let max { s.append(("maximum", .int(max))) }
            return orInterpolated(s)
        case .number(let min, let exclusive):
            var s: [(String, JSONValue)] = [("type", .string("number"))]
            if let min { s.append((exclusive ? "exclusiveMinimum" : "minimum", .double(min))) }
            return orInterpolated(s)
        case .boolean:
            return orInterpolated([("type", .string("boolean"))])
        case .duration, .durationOrZero:
            return .object([("type", .string("string")), ("pattern", .string("^(?:(?:[0-9]+(?:\\.[0-9]+)?(?:ms|s|m|h))+|\\$\\{.*)$"))])
        case .size:
            return .object([("type", .string("string")), ("pattern", .string("^(?:[0-9]+x[0-9]+|\\$\\{.*)$"))])
        case .aspectRatio:
            return .object([("type", .string("string")), ("pattern", .string("^(?:[0-9]+:[0-9]+|\\$\\{.*)$"))])
        case .url:
            return .object([("type", .string("string")), ("pattern", .string("^(?:https?://|\\$\\{)"))])
        case .choice(let options):
            if options.allSatisfy({ Int($0) != nil }) { return .object([("enum", .array(options.map { .int(Int($0)!) }))]) }
            return .object([("enum", .array(options.map { .string($0) }))])
        case .list(let element, let minCount):
            var s: [(String, JSONValue)] = [("type", .string("array")), ("items", self.type(element))]
            if minCount > 0 { s.append(("minItems", .int(minCount))) }
            return .object(s)
        case .references:
            return .object([("oneOf", .array([.object([("type", .string("string"))]),
                                              .object([("type", .string("array")), ("items", .object([("type", .string("string"))])), ("minItems", .int(1))])]))])
        case .templateList:
            return .object([("type", .string("array")), ("items", .object([("type", .string("string"))])), ("minItems", .int(1))])
        case .map(let element, let keyPattern):
            var s: [(String, JSONValue)] = [("type", .string("object"))]
            if let keyPattern { s.append(("propertyNames", .object([("pattern", .string("^(?:\(keyPattern))$"))]))) }
            s.append(("additionalProperties", self.type(element)))
            return .object(s)
        case .object(let spec):
            return .object([("$ref", .string("#/$defs/\(spec.schemaName)"))])
        case .toggleOrObject(let spec):
            return .object([("oneOf", .array([.object([("type", .string("boolean"))]), .object([("$ref", .string("#/$defs/\(spec.schemaName)"))])]))])
        case .json:
            return .object([])
        case .scalar:
            return .object([("type", .array([.string("string"), .string("number"), .string("boolean")]))])
        }
    }
}
