/// Who waits on one line of a batch, as the spool keeps it beside the line: one line in
/// the batch's members file, read back in order (the ledger's intent, the units to wake) or at its
/// byte range (a detached unit found by its item).
struct BatchMember: Sendable {
    var customID: String
    var place: JobPlace
    /// Set for a unit that waits detached: what it takes to make it again from its row.
    var detached: DetachedMember?

    init(customID: String, place: JobPlace, detached: DetachedMember? = nil) {
        self.customID = customID
        self.place = place
        self.detached = detached
    }

    /// The member as a line (without its newline): its fields apart by tabs, each with `\`, tab
    /// and newline escaped; instants as seconds from `origin`, since a `ContinuousClock.Instant`
    /// has no other form. Read back once or twice per member, so kept cheaper than JSON.
    func line(origin: ContinuousClock.Instant) -> [UInt8] {
        var fields = [customID, place.stage, place.item, place.fingerprint, place.key, place.provider]
        if let d = detached {
            let since = origin.duration(to: d.since)
            fields += [String(d.attempt), d.reserved ? "1" : "0", d.failure?.failureClass.rawValue ?? "", d.failure.map { $0.message == nil ? "0" : "1" } ?? "0",
                       d.failure?.message ?? "", d.expiredOnce ? "1" : "0",
                       String(Double(since.components.seconds) + Double(since.components.attoseconds) / 1e18)]
            for retry in d.retries { fields += [retry.failureClass.rawValue, retry.message] }
        }
        var out: [UInt8] = []
        out.reserveCapacity(fields.reduce(fields.count) { $0 + $1.utf8.count })
        for (n, field) in fields.enumerated() {
            if n > 0 { out.append(UInt8(ascii: "\t")) }
            for byte in field.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                default: out.append(byte)
                }
            }
        }
        return out
    }

    /// The member a `line` wrote; nil for bytes it did not write.
    init?(line bytes: some Collection<UInt8>, origin: ContinuousClock.Instant) {
        var fields: [String] = []
        var field: [UInt8] = []
        var escaped = false
        for byte in bytes {
            if escaped {
                field.append(byte == UInt8(ascii: "t") ? UInt8(ascii: "\t") : byte == UInt8(ascii: "n") ? UInt8(ascii: "\n") : byte)
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\t") {
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
            } else {
                field.append(byte)
            }
        }
        fields.append(String(decoding: field, as: UTF8.self))
        guard fields.count == 6 || (fields.count >= 13 && fields.count % 2 == 1) else { return nil }
        customID = fields[0]
        place = JobPlace(stage: fields[1], item: fields[2], fingerprint: fields[3], key: fields[4], provider: fields[5])
        guard fields.count > 6 else { return }
        guard let attempt = Int(fields[6]), let seconds = Double(fields[12]) else { return nil }
        let failure = FailureClass(rawValue: fields[8]).map { (failureClass: $0, message: fields[9] == "1" ? Optional(fields[10]) : nil) }
        var retries: [(failureClass: FailureClass, message: String)] = []
        var n = 13
        while n + 1 < fields.count {
            if let failureClass = FailureClass(rawValue: fields[n]) { retries.append((failureClass, fields[n + 1])) }
            n += 2
        }
        detached = DetachedMember(customID: fields[0], attempt: attempt, reserved: fields[7] == "1", failure: failure, retries: retries,
                                  expiredOnce: fields[11] == "1", since: origin + .nanoseconds(Int64(seconds * 1e9)))
    }
}
