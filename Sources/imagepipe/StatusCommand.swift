import ArgumentParser
import Foundation
import ImagePipe

/// What the ledger says: per stage what is done, failed, pending and was cached, and the last run.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what the run ledger holds: per stage succeeded, failed by class, pending and cached, and the last run.",
        discussion: "Reads the ledger only; calls nothing and writes nothing. Exit 0, or 2 when the pipeline is invalid or has no ledger yet."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Argument(help: "The pipeline file.")
    var file: String

    @Flag(help: "List the failed items with their messages.")
    var failed = false

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @Option(help: "The ledger file (default: the pipeline's 'state:', else .imagepipe/NAME.sqlite beside the pipeline file).")
    var state: String?

    func run() throws {
        let secrets = SecretSet()
        let outcome = PipelineValidator(secrets: secrets).validate(path: file)
        guard let pipeline = outcome.pipeline, outcome.isValid else {
            FileHandle.standardError.write(Data(DiagnosticFormat.text.render(outcome.diagnostics.sorted(), secrets: secrets).utf8))
            throw ExitCode(ExitStatus.invalid)
        }
        let path = state ?? Ledger.defaultPath(for: pipeline)
        let display = RelativePath.join(pipeline.files.displayDirectory, PlanCommand.relative(path, to: pipeline.files.directory))
        let status: LedgerStatus
        do {
            guard let ledger = try Ledger.existing(path: path) else {
                FileHandle.standardError.write(Data("\(file): no ledger at \(display) yet: the pipeline has not run (imagepipe run \(file))\n".utf8))
                throw ExitCode(ExitStatus.invalid)
            }
            status = try ledger.status(stageOrder: pipeline.stages.map(\.name))
        } catch let error as Ledger.Failure {
            FileHandle.standardError.write(Data("\(file): error: \(error.description)\n".utf8))
            throw ExitCode(ExitStatus.invalid)
        }
        let text = format == .json ? json(status, ledger: display) : self.text(status, ledger: display)
        print(secrets.redact(text), terminator: "")
    }

    private static func date(_ seconds: Double) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate, .withFullTime, .withSpaceBetweenDateAndTime]
        return f.string(from: Date(timeIntervalSince1970: seconds))
    }

    private func text(_ status: LedgerStatus, ledger: String) -> String {
        var out = "Ledger \(ledger)\n"
        if let run = status.lastRun {
            out += "Last run #\(run.id): started \(Self.date(run.startedAt))"
            if let end = run.endedAt {
                out += String(format: ", took %.1fs, cost $%.2f", end - run.startedAt, run.costUSD)
                if let code = run.exitCode { out += ", exit \(code)" }
                if let stop = run.stopReason { out += " (\(stop))" }
            } else {
                out += ", still running or killed"
            }
            out += "\n"
        }
        var rows = [["stage", "succeeded", "failed", "pending", "cached"]]
        for s in status.stages {
            let failed = s.failed.isEmpty ? "0" : s.failed.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            rows.append([s.name, String(s.succeeded), failed, s.pending.map(String.init) ?? "?", String(s.cached)])
        }
        out += TextTable(rows: rows).text
        if failed {
            if status.failures.isEmpty { out += "\nNo failed items.\n" }
            for f in status.failures {
                out += "\nfailed: \(f.stage) \(f.item): \(f.failureClass): \(f.message)" + (f.attempts > 1 ? " (after \(f.attempts) attempts)" : "")
            }
            if !status.failures.isEmpty { out += "\n" }
        } else if !status.failures.isEmpty {
            out += "\n\(status.failures.count) failed items: imagepipe status --failed \(file) lists them; imagepipe run --retry-failed \(file) retries them.\n"
        }
        return out
    }

    private func json(_ status: LedgerStatus, ledger: String) -> String {
        var value: [(String, JSONValue)] = [("ledger", .string(ledger))]
        if let run = status.lastRun {
            value.append(("last_run", .object([
                ("id", .int(Int(run.id))), ("started_at", .string(Self.date(run.startedAt))),
                ("ended_at", run.endedAt.map { .string(Self.date($0)) } ?? .null),
                ("exit_code", run.exitCode.map(JSONValue.int) ?? .null), ("stop_reason", run.stopReason.map(JSONValue.string) ?? .null),
                ("cost_usd", .double(run.costUSD)),
            ])))
        } else {
            value.append(("last_run", .null))
        }
        value.append(("stages", .array(status.stages.map { s in
            .object([("name", .string(s.name)), ("succeeded", .int(s.succeeded)),
                     ("failed", .object(s.failed.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
                     ("pending", s.pending.map(JSONValue.int) ?? .null), ("cached", .int(s.cached))])
        })))
        if failed {
            value.append(("failures", .array(status.failures.map { f in
                .object([("stage", .string(f.stage)), ("item", .string(f.item)), ("failure_class", .string(f.failureClass)),
                         ("message", .string(f.message)), ("attempts", .int(f.attempts))])
            })))
        }
        return JSONValue.object(value).serialized() + "\n"
    }
}
