import Foundation

/// A compiled `transform` stage: its outputs, each a recipe and a path. Local and free; each
/// unit is fingerprinted by its input's SHA-256 and its recipe, so a re-run transforms nothing twice.
final class TransformBody: StageBody {
    struct Output {
        /// Nil for a stage with one `output:`.
        var name: String?
        var recipe: TransformRecipe
        var path: Template?
    }

    let spec: TransformSpec
    let outputs: [Output]
    let provenance: ProvenanceSetting

    init(spec: TransformSpec, outputs: [Output], provenance: ProvenanceSetting) {
        self.spec = spec
        self.outputs = outputs
        self.provenance = provenance
    }

    static let outputFields = ["path", "sha256", "width", "height", "bytes", "format"]

    var outputNames: [String] { outputs.compactMap(\.name) }
    /// CPU work: one image per core unless the stage says otherwise (`defaults.concurrency` is
    /// sized for providers' latency, and 64 images decoded at once would only cost memory).
    var defaultConcurrency: Int? { ProcessInfo.processInfo.activeProcessorCount }
    var output: Template? { outputs.count == 1 ? outputs[0].path : nil }
    var bytesPerUnit: Int {
        let sizes = outputs.map { $0.recipe.knownSize.map { $0.width * $0.height } ?? 1024 * 1024 }
        return (sizes.max() ?? 0) / 8
    }

    func constants(stage: String) -> [String: String] {
        var out: [String: String] = [:]
        for field in Self.outputFields { out[field] = "<\(stage).\(field)>" }
        if outputs.count == 1 {
            let recipe = outputs[0].recipe
            if let size = recipe.knownSize {
                out["width"] = String(size.width)
                out["height"] = String(size.height)
            }
            if let format = recipe.format { out["format"] = format.rawValue }
        }
        return out
    }

    func connect(_ setup: ConnectionSetup) throws(ConnectionProblem) -> (any StageConnection)? {
        TransformConnection(checks: ImageCheckRunner(spec.keeping.checks),
                            keepsProvenance: provenance.enabled)
    }

    func prepare(_ unit: ItemContext, _ environment: UnitEnvironment) throws(UnitProblem) -> any PreparedUnit {
        let stage = environment.stage
        let output = outputs.first { $0.name == unit.outputName } ?? outputs[0]
        let relative = try OutputPath.resolve(try unit.render(output.path, stage: stage, what: "output path") ?? "", stage: stage, key: unit.key)
        let upstream = unit.outputs.last
        return PreparedTransform(body: self, recipe: output.recipe, itemID: unit.itemID, outputName: unit.outputName, relativePath: relative,
                                 input: upstream?.itemValue(StageOutput.fileField), inputSHA256: upstream?.itemValue("sha256"),
                                 environment: environment)
    }
}

/// What a transform stage uses at run time: its checks, and whether provenance is carried over.
struct TransformConnection: StageConnection {
    let checks: ImageCheckRunner?
    let keepsProvenance: Bool
}
