import ImagePipeCore
/// Every object declaration reachable from the pipeline's, in first-seen order: the list that
/// the JSON Schema's `$defs` and the reference docs are made from.
package enum DeclarationWalker {
    package static func all(from root: ObjectSpec) -> [ObjectSpec] {
        var seen: [ObjectSpec] = []
        func visit(_ spec: ObjectSpec) {
            guard !seen.contains(where: { $0 === spec }) else { return }
            seen.append(spec)
            let fields = spec.fields + (spec.discriminator?.variants.flatMap(\.fields) ?? [])
            fields.forEach { visitType($0.type) }
        }
        func visitType(_ type: FieldType) {
            switch type {
            case .object(let spec), .toggleOrObject(let spec): visit(spec)
            case .list(let element, _), .map(let element, _): visitType(element)
            default: break
            }
        }
        visit(root)
        return seen
    }
}
