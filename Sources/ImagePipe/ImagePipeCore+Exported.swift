// The library's users (the CLI, the emulator, embedders) see the bottom layer's types (JSON,
// templates, failures) through `import ImagePipe`, as before the layers were split.
@_exported import ImagePipeCore
