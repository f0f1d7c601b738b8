import ImagePipeCore
import ImagePipeLanguage
/// The stage kinds and provider kinds a pipeline may use. The language's declaration is made
/// from them (`language`), and the compiler, the planner and the engine find each stage's and
/// provider's component through them. Adding a kind is one folder under `Stages/` or
/// `Providers/` and one line here; a test registers kinds of its own by making a registry.
package final class ComponentRegistry: Sendable {
    package let stageKinds: [any StageKind]
    package let providerKinds: [any ProviderKind]
    package let language: LanguageRegistry

    package init(stageKinds: [any StageKind], providerKinds: [any ProviderKind]) {
        self.stageKinds = stageKinds
        self.providerKinds = providerKinds
        language = LanguageRegistry(stageKinds: stageKinds, providerKinds: providerKinds)
    }

    package var pipelineDeclaration: ObjectSpec { language.pipelineDeclaration }
}

extension StageSpec {
    /// The stage's kind as a component that compiles. The specs the library reads come from its
    /// registry, whose kinds are all `StageKind`s.
    package var component: any StageKind { kind as! any StageKind }
}

extension ProviderSpec {
    /// The provider's kind as a component that prices and makes providers.
    package var component: any ProviderKind { kind as! any ProviderKind }
}
