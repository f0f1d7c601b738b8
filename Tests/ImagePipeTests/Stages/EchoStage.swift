@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

/// A stage kind that exists only in the tests, in one file: records (or anything) → responses,
/// its `text` template upper-cased. Registering it and running a pipeline through it is the
/// proof that adding a kind touches nothing outside its own folder.
struct EchoStage: StageKind {
    let name = "echo"
    let summary = "Anything → a response: the rendered text, upper-cased."
    let declaration = ObjectSpec("EchoStage", doc: "Test-only.", fields: StageSpec.commonFields + [
        FieldSpec("text", .template, required: true, doc: "What to echo."),
    ])
    let accepts: [ItemType] = [.records, .images, .urls, .responses]
    let yields = ItemType.responses
    let outputFields = ["text"]

    struct Config: StageConfig {
        var text: Located<String>?
    }

    func read(_ body: ConfigObject) -> any StageConfig { Config(text: body.string("text")) }

    func compile(_ stage: StageSpec, scope: TemplateScope, inputType: ItemType, _ c: StageCompilation) -> any StageBody {
        Body(text: (stage.config as? Config)?.text.flatMap { c.template($0, scope: scope, stage: stage.name) })
    }

    struct Body: StageBody {
        let text: Template?

        func constants(stage: String) -> [String: String] { ["text": "<\(stage).text>"] }

        func connect(_ setup: ConnectionSetup) throws(ConnectionProblem) -> (any StageConnection)? { nil }

        func prepare(_ unit: ItemContext, _ environment: UnitEnvironment) throws(UnitProblem) -> any PreparedUnit {
            let rendered = try unit.render(text, stage: environment.stage, what: "text") ?? ""
            return Prepared(text: rendered)
        }
    }

    struct Prepared: PreparedUnit {
        let text: String
        var fingerprint: String? { Fingerprint.hash(["echo", text]) }
        var sample: [(label: String, value: String)] { [("text", text)] }
        var writes: String? { nil }
        var planned: [(name: String, value: String)] { [] }
        var price: Double { 0 }

        func describe(_ outcome: inout ItemOutcome) { outcome.prompt = text }

        func reuse(_ entry: RecordedSuccess, _ probe: CacheProbe, into outcome: inout ItemOutcome) -> UnitOutputs? {
            entry.response.map { UnitOutputs([("text", $0)]) }
        }

        func call() async throws(CallFailure) -> String {
            if text.contains("fail") { throw CallFailure(.server_error, "echo refused '\(text)'") }
            return text.uppercased()
        }

        func commit(_ product: String, into outcome: inout ItemOutcome) throws(CallFailure) -> UnitOutputs {
            outcome.response = product
            return UnitOutputs([("text", product)])
        }
    }
}
