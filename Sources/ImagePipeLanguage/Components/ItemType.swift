import ImagePipeCore
/// What flows along a `from:` edge. Each stage kind accepts some types and yields one.
public enum ItemType: String, Sendable {
    case records, images, urls, responses

    /// What one item of this type is called in a plan: "1 image", "3 uploads".
    public var unitName: String {
        switch self {
        case .records: return "record"
        case .images: return "image"
        case .urls: return "upload"
        case .responses: return "request"
        }
    }
}
