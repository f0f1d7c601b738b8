import ArgumentParser
import Foundation

/// The pipeline file and its ledger: what `plan`, `run` and `status` share.
struct PipelineOptions: ParsableArguments {
    @Argument(help: "The pipeline file.")
    var file: String

    @Option(name: .customLong("state"), help: "The ledger: a file, or postgres://USER@HOST:PORT/DB shared by many workers (default: IMAGEPIPE_STATE, else the pipeline's 'state:', else .imagepipe/NAME.sqlite beside the pipeline file).")
    var stateOption: String?

    /// `--state`, else `IMAGEPIPE_STATE` (a Kubernetes Job or CI sets it for every worker).
    var state: String? {
        if let stateOption { return stateOption }
        let environment = ProcessInfo.processInfo.environment["IMAGEPIPE_STATE"]
        return environment?.isEmpty == false ? environment : nil
    }
}
