import ImagePipeCore
import ImagePipeLanguage
import Foundation

/// Where a pipeline's files live: paths in the pipeline resolve relative to the pipeline file,
/// and are shown relative to where the user ran the command.
public struct PipelineFiles: Sendable {
    /// The pipeline file as given on the command line.
    public let displayPipeline: String
    /// The folder of the pipeline file, on disk.
    public let directory: String
    /// The folder of the pipeline file, as shown.
    public let displayDirectory: String

    public init(pipelinePath: String, displayPath: String? = nil) {
        displayPipeline = displayPath ?? pipelinePath
        let absolute = pipelinePath.hasPrefix("/") ? pipelinePath : FileManager.default.currentDirectoryPath + "/" + pipelinePath
        directory = RelativePath.directory(of: RelativePath.tidy(absolute))
        displayDirectory = RelativePath.directory(of: displayPipeline)
    }

    /// The pipeline file, on disk.
    public var pipelineFile: String { RelativePath.join(directory, (displayPipeline as NSString).lastPathComponent) }

    public func resolve(_ relative: String) -> String { RelativePath.join(directory, relative) }
    public func display(_ relative: String) -> String { RelativePath.join(displayDirectory, relative) }
}
