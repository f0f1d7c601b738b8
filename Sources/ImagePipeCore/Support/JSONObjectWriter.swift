/// Builds one compact JSON object straight into a string, for lines written thousands of times
/// a second (the manifest) where building a `JSONValue` tree first would cost more than the line.
package struct JSONObjectWriter {
    private(set) var text = "{"
    private var first = true

    package init() {}

    private mutating func key(_ name: String) {
        if !first { text += "," }
        first = false
        JSONValue.writeString(name, to: &text)
        text += ":"
    }

    package mutating func add(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name)
        JSONValue.writeString(value, to: &text)
    }

    package mutating func add(_ name: String, _ value: Int?) {
        guard let value else { return }
        key(name)
        text += String(value)
    }

    package mutating func add(_ name: String, _ value: Double?) {
        guard let value else { return }
        key(name)
        text += JSONValue.format(value)
    }

    package mutating func add(_ name: String, object pairs: [(String, String)]) {
        key(name)
        var inner = JSONObjectWriter()
        for (k, v) in pairs { inner.add(k, v) }
        text += inner.finished
    }

    package mutating func add(_ name: String, json value: JSONValue) {
        key(name)
        text += value.serialized(pretty: false)
    }

    /// An array of small objects of strings: `[{"class": "server_error", "message": "…"}]`.
    package mutating func add(_ name: String, objects: [[(String, String)]]) {
        key(name)
        text += "["
        for (n, pairs) in objects.enumerated() {
            if n > 0 { text += "," }
            var inner = JSONObjectWriter()
            for (k, v) in pairs { inner.add(k, v) }
            text += inner.finished
        }
        text += "]"
    }

    package var finished: String { text + "}" }
}
