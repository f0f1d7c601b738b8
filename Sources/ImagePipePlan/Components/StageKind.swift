import ImagePipeCore
import ImagePipeLanguage
/// A kind of stage as a component: what the language knows of it (`StageKindDeclaration`: its
/// name, settings, item types and outputs) and how it compiles into a `StageBody` that plans and
/// runs its units. A `ComponentRegistry` lists the kinds; nothing outside a kind's own folder
/// switches over kinds.
package protocol StageKind: StageKindDeclaration {
    /// Compiles the kind's templates against `scope`, reporting problems through `compilation`.
    func compile(_ stage: StageSpec, scope: TemplateScope, inputType: ItemType, _ compilation: StageCompilation) -> any StageBody
}
