/// A kind of stage (`generate`, `s3_upload`, …), declared once: its name, its settings (from which
/// validation, the JSON Schema and the reference docs come), the item types it takes and yields,
/// its outputs, and how it compiles. A `ComponentRegistry` lists the kinds; nothing outside a
/// kind's own folder switches over kinds.
protocol StageKind: Sendable {
    /// The key under a stage that selects this kind: `generate`.
    var name: String { get }
    /// One line for the Stage declaration's docs: "Records → images: …".
    var summary: String { get }
    var declaration: ObjectSpec { get }
    var accepts: [ItemType] { get }
    var yields: ItemType { get }
    /// The fields downstream templates see as `{{ stage.field }}`.
    var outputFields: [String] { get }
    /// Output fields holding a JSON document that templates may index into (`cms.json.id`).
    var openOutputFields: Set<String> { get }
    /// What to tell a user who fed this kind an item type it does not take.
    func hint(whenFedWith type: ItemType) -> String
    /// Reads the kind's typed settings from the mapping under its key.
    func read(_ body: ConfigObject) -> any StageConfig
    /// Compiles the kind's templates against `scope`, reporting problems through `compilation`.
    func compile(_ stage: StageSpec, scope: TemplateScope, inputType: ItemType, _ compilation: StageCompilation) -> any StageBody
}

extension StageKind {
    var openOutputFields: Set<String> { [] }
    func hint(whenFedWith type: ItemType) -> String { "check 'from:'" }
}

/// A stage's settings as its kind reads them.
protocol StageConfig: Sendable {
    /// Fields this stage adds to every item it yields (matrix axes), for templates downstream.
    var addedFields: [String] { get }
    /// Named prompt templates the stage uses, so that unused ones can be reported.
    var templateNames: [String] { get }
}

extension StageConfig {
    var addedFields: [String] { [] }
    var templateNames: [String] { [] }
}
