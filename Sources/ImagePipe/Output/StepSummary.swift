import Foundation

/// When `GITHUB_STEP_SUMMARY` names a file (GitHub Actions sets it), `run` appends a Markdown
/// summary to it: how the run ended, a table per stage, the first failures, the cost and where
/// the manifest is. Secrets masked.
public final class StepSummary: @unchecked Sendable {
    public static let variable = "GITHUB_STEP_SUMMARY"
    static let failuresShown = 20

    public let path: String
    /// The GitHub Actions run's page, where the report artifact is (from GITHUB_SERVER_URL,
    /// GITHUB_REPOSITORY and GITHUB_RUN_ID); nil elsewhere.
    public let runPage: String?
    private let secrets: SecretSet
    private let lock = NSLock()
    private var failures: [ItemOutcome] = []
    private var failureCount = 0

    public init(path: String, secrets: SecretSet, environment: [String: String] = [:]) {
        self.path = path
        self.secrets = secrets
        if let server = environment["GITHUB_SERVER_URL"], let repository = environment["GITHUB_REPOSITORY"], let run = environment["GITHUB_RUN_ID"],
           !server.isEmpty, !repository.isEmpty, !run.isEmpty {
            runPage = "\(server)/\(repository)/actions/runs/\(run)"
        } else {
            runPage = nil
        }
    }

    func markdown(info: RunInfo, result: RunEngine.Result, outcome: RunOutcome) -> String {
        let (shown, count) = lock.withLock { (failures, failureCount) }
        func cell(_ text: String) -> String {
            secrets.redact(text).replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
        var out = "### imagepipe run: \(cell(info.pipeline)) (\(outcome.status.replacingOccurrences(of: "_", with: " ")))\n\n"
        out += "| stage | succeeded | cached | failed | skipped | not started | cost |\n|---|---:|---:|---:|---:|---:|---:|\n"
        for s in result.stages {
            let failed = s.failed.isEmpty ? "0" : s.failed.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")
            out += "| \(cell(s.name)) | \(s.succeeded) | \(s.cached) | \(failed) | \(s.skipped + s.cancelled) | \(max(0, s.expected - s.finished)) | "
                + String(format: "$%.2f", s.costUSD) + " |\n"
        }
        out += "\n" + String(format: "Spent $%.2f in %@. Manifest: `%@`.", result.spentUSD, DurationText.format(result.duration), info.manifest) + "\n"
        for traffic in result.providers where traffic.throttled > 0 {
            out += "\nProvider \(cell(traffic.summary)).\n"
        }
        // The report is built and uploaded by later steps (docs/github-actions.md): point at it.
        let report = (info.manifest as NSString).deletingLastPathComponent + "/report/index.html"
        out += "\nImages: `imagepipe report` writes `\(cell(report))`"
        out += runPage.map { "; this run's [artifacts](\($0)#artifacts) hold it when the workflow uploads it.\n" } ?? ".\n"
        if !shown.isEmpty {
            out += "\n**Failures** (\(count)\(count > shown.count ? ", the first \(shown.count) shown" : "")):\n\n"
            for f in shown {
                out += "- `\(cell(f.stage))` `\(cell(f.key))`: \(cell(f.failureClass?.rawValue ?? "error")): \(cell(f.message ?? ""))\n"
            }
        }
        return out + "\n"
    }
}

extension StepSummary: RunEventConsumer {
    public func handle(_ event: RunEvent) async {
        switch event {
        case .finished(let outcome, _) where outcome.status == .failed:
            lock.withLock {
                failureCount += 1
                if failures.count < Self.failuresShown { failures.append(outcome) }
            }
        case .ended(let info, let result, let outcome):
            let text = markdown(info: info, result: result, outcome: outcome)
            // Appended: one job may run several pipelines, each adding its own section.
            guard let handle = FileHandle(forWritingAtPath: path) ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil) else {
                StandardStream.error.write("warning: cannot write the step summary \(path)\n")
                return
            }
            defer { try? handle.close() }
            do {
                try handle.seekToEnd()
                try handle.write(contentsOf: Data(text.utf8))
            } catch {
                StandardStream.error.write("warning: cannot write the step summary \(path): \(error.localizedDescription)\n")
            }
        default: break
        }
    }
}
