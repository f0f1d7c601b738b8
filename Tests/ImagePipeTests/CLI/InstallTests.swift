import Foundation
import Testing

/// What scripts/install puts beside the binary: shell completion generated from the commands
/// (the man page comes from the same declarations through ArgumentParser's plugin, which needs a
/// release build, so it is left to the script).
@Suite struct InstallTests {
    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptsKnowEveryCommand(shell: String) async throws {
        let dir = Fixtures.temporaryDirectory()
        let result = try await CLIProcess.run(["--generate-completion-script", shell], in: dir)
        #expect(result.status == 0)
        for command in ["validate", "plan", "run", "status", "report", "prune", "emulate"] {
            #expect(result.stdout.contains(command), "\(shell) completion lacks \(command)")
        }
        #expect(result.stdout.contains("compare"), "report's options are completed")
        if shell == "bash" {
            // It loads into bash and registers the completion.
            let file = dir.appendingPathComponent("imagepipe.bash")
            try result.stdout.write(to: file, atomically: true, encoding: .utf8)
            let bash = ChildProcess()
            bash.executableURL = URL(fileURLWithPath: "/bin/bash")
            bash.arguments = ["-c", "source '\(file.path)' && complete -p imagepipe"]
            let out = Pipe()
            bash.standardOutput = out
            try bash.run()
            let text = String(decoding: await bash.finish(reading: out)[0], as: UTF8.self)
            #expect(bash.terminationStatus == 0 && text.contains("_imagepipe"))
        }
    }
}
