/// Where each item of an earlier run waits in a remote batch, kept small: a run that collects
/// 100,000 items' batches looks each one up once, and keeps for each about 40 bytes, not its
/// strings. The key is 128 bits of the SHA-256 of (stage, item, fingerprint); chunks, batch ids
/// and runs are stored once; a custom id is kept as its run and attempt when it has imagepipe's
/// form (`ip-IDENTITY-RUN-ATTEMPT`, IDENTITY being the same hash's first 24 hex digits), else whole.
struct BatchPlaces {
    private struct Key: Hashable {
        var high: UInt64
        var low: UInt64
    }

    private struct Place {
        var chunk: Int32
        var run: Int32
        var attempt: Int32
    }

    /// Strings stored once each, known by their number.
    private struct Interned {
        private var strings: [String] = []
        private var numbers: [String: Int32] = [:]

        mutating func number(_ string: String) -> Int32 {
            if let known = numbers[string] { return known }
            strings.append(string)
            numbers[string] = Int32(strings.count - 1)
            return Int32(strings.count - 1)
        }

        subscript(number: Int32) -> String { strings[Int(number)] }
    }

    private var places: [Key: Place] = [:]
    /// Custom ids not of imagepipe's form, whole, and their chunks.
    private var others: [Key: String] = [:]
    private var otherChunks: [Key: Int32] = [:]
    private var chunks = Interned()
    private var batchIDs: [String: String] = [:]
    private var runs = Interned()

    var count: Int { places.count + others.count }
    var isEmpty: Bool { places.isEmpty && others.isEmpty }

    private static func digest(_ stage: String, _ item: String, _ fingerprint: String) -> (Key, identity: String) {
        let identity = RequestIdentity(stage: stage, item: item, fingerprint: fingerprint)
        var high: UInt64 = 0, low: UInt64 = 0
        for n in 0..<8 { high = high << 8 | UInt64(identity.hash[n]) }
        for n in 8..<16 { low = low << 8 | UInt64(identity.hash[n]) }
        return (Key(high: high, low: low), identity.prefix)
    }

    mutating func add(stage: String, item: String, fingerprint: String, _ place: BatchPlace) {
        let (key, identity) = Self.digest(stage, item, fingerprint)
        let chunk = chunks.number(place.chunk)
        if let batchID = place.batchID { batchIDs[place.chunk] = batchID }
        let prefix = "ip-" + identity + "-"
        if place.customID.hasPrefix(prefix), let dash = place.customID.lastIndex(of: "-"), dash > place.customID.index(place.customID.startIndex, offsetBy: prefix.count),
           let attempt = Int32(place.customID[place.customID.index(after: dash)...]), String(attempt) == place.customID[place.customID.index(after: dash)...] {
            let run = String(place.customID[place.customID.index(place.customID.startIndex, offsetBy: prefix.count)..<dash])
            places[key] = Place(chunk: chunk, run: runs.number(run), attempt: attempt)
            others[key] = nil
        } else {
            others[key] = place.customID
            otherChunks[key] = chunk
            places[key] = nil
        }
    }

    func place(stage: String, item: String, fingerprint: String) -> BatchPlace? {
        guard !isEmpty else { return nil }
        let (key, identity) = Self.digest(stage, item, fingerprint)
        if let found = places[key] {
            let chunk = chunks[found.chunk]
            return BatchPlace(chunk: chunk, customID: "ip-\(identity)-\(runs[found.run])-\(found.attempt)", batchID: batchIDs[chunk])
        }
        if let customID = others[key], let number = otherChunks[key] {
            let chunk = chunks[number]
            return BatchPlace(chunk: chunk, customID: customID, batchID: batchIDs[chunk])
        }
        return nil
    }
}
