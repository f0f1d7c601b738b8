import ImagePipeCore
/// One step of the DAG. It holds exactly one kind; `from:` names its input.
public struct StageSpec: Sendable {
    public var name: String
    public var location: SourceLocation
    /// The kind, found in the registry by the key the stage holds.
    public var kind: any StageKindDeclaration
    /// The kind's typed settings.
    public var config: any StageConfig
    public var kindName: String { kind.name }
    /// The (first) input: the source or stage the stage hangs below.
    public var from: Located<String>
    /// Every input; more than one joins them (`from: [hero, lifestyle]`).
    public var inputs: [Located<String>]
    public var concurrency: Int?
    public var retry: ConfigObject?
    public var timeout: Double?
    /// `when:`, the condition an item must meet to enter the stage.
    public var when: Located<String>?
    /// The mapping under the kind key, for locations of its keys.
    public var body: ConfigObject

    /// `from:` was written as a list (even of one stage): the stage is a join, taking each item
    /// once with every unit of the stages listed.
    public var fromIsList = false

    /// Whether the stage joins: several inputs, or a list in `from:` naming a stage (a list of
    /// one source is that source). `fromIsStage`: whether `from` names a stage.
    public func isJoin(fromIsStage: Bool) -> Bool { inputs.count > 1 || (fromIsList && fromIsStage) }

    /// Keys every stage kind accepts.
    public static let commonFields = [
        FieldSpec("from", .references(.stageOrSource), required: true, doc: "The source or stage whose items this stage receives; or a list of stages of one source (`from: [hero, lifestyle]`), which joins them: the stage takes each item once all of them are done with it, and sees each one's outputs (a list for a stage with variants or a matrix: `{{ lifestyle.path }}`; one output of a transform's `outputs:` by name: `{{ web.og.path }}`). A list of one stage (`from: [web]`) gathers that stage's units per item the same way."),
        FieldSpec("concurrency", .integer(min: 1, max: 10_000), doc: "The most items of this stage in flight at once (default: `defaults.concurrency`)."),
        FieldSpec("retry", .object(RetryPolicy.declaration), doc: "Overrides `defaults.retry` key by key."),
        FieldSpec("timeout", .duration, doc: "The longest one attempt may take (default: `defaults.timeout`)."),
        FieldSpec("when", .string(), doc: "A condition on each item's fields (and upstream stages' outputs): the stage takes only the items it holds for, e.g. `category == \"shoes\"`, `price >= 20 and stock > 0`, `color in [\"red\", \"blue\"]`, `name contains \"mug\"`. Comparisons: `==`, `!=`, `<`, `<=`, `>`, `>=` (numbers when both sides are), `in`, `not in`, `contains`, `starts_with`, `ends_with`; joined with `and`, `or`, `not` and parentheses. Items it does not hold for are not this stage's (nor its children's): they are not counted, run or failed."),
    ]

    package init?(name: String, object: ConfigObject, registry: LanguageRegistry) {
        guard let (kind, body) = registry.stageKinds.lazy.compactMap({ kind in object.object(kind.name).map { (kind, $0) } }).first,
              let inputs = Self.inputs(body), let from = inputs.first else { return nil }
        self.name = name
        self.location = object.location
        self.kind = kind
        config = kind.read(body)
        self.from = from
        self.inputs = inputs
        fromIsList = body.list("from") != nil
        self.body = body
        concurrency = body.int("concurrency")
        retry = body.object("retry")
        timeout = body.duration("timeout")
        when = body.string("when")
    }

    private static func inputs(_ body: ConfigObject) -> [Located<String>]? {
        if let one = body.string("from") { return [one] }
        guard let list = body.list("from") else { return nil }
        let names = list.compactMap(\.located)
        return names.isEmpty ? nil : names
    }
}
