import Foundation

/// `imagepipe status` as text or JSON.
public struct LedgerStatusPrinter {
    /// The pipeline file as the user named it, for the hints.
    public var file: String
    /// The ledger's path as shown.
    public var ledger: String
    /// `--failed`: list each failed item.
    public var listFailures: Bool
    /// `--runs`: list every run with its cost.
    public var listRuns: Bool

    public init(file: String, ledger: String, listFailures: Bool, listRuns: Bool = false) {
        self.file = file
        self.ledger = ledger
        self.listFailures = listFailures
        self.listRuns = listRuns
    }

    private static func date(_ seconds: Double) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate, .withFullTime, .withSpaceBetweenDateAndTime]
        return f.string(from: Date(timeIntervalSince1970: seconds))
    }

    public func text(_ status: LedgerStatus) -> String {
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
        for traffic in status.providers {
            out += "  provider \(traffic.summary)\n"
        }
        if let queued = status.queued {
            out += "Workers: \(status.workers.filter { !$0.lost }.count) live, \(queued) items queued\n"
            for w in status.workers {
                let lease = w.oldestLeaseAge.map { ", oldest \(DurationText.format($0))" } ?? ""
                out += "  \(w.host) pid \(w.pid): heartbeat \(DurationText.format(w.heartbeatAge)) ago, \(w.leased) items leased\(lease)"
                    + (w.lost ? " (lost: its items go to other workers)" : "") + "\n"
            }
        }
        var rows = [["stage", "succeeded", "failed", "pending", "cached"]]
        for s in status.stages {
            let failed = s.failed.isEmpty ? "0" : s.failed.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            rows.append([s.name, String(s.succeeded), failed, s.pending.map(String.init) ?? "?", String(s.cached)])
        }
        out += TextTable(rows: rows).text
        for batch in status.batches {
            let age = DurationText.format(max(0, Date().timeIntervalSince1970 - batch.createdAt))
            out += "pending batch \(batch.batchID ?? "(creation not confirmed)") on \(batch.provider): stage \(batch.stage), \(batch.items) items, \(age) old\n"
        }
        let submitted = status.stages.filter { $0.submitted > 0 }
        if !submitted.isEmpty {
            let list = submitted.map { "\($0.name) \($0.submitted)" }.joined(separator: ", ")
            out += "submitted: \(submitted.reduce(0) { $0 + $1.submitted }) items still waiting at their provider (\(list)); imagepipe run \(file) collects them without submitting again.\n"
        }
        if listRuns { out += "\n" + runsTable(status.history) }
        if listFailures {
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

    /// Every run: when, how long, how it ended, what it did and what it cost, and the total.
    private func runsTable(_ history: [LedgerStatus.RunTotals]) -> String {
        guard !history.isEmpty else { return "No runs yet.\n" }
        var rows = [["run", "started", "took", "exit", "succeeded", "failed", "cached", "cost"]]
        for h in history {
            let run = h.run
            let took = run.endedAt.map { DurationText.format($0 - run.startedAt) } ?? "-"
            var exit = run.exitCode.map(String.init) ?? (run.endedAt == nil ? "running or killed" : "-")
            if let stop = run.stopReason { exit += " (\(stop))" }
            rows.append(["#\(run.id)", Self.date(run.startedAt), took, exit, String(h.succeeded), String(h.failed), String(h.cached),
                         String(format: "$%.2f", run.costUSD)])
        }
        let total = history.reduce(0) { $0 + $1.run.costUSD }
        return TextTable(rows: rows, rightAligned: [2, 4, 5, 6, 7], underlineHeader: true).text
            + String(format: "%d run%@, $%.2f in all\n", history.count, history.count == 1 ? "" : "s", total)
    }

    public func json(_ status: LedgerStatus) -> String {
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
        value.append(("providers", .array(status.providers.map { p in
            .object([("provider", .string(p.provider)), ("answered", .int(p.answered)), ("throttled", .int(p.throttled)),
                     ("pace_per_second", p.pace.map(JSONValue.double) ?? .null), ("learned_from", p.learnedFrom.map(JSONValue.string) ?? .null),
                     ("adaptive", .bool(p.adaptive))])
        })))
        if let queued = status.queued {
            value.append(("queued", .int(queued)))
            value.append(("workers", .array(status.workers.map { w in
                .object([("host", .string(w.host)), ("pid", .int(w.pid)), ("heartbeat_age_seconds", .double(w.heartbeatAge)),
                         ("leased", .int(w.leased)), ("oldest_lease_age_seconds", w.oldestLeaseAge.map(JSONValue.double) ?? .null), ("lost", .bool(w.lost))])
            })))
        }
        value.append(("stages", .array(status.stages.map { s in
            .object([("name", .string(s.name)), ("succeeded", .int(s.succeeded)),
                     ("failed", .object(s.failed.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
                     ("pending", s.pending.map(JSONValue.int) ?? .null), ("cached", .int(s.cached)), ("submitted", .int(s.submitted))])
        })))
        if listRuns {
            value.append(("runs", .array(status.history.map { h in
                .object([("id", .int(Int(h.run.id))), ("started_at", .string(Self.date(h.run.startedAt))),
                         ("ended_at", h.run.endedAt.map { .string(Self.date($0)) } ?? .null),
                         ("exit_code", h.run.exitCode.map(JSONValue.int) ?? .null), ("stop_reason", h.run.stopReason.map(JSONValue.string) ?? .null),
                         ("succeeded", .int(h.succeeded)), ("failed", .int(h.failed)), ("cached", .int(h.cached)), ("cost_usd", .double(h.run.costUSD))])
            })))
        }
        if listFailures {
            value.append(("failures", .array(status.failures.map { f in
                .object([("stage", .string(f.stage)), ("item", .string(f.item)), ("failure_class", .string(f.failureClass)),
                         ("message", .string(f.message)), ("attempts", .int(f.attempts))])
            })))
        }
        return JSONValue.object(value).serialized() + "\n"
    }
}
