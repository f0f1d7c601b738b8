/// What an image file is: its format and pixel size, read from its headers.
public struct ImageInfo: Equatable, Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case png, jpeg, webp
        /// Written by `transform` stages (providers' answers are PNG, JPEG or WebP).
        case avif

        public var mimeType: String { "image/\(rawValue)" }
        public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }

        /// The format a file name's extension names (`.jpg` and `.jpeg` are JPEG).
        public static func from(extension path: String) -> Format? {
            guard let ext = path.split(separator: ".").last?.lowercased() else { return nil }
            return ext == "jpg" ? .jpeg : Format(rawValue: ext)
        }
    }

    public var format: Format
    public var width: Int
    public var height: Int
}
