import Foundation

/// Images as `data:image/…;base64,…` URIs, as Seedream, fal and Replicate take inputs inline.
public enum DataURI {
    /// The image with its media type sniffed from its bytes (PNG when unknown).
    public static func encode(_ image: [UInt8]) -> String {
        let format = (try? ImageInspector.inspect(image))?.format ?? .png
        return "data:image/\(format.rawValue);base64," + Data(image).base64EncodedString()
    }

    /// The bytes of a base64 data URI; nil when it is not one.
    public static func decode(_ uri: String) -> [UInt8]? {
        guard uri.hasPrefix("data:"), let comma = uri.firstIndex(of: ","), uri[..<comma].hasSuffix(";base64") else { return nil }
        return Data(base64Encoded: String(uri[uri.index(after: comma)...])).map(Array.init)
    }
}
