/// `--force` alone means every stage, `--force STAGE` one stage; ArgumentParser has no option
/// with an optional value, so `run`'s arguments are rewritten before parsing. The rule uses the
/// arguments' shape alone (never whether a file exists or how it is named): `run` takes exactly
/// one pipeline file, so a word after `--force` is a stage when another positional argument
/// remains to be the file, and is the file otherwise. `--force=STAGE` is always a stage and
/// `--force-all` always every stage.
enum ForceArguments {
    /// `run`'s options that take a value (their value is not a positional argument).
    static let optionsWithValues: Set<String> = ["--progress", "--progress-interval", "--grace", "--manifest", "--state", "--only", "--limit", "--force",
                                                 "--key", "--where", "--shard", "--lease", "--listen", "--public-url", "--junit"]

    static func rewrite(_ arguments: [String]) -> [String] {
        guard arguments.first == "run" else { return arguments }
        // First pass: which words are positional, and which of them follow a bare `--force`.
        var positional: [Int] = []
        var afterForce = Set<Int>()
        var i = 1
        var optionsEnded = false
        while i < arguments.count {
            let argument = arguments[i]
            if optionsEnded || !argument.hasPrefix("-") || argument == "-" {
                positional.append(i)
            } else if argument == "--" {
                optionsEnded = true
            } else if argument == "--force" {
                if i + 1 < arguments.count, !arguments[i + 1].hasPrefix("-") {
                    afterForce.insert(i + 1)
                    positional.append(i + 1)
                    i += 1
                }
            } else if optionsWithValues.contains(argument) {
                i += 1
            }
            i += 1
        }
        // The file is the one positional word not taken by `--force`; failing that, the last one that is.
        let others = positional.filter { !afterForce.contains($0) }
        let file: Int? = others.isEmpty ? afterForce.max() : nil
        var out: [String] = [arguments[0]]
        i = 1
        while i < arguments.count {
            let argument = arguments[i]
            if argument == "--force" {
                if i + 1 < arguments.count, afterForce.contains(i + 1), i + 1 != file {
                    out += ["--force", arguments[i + 1]]
                    i += 2
                    continue
                }
                out.append("--force-all")
            } else if argument == "--" {
                out += arguments[i...]
                break
            } else {
                out.append(argument)
            }
            i += 1
        }
        return out
    }
}
