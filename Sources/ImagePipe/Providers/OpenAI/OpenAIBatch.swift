import Foundation

/// OpenAI's Batch API for images: the requests as JSON Lines (`custom_id`, `method`, `url`,
/// `body`), uploaded with `purpose=batch`, a batch created on `/v1/images/generations` with a 24 h
/// window and imagepipe's chunk id in its metadata, polled, and its output and error files read
/// and joined on `custom_id`.
extension OpenAIProvider: BatchImageProvider {
    static let endpoint = "/v1/images/generations"
    static let chunkKey = "imagepipe_chunk"

    var batchLimits: BatchLimits { BatchLimits(maxRequests: 50_000, maxBytes: 200_000_000) }

    private var authorization: [(String, String)] { apiKey.map { [("Authorization", "Bearer \($0)")] } ?? [] }

    func batchLine(_ request: ImageRequest, customID: String) throws(CallFailure) -> [UInt8] {
        guard request.inputImage == nil else {
            throw CallFailure(.bad_request, "OpenAI's batch API takes image generations; an edit's input image cannot go in a batch line (set 'batch: false' on this stage)")
        }
        let line = JSONValue.object([("custom_id", .string(customID)), ("method", .string("POST")), ("url", .string(Self.endpoint)),
                                     ("body", generationBody(request))])
        return Array(line.serialized(pretty: false).utf8)
    }

    func createBatch(input: String, bytes: Int, chunk: String, model: String, metadata: [(String, String)], timeout: Double) async throws(CallFailure) -> RemoteBatch {
        var form = MultipartForm()
        form.add("purpose", "batch")
        // The file part's header, then the input read from disk as it is sent, then the closing boundary.
        let (head, tail) = form.filePart("file", filename: "imagepipe-\(chunk).jsonl", contentType: "application/jsonl")
        let upload = try await transport.send(.POST, baseURL + "/files", headers: authorization + [("Content-Type", form.contentType)],
                                              pieces: [.bytes(head), .file(input), .bytes(tail)], timeout: timeout)
        guard (200..<300).contains(upload.status) else { throw Self.failure(upload) }
        guard case .string(let file)? = upload.json?["id"] else { throw CallFailure(.invalid_output, "the file upload's answer has no id") }
        let body = JSONValue.object([
            ("input_file_id", .string(file)), ("endpoint", .string(Self.endpoint)), ("completion_window", .string("24h")),
            ("metadata", .object([(Self.chunkKey, .string(chunk))] + metadata.map { ($0.0, .string(String($0.1.prefix(512)))) })),
        ])
        let created = try await transport.send(.POST, baseURL + "/batches", headers: authorization + [("Content-Type", "application/json")],
                                               body: Array(body.serialized(pretty: false).utf8), timeout: timeout)
        guard (200..<300).contains(created.status) else { throw Self.failure(created) }
        guard case .string(let id)? = created.json?["id"] else { throw CallFailure(.invalid_output, "the batch's answer has no id") }
        return RemoteBatch(id: id, chunk: chunk)
    }

    /// Pages through the batch list, newest first (one created just before a crash is near the
    /// top), up to the 2,000 newest.
    func findBatch(chunk: String, timeout: Double) async throws(CallFailure) -> RemoteBatch? {
        var after: String?
        for _ in 0..<20 {
            let url = baseURL + "/batches?limit=100" + (after.map { "&after=" + URLValueEncoding.component($0) } ?? "")
            let reply = try await transport.send(.GET, url, headers: authorization, timeout: timeout)
            guard (200..<300).contains(reply.status) else { throw Self.failure(reply) }
            guard case .array(let batches)? = reply.json?["data"], !batches.isEmpty else { return nil }
            for batch in batches {
                if case .string(chunk)? = batch["metadata"]?[Self.chunkKey], case .string(let id)? = batch["id"] { return RemoteBatch(id: id, chunk: chunk) }
            }
            guard case .bool(true)? = reply.json?["has_more"], case .string(let last)? = batches.last?["id"] else { return nil }
            after = last
        }
        return nil
    }

    func batchState(_ batch: RemoteBatch, timeout: Double) async throws(CallFailure) -> BatchState {
        let reply = try await transport.send(.GET, baseURL + "/batches/" + batch.id, headers: authorization, timeout: timeout)
        guard (200..<300).contains(reply.status) else { throw Self.failure(reply) }
        guard let json = reply.json, case .string(let status)? = json["status"] else { throw CallFailure(.invalid_output, "the batch has no status") }
        func count(_ name: String) -> Int {
            if case .int(let n)? = json["request_counts"]?[name] { return n }
            return 0
        }
        switch status {
        case "completed": return .ended(status: status, reason: "batch \(batch.id) completed without a result for this request")
        case "expired": return .ended(status: status, reason: "batch \(batch.id) expired (24 h) before this request ran", expired: true)
        case "cancelled": return .ended(status: status, reason: "batch \(batch.id) was cancelled before this request ran")
        case "failed":
            var why = "batch \(batch.id) failed validation"
            if case .array(let errors)? = json["errors"]?["data"], case .string(let message)? = errors.first?["message"] { why += ": " + message }
            return .failed(why)
        default:
            return .running(status: status, completed: count("completed"), failed: count("failed"), total: count("total"))
        }
    }

    func batchResults(_ batch: RemoteBatch, directory: String, timeout: Double) async throws(CallFailure) -> any BatchResultSet {
        let reply = try await transport.send(.GET, baseURL + "/batches/" + batch.id, headers: authorization, timeout: timeout)
        guard (200..<300).contains(reply.status), let json = reply.json else { throw Self.failure(reply) }
        var files: [String] = []
        for name in ["output_file_id", "error_file_id"] {
            guard case .string(let file)? = json[name] else { continue }
            let path = directory + "/" + file + ".jsonl"
            let download = try await transport.download(baseURL + "/files/" + file + "/content", headers: authorization, to: path, timeout: timeout)
            guard (200..<300).contains(download.status) else {
                let body = FileManager.default.contents(atPath: path).map { Array($0.prefix(65_536)) } ?? []
                throw Self.failure(status: download.status, body: try? JSONParser.parse(body))
            }
            files.append(path)
        }
        let index = try BatchResultIndex(directory: directory)
        do throws(CallFailure) {
            try index.fill { add in
                for file in files { try JSONEntryScanner.lines(of: file, id: { $0["custom_id"]?.stringValue }, into: add) }
            }
        } catch {
            index.discard()
            throw error
        }
        return IndexedBatchResults(files: files, index: index) { entry in await self.lineResult(entry, timeout: timeout) }
    }

    /// One output or error line: the image in `response.body.data[0]`, or the failure it reports.
    func lineResult(_ entry: JSONValue, timeout: Double) async -> BatchLineResult {
        if let error = entry["error"], error != .null {
            var message = "the batch refused this request"
            if case .string(let text)? = error["message"] { message += ": " + text }
            let code: String
            if case .string(let c)? = error["code"] { code = c } else { code = "" }
            if code == "batch_expired" {
                // The 24 h window ran out before this request ran: nothing was charged, and it may go in a new batch.
                var expired = CallFailure(.timeout, "the batch expired (its 24 h completion window passed) before this request ran (batch_expired)")
                expired.expired = true
                return .failure(expired)
            }
            let failureClass: FailureClass = code.contains("moderation") || code.contains("content_policy") ? .content_policy : .server_error
            return .failure(CallFailure(failureClass, message + (code.isEmpty ? "" : " (\(code))")))
        }
        var status = 0
        if case .int(let s)? = entry["response"]?["status_code"] { status = s }
        let body = entry["response"]?["body"]
        guard status == 200 else { return .failure(Self.failure(status: status, body: body)) }
        guard case .array(let data)? = body?["data"], let first = data.first else {
            return .failure(CallFailure(.invalid_output, "the batch's answer has no data[] with an image"))
        }
        do throws(CallFailure) {
            return .success(try await ImagePayload.image(in: first, transport: transport, timeout: timeout))
        } catch {
            return .failure(error)
        }
    }

    func cancelBatch(_ batch: RemoteBatch, timeout: Double) async {
        _ = try? await transport.send(.POST, baseURL + "/batches/" + batch.id + "/cancel", headers: authorization, timeout: timeout)
    }
}
