/// Splits a `multipart/form-data` body into its named parts.
enum MultipartParser {
    struct Part {
        var name: String
        var data: ArraySlice<UInt8>
    }

    static func parse(_ body: [UInt8], boundary: String) -> [Part] {
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [Part] = []
        var positions: [Int] = []
        var i = 0
        while let found = find(delimiter, in: body, from: i) {
            positions.append(found)
            i = found + delimiter.count
        }
        for (start, end) in zip(positions, positions.dropFirst()) {
            let section = body[(start + delimiter.count)..<end]
            guard let headerEnd = find(Array("\r\n\r\n".utf8), in: body, from: section.startIndex), headerEnd < end else { continue }
            let headers = String(decoding: body[section.startIndex..<headerEnd], as: UTF8.self)
            guard let nameRange = headers.range(of: "name=\"") else { continue }
            let name = headers[nameRange.upperBound...].prefix { $0 != "\"" }
            var dataEnd = end
            if dataEnd - 2 >= headerEnd + 4, body[dataEnd - 2] == 13, body[dataEnd - 1] == 10 { dataEnd -= 2 }
            parts.append(Part(name: String(name), data: body[(headerEnd + 4)..<dataEnd]))
        }
        return parts
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var i = start
        while i + needle.count <= haystack.count {
            if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
