// The library's users (the CLI, the emulator, embedders) see the lower layers' types (JSON,
// templates, failures, the language) through `import ImagePipe`, as before the layers were split.
@_exported import ImagePipeCore
@_exported import ImagePipeLanguage
@_exported import ImagePipePlan
