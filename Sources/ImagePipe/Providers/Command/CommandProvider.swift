import Foundation

/// Runs a program for each image, without a shell: each argv element is a template rendered on
/// its own, so data can never inject arguments or commands. Success is exit status 0 and the
/// image at `{{ output }}` (or at the `local_path` of a JSON answer on stdout).
struct CommandProvider: ImageProvider {
    /// Kept of stderr in a failure's message.
    static let stderrTail = 2000

    let name: String
    let argv: [Template]
    let workingDirectory: String
    let exitCodes: ExitCodeClasses

    init(provider: ProviderSpec, workingDirectory: String) {
        exitCodes = ExitCodeClasses(provider)
        name = provider.name
        argv = provider.command.compactMap { try? TemplateParser.parse($0.value) }
        self.workingDirectory = workingDirectory
    }

    func generate(_ request: ImageRequest) async throws(CallFailure) -> ProviderImage {
        let folder = (request.outputPath as NSString).deletingLastPathComponent
        // The program is told to write here: the folder must exist, as it does for HTTP providers.
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw CallFailure(.local_error, "cannot create the output folder \(folder): \(error.localizedDescription)")
        }
        let ext = (request.outputPath as NSString).pathExtension
        let temporary = folder + "/.imagepipe-cmd-\(UUID().uuidString)" + (ext.isEmpty ? "" : "." + ext)
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        let size = request.effectiveSize
        let fields: [String: String] = [
            "prompt": request.prompt, "negative_prompt": request.negativePrompt ?? "", "model": request.model, "output": temporary,
            "size": size.description, "width": String(size.width), "height": String(size.height),
            "aspect_ratio": request.aspectRatio?.description ?? "", "resolution": request.resolution ?? "",
            "seed": request.seed.map(String.init) ?? "", "variant": String(request.variant), "key": request.key,
            "image": request.inputImagePath ?? "",
        ]
        var arguments: [String] = []
        for template in argv {
            guard let text = try? TemplateRenderer.render(template, lookup: { fields[$0[0]] }) else {
                throw CallFailure(.bad_request, "provider '\(name)': an argument template names an unknown field")
            }
            arguments.append(text)
        }
        guard let program = arguments.first, let executable = Self.locate(program, relativeTo: workingDirectory) else {
            throw CallFailure(.local_error, "provider '\(name)': program '\(arguments.first ?? "")' not found on PATH")
        }
        let result = try await ProcessRunner.run(executable: executable, arguments: Array(arguments.dropFirst()),
                                                 workingDirectory: workingDirectory, timeout: request.timeout)
        let stderr = String(decoding: result.stderr.suffix(Self.stderrTail), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if result.timedOut {
            throw CallFailure(.timeout, "'\(program)' did not finish within \(DurationText.format(request.timeout)) and was stopped")
        }
        let json = try? JSONParser.parse(result.stdout)
        // A JSON error on stdout says what went wrong best; then the exit status as configured.
        if let json, let (failureClass, message) = ExitCodeClasses.jsonError(json) {
            throw CallFailure(failureClass, "'\(program)' reported an error: \(message)" + (stderr.isEmpty ? "" : "; stderr: " + stderr))
        }
        guard result.status == 0 else {
            let how = result.signaled ? "was killed by signal \(result.status)" : "exited with status \(result.status)"
            let failureClass = result.signaled ? .bad_request : exitCodes.failureClass(ofExit: result.status) ?? .bad_request
            throw CallFailure(failureClass, "'\(program)' \(how)" + (stderr.isEmpty ? "" : ": " + stderr))
        }
        var path = temporary
        if let json {
            if case .string(let local)? = json["local_path"] {
                path = local.hasPrefix("/") ? local : workingDirectory + "/" + local
            }
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CallFailure(.invalid_output, "'\(program)' exited 0 but wrote no file at \(path == temporary ? "{{ output }}" : path)" + (stderr.isEmpty ? "" : "; stderr: " + stderr))
        }
        if path != temporary { try? FileManager.default.removeItem(atPath: path) }
        return ProviderImage(bytes: Array(data))
    }

    /// `program` itself when it has a slash (relative to the pipeline's folder), else the first
    /// match on PATH.
    static func locate(_ program: String, relativeTo folder: String) -> String? {
        if program.contains("/") {
            let path = program.hasPrefix("/") ? program : folder + "/" + program
            return FileManager.default.isExecutableFile(atPath: path) ? path : nil
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
