import Foundation

/// The table printed when a run ends: per stage what succeeded, failed (by class), was skipped
/// or never started, what it cost and how long it took.
public enum RunSummaryPrinter {
    public static func text(_ result: RunEngine.Result, displayManifest: String, budget: Double?) -> String {
        // A run of part of the items (`--limit`, `--key`, `--retry-failed`) says what it left aside.
        let partial = result.stages.contains { $0.doneEarlier + $0.notSelected > 0 }
        var header = ["stage", "succeeded", "cached", "failed", "skipped", "not started"]
        if partial { header += ["done earlier", "not selected"] }
        var rows: [[String]] = [header + ["cost", "time"]]
        for s in result.stages {
            let failed = s.failed.isEmpty ? "0" : s.failed.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")
            var time = "-"
            if let first = s.firstStart, let last = s.lastEnd { time = DurationText.format((last - first).inSeconds) }
            var row = [s.name, String(s.succeeded), String(s.cached), failed, String(s.skipped + s.cancelled), String(max(0, s.expected - s.finished))]
            if partial { row += [String(s.doneEarlier), String(s.notSelected)] }
            rows.append(row + [String(format: "$%.2f", s.costUSD), time])
        }
        // Numbers to the right; the stage name and the failures by class to the left.
        var out = TextTable(rows: rows, rightAligned: Set(1..<header.count + 2).subtracting([3]), underlineHeader: true).text
        var spent = String(format: "spent $%.2f", result.spentUSD)
        if let budget { spent += String(format: " of $%.2f budget", budget) }
        out += "\n\(spent) in \(DurationText.format(result.duration)); manifest: \(displayManifest)\n"
        // Throttling is worth a line; a provider that never pushed back is not.
        for traffic in result.providers where traffic.throttled > 0 || (traffic.pace != nil && traffic.learnedFrom != "rate_limit") {
            out += "provider \(traffic.summary)\n"
        }
        for queue in result.queues { out += "provider \(queue.summary)\n" }
        for batch in result.batches where batch.batches > 0 {
            out += "stage \(batch.stage): \(batch.batches) batch\(batch.batches == 1 ? "" : "es") sent (\(batch.lines) requests)\n"
        }
        let pending = result.stages.reduce(0) { $0 + $1.submitted }
        if pending > 0 {
            out += "pending: \(pending) items wait in remote batches; run again to collect them (imagepipe status lists the batches)\n"
        }
        switch result.stopReason {
        case .budget?:
            out += "stopped: the budget was reached, so \(result.notStarted) items were not started. Raise budget.max_usd and run again.\n"
        case .interrupted?:
            out += "interrupted: \(result.notStarted) items were not started.\n"
        case .localFault?:
            out += faultMessage(result) + "\n"
        case nil:
            break
        }
        return out
    }

    /// "stopped: the disk holding out/ is full after 213 images; nothing new was started; …"
    public static func faultMessage(_ result: RunEngine.Result) -> String {
        guard let fault = result.fault else { return "stopped: a local fault" }
        var text = "stopped: \(fault) after \(result.imagesWritten) image\(result.imagesWritten == 1 ? "" : "s"); nothing new was started; "
            + "\(fault.remedy): finished work is kept."
        if result.paidNotWritten > 0 {
            text += " \(result.paidNotWritten) image\(result.paidNotWritten == 1 ? " was" : "s were") paid for but could not be written "
                + "(paid_not_written in the manifest); the next run makes \(result.paidNotWritten == 1 ? "it" : "them") again."
        }
        return text
    }
}
