/// `kind: command`: any program, run without a shell for each image.
struct Command: ProviderKind {
    let name = "command"
    let summary = "Runs a program without a shell for each image, e.g. a vendor CLI."
    var fields: [FieldSpec] {
        [
            FieldSpec("command", .templateList, required: true, doc: "The argv, each element a template over " + Self.fields.joined(separator: ", ") + "."),
            FieldSpec("retry_exit_codes", .list(.integer(min: 1, max: 255), minCount: 1),
                      doc: "Exit statuses that mean \"try again\" (a busy GPU, a rate limit): classed `server_error` and retried as the stage's `retry` says. Other non-zero exits are `bad_request` and not retried."),
            FieldSpec("exit_codes", .map(.list(.integer(min: 1, max: 255), minCount: 1), keyPattern: ExitCodeClasses.pattern),
                      doc: "Exit statuses by failure class, e.g. `{ rate_limited: [75], auth: [77], content_policy: [65] }`; retried as the class is."),
        ]
    }

    /// The fields a command's argv templates may use.
    static let fields = ["prompt", "negative_prompt", "model", "output", "size", "width", "height", "aspect_ratio",
                         "resolution", "seed", "variant", "key", "image"]

    /// The program and its arguments decide the images.
    func identity(of spec: ProviderSpec) -> String { spec.command.map(\.value).joined(separator: "\u{1F}") }

    func check(_ spec: ProviderSpec, _ compiler: PipelineCompiler) {
        let scope = TemplateScope(fields: Set(Self.fields), recordFields: Self.fields, origin: "a command provider")
        for argument in spec.command { compiler.compileTemplate(argument, scope: scope, stage: nil) }
        if !spec.command.isEmpty, !spec.command.contains(where: { $0.value.contains("output") }) {
            compiler.diagnostics.error("provider '\(spec.name)' command never mentions {{ output }}, so imagepipe cannot tell the program where to write",
                                       at: spec.command[0].location, hint: "pass the path, like [\"tool\", \"--out\", \"{{ output }}\"]")
        }
    }

    func make(_ spec: ProviderSpec, transport: HTTPTransport, workingDirectory: String) -> any ImageProvider {
        CommandProvider(provider: spec, workingDirectory: workingDirectory)
    }
}
