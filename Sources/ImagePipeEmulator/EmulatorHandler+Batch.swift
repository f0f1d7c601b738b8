import Foundation
import ImagePipe
import NIOCore
import NIOHTTP1

extension EmulatorHandler {
    /// OpenAI's Files and Batches routes; false when the request is for neither.
    func routeBatch(context: ChannelHandlerContext, head: HTTPRequestHead, path: String, headers: [(String, String)], body: [UInt8]) -> Bool {
        guard path == "/v1/files" || path.hasPrefix("/v1/files/") || path == "/v1/batches" || path.hasPrefix("/v1/batches/") else { return false }
        let wire = OpenAIWire()
        let batches = stats.batches
        guard wire.keyAccepted(headers: headers, expected: configuration.apiKey) else {
            send(context: context, head: head, wire.answer(.unauthorized, image: { [] }, model: ""), counted: false)
            return true
        }
        let parts = path.split(separator: "/").map(String.init)  // v1, files|batches, id, content|cancel
        switch (head.method, parts.count) {
        case (.POST, 2) where parts[1] == "files":
            let type = HeaderList.value("Content-Type", in: headers) ?? ""
            guard let boundary = type.components(separatedBy: "boundary=").dropFirst().first,
                  let file = MultipartParser.parse(body, boundary: boundary).first(where: { $0.name == "file" }) else {
                send(context: context, head: head, wire.malformed("a batch file upload needs a file part"), counted: false)
                return true
            }
            let id = batches.upload(Array(file.data))
            send(context: context, head: head, EmulatorAnswer(status: 200, json: .object([
                ("id", .string(id)), ("object", .string("file")), ("bytes", .int(file.data.count)), ("purpose", .string("batch")),
                ("filename", .string("batch.jsonl")), ("created_at", .int(Int(Date().timeIntervalSince1970))),
            ])), counted: false)
        case (.GET, 4) where parts[1] == "files" && parts[3] == "content":
            guard let bytes = batches.file(parts[2]) else {
                send(context: context, head: head, wire.malformed("no such file: \(parts[2])"), counted: false)
                return true
            }
            var answer = EmulatorAnswer(status: 200, json: .null)
            answer.headers = [("Content-Type", "application/octet-stream")]
            answer.body = bytes
            send(context: context, head: head, answer, counted: false)
        case (.POST, 2) where parts[1] == "batches":
            guard let json = try? JSONParser.parse(body), case .string(let input)? = json["input_file_id"] else {
                send(context: context, head: head, wire.malformed("input_file_id is required"), counted: false)
                return true
            }
            var metadata: [(String, JSONValue)] = []
            if case .object(let pairs)? = json["metadata"] { metadata = pairs }
            guard let batch = batches.create(inputFile: input, metadata: metadata, completesIn: configuration.batchTime) else {
                send(context: context, head: head, wire.malformed("no such file: \(input)"), counted: false)
                return true
            }
            send(context: context, head: head, EmulatorAnswer(status: 200, json: batchObject(batch, status: "validating")), counted: false)
        case (.GET, 2) where parts[1] == "batches":
            let listed = batches.newest.prefix(100).compactMap { id in self.lookUp(id, batches) }
            send(context: context, head: head, EmulatorAnswer(status: 200, json: .object([
                ("object", .string("list")), ("data", .array(listed.map { batchObject($0.0, status: $0.1) })), ("has_more", .bool(false)),
            ])), counted: false)
        case (.GET, 3) where parts[1] == "batches":
            guard let (batch, status) = lookUp(parts[2], batches) else {
                send(context: context, head: head, wire.malformed("no such batch: \(parts[2])"), counted: false)
                return true
            }
            send(context: context, head: head, EmulatorAnswer(status: 200, json: batchObject(batch, status: status)), counted: false)
        case (.POST, 4) where parts[1] == "batches" && parts[3] == "cancel":
            _ = batches.cancel(parts[2])
            guard let (batch, status) = lookUp(parts[2], batches) else {
                send(context: context, head: head, wire.malformed("no such batch: \(parts[2])"), counted: false)
                return true
            }
            send(context: context, head: head, EmulatorAnswer(status: 200, json: batchObject(batch, status: status)), counted: false)
        default:
            send(context: context, head: head, wire.malformed("no route for \(head.method) \(path)"), counted: false)
        }
        return true
    }

    private func lookUp(_ id: String, _ batches: EmulatorBatches) -> (EmulatorBatches.Batch, String)? {
        batches.batch(id) { batch in results(of: batch, batches) }
    }

    static let expireMarker = "[[expire]]"

    /// Whether a batched prompt's window runs out on this attempt: `[[expire]]` the first time,
    /// `[[expire:N]]` the first N times.
    static func expires(_ prompt: String, attempt: Int) -> Bool {
        if prompt.contains(expireMarker) { return attempt == 1 }
        guard let range = prompt.range(of: "[[expire:"), let end = prompt[range.upperBound...].firstIndex(of: "]"),
              let times = Int(prompt[range.upperBound..<end]) else { return false }
        return attempt <= times
    }

    /// Every line of a finished batch, decided like a request of its prompt, in shuffled order. A
    /// prompt with `[[expire]]` the first time it is batched is a line the completion window ran
    /// out on: the batch ends `expired`, that line in the error file as `batch_expired`.
    private func results(of batch: EmulatorBatches.Batch, _ batches: EmulatorBatches)
        -> (output: [UInt8], errors: [UInt8], completed: Int, failed: Int, expired: Bool) {
        var output: [[UInt8]] = []
        var errors: [[UInt8]] = []
        var expired = false
        let input = batches.file(batch.inputFile) ?? []
        for (n, raw) in input.split(separator: UInt8(ascii: "\n")).enumerated() {
            guard let line = try? JSONParser.parse(Array(raw)), case .string(let id)? = line["custom_id"],
                  case .string(let prompt)? = line["body"]?["prompt"] else { continue }
            var size = configuration.imageSize ?? ImageSize(width: 1024, height: 1024)
            if configuration.imageSize == nil, case .string(let s)? = line["body"]?["size"], let asked = ImageSize(parsing: s) { size = asked }
            let attempt = stats.arrived(prompt: prompt)
            if Self.expires(prompt, attempt: attempt) {
                expired = true
                let entry = JSONValue.object([
                    ("id", .string("batch_req_emu\(n)")), ("custom_id", .string(id)), ("response", .null),
                    ("error", .object([("code", .string("batch_expired")),
                                       ("message", .string("This request could not be executed before the completion window expired."))])),
                ])
                errors.append(Array(entry.serialized(pretty: false).utf8))
                continue
            }
            var decision = EmulatorDecision.decide(prompt: prompt, attempt: attempt, keyAccepted: true, configuration: configuration, stats: stats)
            if decision == .hang || decision == .garbage { decision = .status(500, retryAfter: nil) }
            let answer = OpenAIWire().answer(decision, image: { self.images.png(prompt: prompt, size: size) }, model: "")
            stats.answered(status: answer.status)
            let entry = JSONValue.object([
                ("id", .string("batch_req_emu\(n)")), ("custom_id", .string(id)),
                ("response", .object([("status_code", .int(answer.status)), ("request_id", .string("req_emu\(n)")),
                                      ("body", (try? JSONParser.parse(answer.body)) ?? .null)])),
                ("error", .null),
            ])
            let bytes = Array(entry.serialized(pretty: false).utf8)
            if answer.status == 200 { output.append(bytes) } else { errors.append(bytes) }
        }
        // Results come in any order: a client joins them on custom_id.
        let joined = { (lines: [[UInt8]]) -> [UInt8] in lines.shuffled().flatMap { $0 + [UInt8(ascii: "\n")] } }
        return (joined(output), joined(errors), output.count, errors.count, expired)
    }

    private func batchObject(_ batch: EmulatorBatches.Batch, status: String) -> JSONValue {
        let ended = status == "completed" || status == "expired"
        return .object([
            ("id", .string(batch.id)), ("object", .string("batch")), ("endpoint", .string("/v1/images/generations")),
            ("errors", batch.invalid.map { .object([("object", .string("list")), ("data", .array([.object([("code", .string("duplicate_custom_id")),
                                                                                                       ("message", .string($0))])]))]) } ?? .null),
            ("input_file_id", .string(batch.inputFile)), ("completion_window", .string("24h")), ("status", .string(status)),
            ("output_file_id", ended ? batch.outputFile.map(JSONValue.string) ?? .null : .null),
            ("error_file_id", ended ? batch.errorFile.map(JSONValue.string) ?? .null : .null),
            ("created_at", .int(Int(Date().timeIntervalSince1970))),
            ("request_counts", .object([("total", .int(batch.total)), ("completed", .int(batch.completed)), ("failed", .int(batch.failed))])),
            ("metadata", .object(batch.metadata)),
        ])
    }
}
