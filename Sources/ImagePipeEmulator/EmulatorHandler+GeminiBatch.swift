import Foundation
import ImagePipe
import NIOCore
import NIOHTTP1

extension EmulatorHandler {
    /// The Gemini API's Batch Mode and the Files API's resumable upload: `batchGenerateContent`
    /// with inline requests or an uploaded JSON Lines file, batches as long-running operations
    /// (`batches/…`, `metadata.state` `BATCH_STATE_*`), inline responses or a responses file
    /// downloaded from `/download/v1beta/files/…:download?alt=media`. Lines are decided like
    /// `generateContent` requests of their prompts; a prompt with `[[expire]]` the first time
    /// makes its batch end `BATCH_STATE_EXPIRED`, with no results, as Google's do after 48 hours.
    func routeGeminiBatch(context: ChannelHandlerContext, head: HTTPRequestHead, path: String, headers: [(String, String)], body: [UInt8]) -> Bool {
        let isBatch = path.hasPrefix("/v1beta/models/") && path.hasSuffix(":batchGenerateContent")
        guard isBatch || path == "/upload/v1beta/files" || path.hasPrefix("/download/v1beta/files/") || path == "/v1beta/batches"
            || path.hasPrefix("/v1beta/batches/") else { return false }
        let wire = GeminiWire()
        let batches = stats.batches
        guard wire.keyAccepted(headers: headers, expected: configuration.apiKey) else {
            send(context: context, head: head, wire.answer(.unauthorized, image: { [] }, model: ""), counted: false)
            return true
        }
        func refuse(_ message: String, _ code: Int = 400) {
            send(context: context, head: head, EmulatorAnswer(status: code, json: .object([("error", .object([
                ("code", .int(code)), ("message", .string(message)), ("status", .string(code == 404 ? "NOT_FOUND" : "INVALID_ARGUMENT")),
            ]))])), counted: false)
        }
        let query = head.uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        let command = HeaderList.value("X-Goog-Upload-Command", in: headers)?.lowercased() ?? ""
        switch head.method {
        case .POST where path == "/upload/v1beta/files" && command == "start":
            guard HeaderList.value("X-Goog-Upload-Protocol", in: headers) == "resumable",
                  let size = HeaderList.value("X-Goog-Upload-Header-Content-Length", in: headers).flatMap({ Int($0) }) else {
                refuse("a resumable upload starts with X-Goog-Upload-Protocol: resumable and X-Goog-Upload-Header-Content-Length"); return true
            }
            let session = batches.startUpload(size: size)
            let base = "http://\(configuration.host):\(context.channel.localAddress?.port ?? configuration.port)"
            send(context: context, head: head, EmulatorAnswer(status: 200, json: .object([]), headers: [
                ("x-goog-upload-url", base + "/upload/v1beta/files?upload_id=" + session), ("x-goog-upload-status", "active"),
            ]), counted: false)
        case .POST where path == "/upload/v1beta/files":
            let session = query.split(separator: "&").first { $0.hasPrefix("upload_id=") }.map { String($0.dropFirst("upload_id=".count)) } ?? ""
            guard command.contains("upload"), command.contains("finalize"), HeaderList.value("X-Goog-Upload-Offset", in: headers) == "0" else {
                refuse("the emulator takes a resumable upload in one piece: X-Goog-Upload-Command: upload, finalize at offset 0"); return true
            }
            guard let id = batches.finishUpload(session, body) else { refuse("no such upload session, or its size differs", 404); return true }
            send(context: context, head: head, EmulatorAnswer(status: 200, json: .object([("file", .object([
                ("name", .string("files/" + id)), ("mimeType", .string("application/jsonl")), ("sizeBytes", .string(String(body.count))),
                ("state", .string("ACTIVE")),
            ]))]), headers: [("x-goog-upload-status", "final")]), counted: false)
        case .GET where path.hasPrefix("/download/v1beta/files/") && path.hasSuffix(":download"):
            let id = String(path.dropFirst("/download/v1beta/files/".count).dropLast(":download".count))
            guard query.contains("alt=media"), let bytes = batches.file(id) else { refuse("no such file: files/\(id)", 404); return true }
            var answer = EmulatorAnswer(status: 200, json: .null)
            answer.headers = [("Content-Type", "application/octet-stream")]
            answer.body = bytes
            send(context: context, head: head, answer, counted: false)
        case .POST where isBatch:
            let model = String(path.dropFirst("/v1beta/models/".count).dropLast(":batchGenerateContent".count))
            guard let json = try? JSONParser.parse(body), let batch = json["batch"], let input = batch["input_config"] ?? batch["inputConfig"] else {
                refuse("batch.input_config is required"); return true
            }
            var name = ""
            if case .string(let n)? = batch["display_name"] ?? batch["displayName"] { name = n }
            let file: String
            if case .string(let uploaded)? = input["file_name"] ?? input["fileName"] {
                file = String(uploaded.dropFirst("files/".count))
            } else if case .array(let requests)? = input["requests"]?["requests"] {
                // Inline requests become the same JSON Lines a file holds (`key`, `request`).
                var lines: [UInt8] = []
                for entry in requests {
                    guard case .string(let key)? = entry["metadata"]?["key"], let request = entry["request"] else {
                        refuse("each inline request needs request and metadata.key"); return true
                    }
                    lines += Array(JSONValue.object([("key", .string(key)), ("request", request)]).serialized(pretty: false).utf8) + [UInt8(ascii: "\n")]
                }
                file = batches.upload(lines, counted: false)
            } else {
                refuse("input_config needs requests.requests or file_name"); return true
            }
            let inline: JSONValue = input["requests"] == nil ? .bool(false) : .bool(true)
            guard let made = batches.create(inputFile: file, metadata: [("displayName", .string(name)), ("model", .string("models/" + model)),
                                                                         ("inline", inline)], completesIn: configuration.batchTime) else {
                refuse("no such file: files/\(file)", 404); return true
            }
            send(context: context, head: head, EmulatorAnswer(status: 200, json: geminiOperation(made, status: "validating", batches)), counted: false)
        case .GET where path == "/v1beta/batches":
            let listed = batches.newest.prefix(100).compactMap { id in batches.batch(id) { self.geminiResults(of: $0, batches) } }
            send(context: context, head: head, EmulatorAnswer(status: 200, json: .object([
                ("operations", .array(listed.map { geminiOperation($0.0, status: $0.1, batches, withResults: false) })),
            ])), counted: false)
        case .POST where path.hasPrefix("/v1beta/batches/") && path.hasSuffix(":cancel"):
            let id = String(path.dropFirst("/v1beta/batches/".count).dropLast(":cancel".count))
            guard batches.batch(id, finish: { self.geminiResults(of: $0, batches) }) != nil else { refuse("no such batch: batches/\(id)", 404); return true }
            _ = batches.cancel(id)
            send(context: context, head: head, EmulatorAnswer(status: 200, json: .object([])), counted: false)
        case .GET where path.hasPrefix("/v1beta/batches/"):
            let id = String(path.dropFirst("/v1beta/batches/".count))
            guard let (batch, status) = batches.batch(id, finish: { self.geminiResults(of: $0, batches) }) else {
                refuse("no such batch: batches/\(id)", 404); return true
            }
            send(context: context, head: head, EmulatorAnswer(status: 200, json: geminiOperation(batch, status: status, batches)), counted: false)
        default:
            refuse("no route for \(head.method) \(path)", 404)
        }
        return true
    }

    /// Every line of a finished batch as a responses-file line (`key` and `response` or `error`),
    /// in shuffled order; none when a line expires (Google's expired batches have no results).
    private func geminiResults(of batch: EmulatorBatches.Batch, _ batches: EmulatorBatches)
        -> (output: [UInt8], errors: [UInt8], completed: Int, failed: Int, expired: Bool) {
        var lines: [[UInt8]] = []
        var completed = 0
        var failed = 0
        let input = batches.file(batch.inputFile) ?? []
        var decided: [(key: String, prompt: String)] = []
        for raw in input.split(separator: UInt8(ascii: "\n")) {
            guard let line = try? JSONParser.parse(Array(raw)), case .string(let key)? = line["key"], let request = line["request"],
                  let parsed = GeminiWire().parse(body: Array(request.serialized(pretty: false).utf8), contentType: nil) else { continue }
            decided.append((key, parsed.prompt))
        }
        // Each prompt counts as sent, expired or not: `[[expire]]` expires only the first time.
        let attempts = decided.map { stats.arrived(prompt: $0.prompt) }
        if zip(decided, attempts).contains(where: { Self.expires($0.0.prompt, attempt: $0.1) }) {
            return ([], [], 0, 0, true)
        }
        for ((key, prompt), attempt) in zip(decided, attempts) {
            var decision = EmulatorDecision.decide(prompt: prompt, attempt: attempt, keyAccepted: true, configuration: configuration, stats: stats)
            if decision == .hang || decision == .garbage { decision = .status(500, retryAfter: nil) }
            let size = configuration.imageSize ?? ImageSize(width: 1024, height: 1024)
            let answer = GeminiWire().answer(decision, image: { self.images.png(prompt: prompt, size: size) }, model: "")
            stats.answered(status: answer.status)
            let body = (try? JSONParser.parse(answer.body)) ?? .null
            // A line's error is a google.rpc.Status: a gRPC code, not the HTTP status of a call.
            let status = JSONValue.object([("code", .int(Self.rpcCode(http: answer.status))), ("message", body["error"]?["message"] ?? .string("error"))])
            let entry: JSONValue = answer.status == 200 ? .object([("key", .string(key)), ("response", body)])
                                                        : .object([("key", .string(key)), ("error", status)])
            if answer.status == 200 { completed += 1 } else { failed += 1 }
            lines.append(Array(entry.serialized(pretty: false).utf8))
        }
        return (lines.shuffled().flatMap { $0 + [UInt8(ascii: "\n")] }, [], completed, failed, false)
    }

    static func rpcCode(http status: Int) -> Int {
        switch status {
        case 400: return 3
        case 401: return 16
        case 403: return 7
        case 404: return 5
        case 429: return 8
        case 500: return 13
        case 503: return 14
        case 504: return 4
        default: return 2
        }
    }

    private static func pairs(_ value: JSONValue) -> [(String, JSONValue)] {
        if case .object(let pairs) = value { return pairs }
        return []
    }

    /// A batch as the long-running operation Google answers with.
    private func geminiOperation(_ batch: EmulatorBatches.Batch, status: String, _ batches: EmulatorBatches, withResults: Bool = true) -> JSONValue {
        let state: String
        switch status {
        case "validating": state = "BATCH_STATE_PENDING"
        case "in_progress": state = "BATCH_STATE_RUNNING"
        case "completed": state = "BATCH_STATE_SUCCEEDED"
        case "expired": state = "BATCH_STATE_EXPIRED"
        case "cancelled": state = "BATCH_STATE_CANCELLED"
        default: state = "BATCH_STATE_FAILED"
        }
        var metadata: [(String, JSONValue)] = [("@type", .string("type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"))]
        metadata += batch.metadata.filter { $0.0 != "inline" }
        metadata += [("state", .string(state)), ("batchStats", .object([
            ("requestCount", .string(String(batch.total))), ("successfulRequestCount", .string(String(batch.completed))),
            ("failedRequestCount", .string(String(batch.failed))),
            ("pendingRequestCount", .string(String(status == "completed" ? 0 : batch.total))),
        ]))]
        var operation: [(String, JSONValue)] = [("name", .string("batches/" + batch.id))]
        let done = state != "BATCH_STATE_PENDING" && state != "BATCH_STATE_RUNNING"
        if state == "BATCH_STATE_SUCCEEDED", let file = batch.outputFile {
            let inline = batch.metadata.contains { $0.0 == "inline" && $0.1 == .bool(true) }
            var output: JSONValue = .object([("responsesFile", .string("files/" + file))])
            if inline {
                guard withResults else { return .object(operation + [("metadata", .object(metadata)), ("done", .bool(done))]) }
                let lines = (batches.file(file) ?? []).split(separator: UInt8(ascii: "\n")).compactMap { try? JSONParser.parse(Array($0)) }
                output = .object([("inlinedResponses", .object([("inlinedResponses", .array(lines.map { line in
                    var entry: [(String, JSONValue)] = []
                    if let response = line["response"] { entry.append(("response", response)) }
                    if let error = line["error"] { entry.append(("error", error)) }
                    entry.append(("metadata", .object([("key", line["key"] ?? .null)])))
                    return .object(entry)
                }))]))])
            }
            metadata.append(("output", output))
            operation += [("metadata", .object(metadata)), ("done", .bool(true)),
                          ("response", .object([("@type", .string("type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"))]
                                                + Self.pairs(output)))]
            return .object(operation)
        }
        operation += [("metadata", .object(metadata)), ("done", .bool(done))]
        if state == "BATCH_STATE_FAILED" {
            operation.append(("error", .object([("code", .int(3)), ("message", .string(batch.invalid ?? "the batch failed"))])))
        }
        return .object(operation)
    }
}
