/// What an image file is: its format and pixel size, read from its headers.
public struct ImageInfo: Equatable, Sendable {
    public enum Format: String, Sendable {
        case png, jpeg, webp
        /// Written by `transform` stages (providers' answers are PNG, JPEG or WebP).
        case avif

        public var mimeType: String { "image/\(rawValue)" }
        public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }
    }

    public var format: Format
    public var width: Int
    public var height: Int
}
