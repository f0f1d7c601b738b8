import Foundation

/// Finds the entries of a batch's result file without parsing the file whole: each line of JSON
/// Lines (OpenAI's output and error files, Gemini's responses file), or each element of the first
/// array under a key (Gemini's inline responses, inside one operation document). Each entry is
/// parsed on its own to read its id, and only its byte range is kept.
enum JSONEntryScanner {
    typealias Place = IndexedBatchResults.Place

    /// Every line of `path`, by the id `id` reads from it.
    static func lines(of path: String, id: (JSONValue) -> String?, into add: (String, Place) -> Void) throws {
        try eachLine(of: path) { offset, entry in
            guard let parsed = try? JSONParser.parse(entry), let key = id(parsed) else { return }
            add(key, Place(file: path, offset: offset, length: entry.count))
        }
    }

    /// Every element of the first array that follows `"key":` in `path`, by the id `id` reads.
    static func arrayElements(of path: String, under key: String, id: (JSONValue) -> String?, into add: (String, Place) -> Void) throws {
        var scanner = ArrayScanner(key: Array(("\"" + key + "\"").utf8))
        var position: UInt64 = 0
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
        defer { try? handle.close() }
        // A read error throws: taken for the end of the file, it would cut the file short unseen.
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty {
            scanner.feed(Array(chunk), at: position) { offset, element in
                guard let parsed = try? JSONParser.parse(element), let found = id(parsed) else { return }
                add(found, Place(file: path, offset: offset, length: element.count))
            }
            position += UInt64(chunk.count)
            if scanner.finished { return }
        }
    }

    /// Calls `line` with each non-empty line's byte offset and bytes, reading the file in chunks;
    /// throws when the file cannot be read, or what `line` throws.
    static func eachLine(of path: String, _ line: (UInt64, [UInt8]) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
        defer { try? handle.close() }
        var pending: [UInt8] = []
        var pendingStart: UInt64 = 0
        var position: UInt64 = 0
        // A read error throws: taken for the end of the file, it would cut the file short unseen.
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty {
            var start = chunk.startIndex
            for i in chunk.indices where chunk[i] == UInt8(ascii: "\n") {
                pending += chunk[start..<i]
                if !pending.isEmpty { try line(pendingStart, pending) }
                pending.removeAll(keepingCapacity: true)
                start = i + 1
                pendingStart = position + UInt64(start - chunk.startIndex)
            }
            pending += chunk[start...]
            position += UInt64(chunk.count)
        }
        if !pending.isEmpty { try line(pendingStart, pending) }
    }

    /// A byte-level walk through JSON text: strings (with escapes) and nesting, enough to find a
    /// key and cut the array after it into elements.
    struct ArrayScanner {
        private enum Stage { case seekingKey, seekingArray, inArray, done }

        let key: [UInt8]
        private var stage = Stage.seekingKey
        private var inString = false
        private var escaped = false
        /// The current string's bytes while looking for the key (keys are short).
        private var string: [UInt8] = []
        private var lastString: [UInt8] = []
        private var depth = 0
        private var element: [UInt8] = []
        private var elementStart: UInt64 = 0

        init(key: [UInt8]) { self.key = key }

        var finished: Bool { stage == .done }

        mutating func feed(_ bytes: [UInt8], at position: UInt64, element found: (UInt64, [UInt8]) -> Void) {
            for (i, byte) in bytes.enumerated() {
                let at = position + UInt64(i)
                switch stage {
                case .done: return
                case .seekingKey, .seekingArray: seek(byte)
                case .inArray:
                    if depth == 0, !inString {
                        if byte == UInt8(ascii: "]") { stage = .done; continue }
                        if byte == UInt8(ascii: ",") || Self.isSpace(byte) { continue }
                        elementStart = at
                    }
                    element.append(byte)
                    if inString {
                        if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                    } else if byte == UInt8(ascii: "\"") {
                        inString = true
                    } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                        depth += 1
                    } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                        depth -= 1
                    }
                    if depth == 0, !inString, !element.isEmpty,
                       byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "\"") && element.count > 1 {
                        found(elementStart, element)
                        element.removeAll(keepingCapacity: true)
                    }
                }
            }
        }

        /// Before the array: strings are read whole, so that the key is only found as a key.
        private mutating func seek(_ byte: UInt8) {
            if inString {
                if escaped { escaped = false; string.append(byte); return }
                if byte == UInt8(ascii: "\\") { escaped = true; string.append(byte); return }
                if byte == UInt8(ascii: "\"") {
                    inString = false
                    string.append(byte)
                    lastString = string.count <= key.count ? string : []
                    string.removeAll(keepingCapacity: true)
                    return
                }
                if string.count <= key.count { string.append(byte) }
                return
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                string = [byte]
                if stage == .seekingArray { stage = .seekingKey }
            case UInt8(ascii: ":"):
                if stage == .seekingKey, lastString == key { stage = .seekingArray }
            case UInt8(ascii: "["):
                if stage == .seekingArray { stage = .inArray }
            case UInt8(ascii: "{"):
                // "inlinedResponses": {"inlinedResponses": [ … ]}: the key repeats one level down.
                break
            default:
                if !Self.isSpace(byte), stage == .seekingArray { stage = .seekingKey }
            }
            if byte != UInt8(ascii: "\"") { lastString = byte == UInt8(ascii: ":") || Self.isSpace(byte) ? lastString : [] }
        }

        private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
    }
}
