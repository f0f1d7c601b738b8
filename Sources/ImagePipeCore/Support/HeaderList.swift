/// HTTP headers as a list of (name, value) pairs: names compare without regard to case.
public enum HeaderList {
    public static func value(_ name: String, in headers: [(String, String)]) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}
