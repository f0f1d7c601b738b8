import NIOHTTP1

/// A compiled `http` stage. Each request is fingerprinted by what it sends (method, URL,
/// headers, body), so a re-run sends nothing twice and a changed URL or body sends again.
struct HTTPStageBody: StageBody {
    let method: String
    let success: [Int]?
    var url: Template?
    var headers: [(name: String, value: Template)] = []
    var query: [(name: String, value: Template)] = []
    var json: JSONTemplate?

    static let outputFields = ["status", "json"]

    func constants(stage: String) -> [String: String] {
        Dictionary(uniqueKeysWithValues: Self.outputFields.map { ($0, "<\(stage).\($0)>") })
    }

    func connect(_ setup: ConnectionSetup) throws(ConnectionProblem) -> (any StageConnection)? {
        HTTPConnection(transport: setup.transport)
    }

    func prepare(_ unit: ItemContext, _ environment: UnitEnvironment) throws(UnitProblem) -> any PreparedUnit {
        let stage = environment.stage
        guard var url = try unit.render(self.url, stage: stage, what: "url", encoding: .url) else {
            throw UnitProblem("the URL of stage '\(stage)' is empty for item '\(unit.key)'")
        }
        if let template = self.url, !template.isConstant { try RequestData.checkPath(of: url, unit: unit, stage: stage) }
        if !query.isEmpty { url = try RequestData.appendQuery(query, to: url, unit: unit, stage: stage) }
        var headers: [(String, String)] = []
        for (name, template) in self.headers {
            let value = try unit.render(template, stage: stage, what: "header '\(name)'") ?? ""
            try RequestData.checkHeader(name, value, unit: unit, stage: stage)
            headers.append((name, value))
        }
        var body: JSONValue?
        if let json {
            do {
                body = try json.render(fields: unit)
            } catch {
                throw UnitProblem("item '\(unit.key)' has no field '\(error.path)', needed by the json body of stage '\(stage)'",
                                  hint: "add the field, or use {{ \(error.path) | default(\"x\") }}")
            }
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { headers.append(("Content-Type", "application/json")) }
        }
        let bytes = body.map { Array($0.serialized(pretty: false).utf8) }
        let fingerprint = Fingerprint.hash(["http", method, url] + headers.flatMap { [$0.0.lowercased(), $0.1] }
            + [bytes.map { String(decoding: $0, as: UTF8.self) } ?? "\u{0}"])
        return PreparedRequest(method: method, url: url, headers: headers, body: bytes, bodyJSON: body, success: success,
                               fingerprint: fingerprint, transport: (environment.connection as? HTTPConnection)?.transport,
                               timeout: environment.timeout)
    }
}

/// What an `http` stage sends through: the run's shared HTTP client.
struct HTTPConnection: StageConnection {
    let transport: HTTPTransport
}
