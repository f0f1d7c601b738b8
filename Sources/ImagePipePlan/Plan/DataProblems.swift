import ImagePipeCore
import ImagePipeLanguage

/// Problems the data gives items one by one (a missing field, colliding output paths, duplicate
/// keys), said once per cause: one template mistake over 45 rows is one error at the pipeline
/// line that holds the template, with the count and two examples, not 45 errors at CSV rows. A
/// cause met by one item only is said at that item's line, where it is most precise.
package final class DataProblems {
    private struct Group {
        var cause: String
        var at: SourceLocation
        var hint: String?
        var count = 0
        var first: (message: String, location: SourceLocation)
        var examples: [String] = []
    }

    private var groups: [String: Group] = [:]
    private var order: [String] = []
    private static let examplesShown = 2

    /// `cause` nil: a problem of its own, said as it is.
    package func add(cause: String?, at setting: SourceLocation, example: String, message: String, location: SourceLocation, hint: String?,
                     _ diagnostics: Diagnostics) {
        guard let cause else { return diagnostics.error(message, at: location, hint: hint) }
        if groups[cause] == nil {
            groups[cause] = Group(cause: cause, at: setting, hint: hint, first: (message, location))
            order.append(cause)
        }
        groups[cause]!.count += 1
        if groups[cause]!.examples.count < Self.examplesShown { groups[cause]!.examples.append(example) }
    }

    package func report(to diagnostics: Diagnostics) {
        for cause in order {
            guard let group = groups[cause] else { continue }
            if group.count == 1 {
                diagnostics.error(group.first.message, at: group.first.location, hint: group.hint)
            } else {
                let more = group.count > group.examples.count ? "; …" : ""
                diagnostics.error("\(group.cause): \(group.count) items, e.g. " + group.examples.joined(separator: "; ") + more,
                                  at: group.at, hint: group.hint)
            }
        }
        groups.removeAll()
        order.removeAll()
    }
}
