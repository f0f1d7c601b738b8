import ArgumentParser

/// The pipeline file and its ledger: what `plan`, `run` and `status` share.
struct PipelineOptions: ParsableArguments {
    @Argument(help: "The pipeline file.")
    var file: String

    @Option(help: "The ledger file (default: the pipeline's 'state:', else .imagepipe/NAME.sqlite beside the pipeline file).")
    var state: String?
}
