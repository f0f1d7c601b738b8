/// What flows along a `from:` edge. Each stage kind accepts some types and yields one.
public enum ItemType: String, Sendable {
    case records, images, urls, responses
}
