import ImagePipeCore
/// What the language knows of a kind of stage (`generate`, `s3_upload`, …): its name, its
/// settings (from which validation, the JSON Schema and the reference docs come), the item types
/// it takes and yields, and the outputs templates downstream may name. The kind's compiling and
/// running halves live with it in the library's `Stages/` folder.
public protocol StageKindDeclaration: Sendable {
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
}

extension StageKindDeclaration {
    public var openOutputFields: Set<String> { [] }
    public func hint(whenFedWith type: ItemType) -> String { "check 'from:'" }
}

/// A stage's settings as its kind reads them.
public protocol StageConfig: Sendable {
    /// Fields this stage adds to every item it yields (matrix axes), for templates downstream.
    var addedFields: [String] { get }
    /// Named prompt templates the stage uses, so that unused ones can be reported.
    var templateNames: [String] { get }
    /// The names of the outputs each item is made once for (a transform's `outputs:`); a join
    /// below sees each as `{{ stage.NAME.field }}`.
    var namedOutputs: [String] { get }
}

extension StageConfig {
    public var addedFields: [String] { [] }
    public var templateNames: [String] { [] }
    public var namedOutputs: [String] { [] }
}
