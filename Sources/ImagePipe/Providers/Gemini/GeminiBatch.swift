import Foundation

/// The Gemini API's Batch Mode: `batchGenerateContent` with the requests inline when the body
/// fits in 20 MB, else as a JSON Lines file (`{"key", "request"}` per line) sent through the
/// Files API's resumable upload; the batch is a long-running operation named `batches/…`, found
/// again by its display name (which carries imagepipe's chunk id: creation is not idempotent),
/// polled on `metadata.state` (`BATCH_STATE_*`, or the SDK's `JOB_STATE_*` spelling), and read
/// from its inline responses or its responses file, joined on the key.
extension GeminiProvider: BatchImageProvider {
    static let displayPrefix = "imagepipe "

    /// Up to 2 GB per input file; imagepipe keeps a little of each waiting line's unit in memory,
    /// so it sends at most 50,000 per batch, as for OpenAI.
    var batchLimits: BatchLimits { BatchLimits(maxRequests: 50_000, maxBytes: 2_000_000_000) }

    private var keyHeader: [(String, String)] { apiKey.map { [("x-goog-api-key", $0)] } ?? [] }

    func batchLine(_ request: ImageRequest, customID: String) throws(CallFailure) -> [UInt8] {
        guard request.inputImage == nil else {
            throw CallFailure(.bad_request, "an edit's input image does not go in a batch line (set 'batch: false' on this stage)")
        }
        return Array(JSONValue.object([("key", .string(customID)), ("request", Self.body(request))]).serialized(pretty: false).utf8)
    }

    /// The display name: the pipeline and stage for a person reading the console, the chunk last.
    static func displayName(chunk: String, metadata: [(String, String)]) -> String {
        let named = metadata.filter { $0.0 == "pipeline" || $0.0 == "stage" }.map(\.1).joined(separator: "/")
        return displayPrefix + (named.isEmpty ? "" : String(named.prefix(64)) + " ") + chunk
    }

    func createBatch(input path: String, bytes: Int, chunk: String, model: String, metadata: [(String, String)], timeout: Double) async throws(CallFailure) -> RemoteBatch {
        let display = Self.displayName(chunk: chunk, metadata: metadata)
        if bytes > inlineLimit {
            // The inline body is larger than its lines: past the limit, never built.
            return try await create(input: .object([("file_name", .string(try await upload(path, bytes: bytes, display: display, timeout: timeout)))]),
                                    display: display, chunk: chunk, model: model, timeout: timeout)
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw CallFailure(.local_error, "cannot read the batch's input at \(path)") }
        let lines = Array(data)
        var requests: [JSONValue] = []
        for raw in lines.split(separator: UInt8(ascii: "\n")) {
            guard let line = try? JSONParser.parse(Array(raw)), let key = line["key"], let request = line["request"] else {
                throw CallFailure(.local_error, "a batch line is not the JSON imagepipe wrote")
            }
            requests.append(.object([("request", request), ("metadata", .object([("key", key)]))]))
        }
        let inline = JSONValue.object([("requests", .object([("requests", .array(requests))]))])
        requests = []
        if Self.createBody(input: inline, display: display).count > inlineLimit {
            return try await create(input: .object([("file_name", .string(try await upload(path, bytes: bytes, display: display, timeout: timeout)))]),
                                    display: display, chunk: chunk, model: model, timeout: timeout)
        }
        return try await create(input: inline, display: display, chunk: chunk, model: model, timeout: timeout)
    }

    private static func createBody(input: JSONValue, display: String) -> [UInt8] {
        Array(JSONValue.object([("batch", .object([("display_name", .string(display)), ("input_config", input)]))]).serialized(pretty: false).utf8)
    }

    private func create(input: JSONValue, display: String, chunk: String, model: String, timeout: Double) async throws(CallFailure) -> RemoteBatch {
        let reply = try await transport.send(.POST, "\(baseURL)/v1beta/models/\(Self.pathModel(model)):batchGenerateContent",
                                             headers: keyHeader + [("Content-Type", "application/json")], body: Self.createBody(input: input, display: display),
                                             timeout: timeout)
        guard reply.status == 200 else { throw Self.failure(reply) }
        guard let name = reply.json?["name"]?.stringValue else { throw CallFailure(.invalid_output, "the batch's answer has no name") }
        return RemoteBatch(id: name, chunk: chunk)
    }

    /// The Files API's resumable protocol in one piece: start (size and type), then upload and finalize.
    private func upload(_ path: String, bytes: Int, display: String, timeout: Double) async throws(CallFailure) -> String {
        let start = try await transport.send(.POST, "\(baseURL)/upload/v1beta/files", headers: keyHeader + [
            ("Content-Type", "application/json"), ("X-Goog-Upload-Protocol", "resumable"), ("X-Goog-Upload-Command", "start"),
            ("X-Goog-Upload-Header-Content-Length", String(bytes)), ("X-Goog-Upload-Header-Content-Type", "application/jsonl"),
        ], body: Array(JSONValue.object([("file", .object([("display_name", .string(display)), ("mime_type", .string("application/jsonl"))]))])
            .serialized(pretty: false).utf8), timeout: timeout)
        guard start.status == 200 else { throw Self.failure(start) }
        guard let url = start.header("x-goog-upload-url") else { throw CallFailure(.invalid_output, "the upload's start has no x-goog-upload-url") }
        let done = try await transport.send(.POST, url, headers: keyHeader + [("X-Goog-Upload-Command", "upload, finalize"), ("X-Goog-Upload-Offset", "0")],
                                            pieces: [.file(path)], timeout: timeout)
        guard done.status == 200 else { throw Self.failure(done) }
        guard let name = done.json?["file"]?["name"]?.stringValue else { throw CallFailure(.invalid_output, "the upload's answer has no file name") }
        return name
    }

    /// Pages through the batch list (100 a page, up to 2,000) for the display name ending in the chunk.
    func findBatch(chunk: String, timeout: Double) async throws(CallFailure) -> RemoteBatch? {
        var token: String?
        for _ in 0..<20 {
            let url = "\(baseURL)/v1beta/batches?pageSize=100" + (token.map { "&pageToken=" + URLValueEncoding.component($0) } ?? "")
            let reply = try await transport.send(.GET, url, headers: keyHeader, timeout: timeout)
            guard reply.status == 200 else { throw Self.failure(reply) }
            guard case .array(let operations)? = reply.json?["operations"] else { return nil }
            for operation in operations {
                guard let display = operation["metadata"]?["displayName"]?.stringValue, display.hasPrefix(Self.displayPrefix),
                      display.hasSuffix(" " + chunk), let name = operation["name"]?.stringValue else { continue }
                return RemoteBatch(id: name, chunk: chunk)
            }
            guard let next = reply.json?["nextPageToken"]?.stringValue, !next.isEmpty else { return nil }
            token = next
        }
        return nil
    }

    func batchState(_ batch: RemoteBatch, timeout: Double) async throws(CallFailure) -> BatchState {
        let reply = try await transport.send(.GET, "\(baseURL)/v1beta/\(batch.id)", headers: keyHeader, timeout: timeout)
        guard reply.status == 200 else { throw Self.failure(reply) }
        guard let operation = reply.json else { throw CallFailure(.invalid_output, "the batch's answer is not JSON") }
        return Self.state(of: operation, id: batch.id)
    }

    /// The operation's state, in either spelling (`BATCH_STATE_*` on the wire, `JOB_STATE_*` in the SDKs' docs).
    static func state(of operation: JSONValue, id: String) -> BatchState {
        let raw = operation["metadata"]?["state"]?.stringValue ?? "BATCH_STATE_UNSPECIFIED"
        let state = raw.hasPrefix("JOB_STATE_") ? "BATCH_STATE_" + raw.dropFirst("JOB_STATE_".count) : raw
        func count(_ name: String) -> Int {
            guard let value = operation["metadata"]?["batchStats"]?[name] else { return 0 }
            if case .int(let n) = value { return n }
            return value.stringValue.flatMap { Int($0) } ?? 0
        }
        switch state {
        case "BATCH_STATE_SUCCEEDED", "BATCH_STATE_PARTIALLY_SUCCEEDED":
            return .ended(status: "succeeded", reason: "batch \(id) succeeded without a result for this request")
        case "BATCH_STATE_EXPIRED":
            return .ended(status: "expired", reason: "batch \(id) expired (it waited 48 h) before this request ran; Google keeps no results of an expired batch",
                          expired: true)
        case "BATCH_STATE_CANCELLED":
            return .ended(status: "cancelled", reason: "batch \(id) was cancelled before this request ran")
        case "BATCH_STATE_FAILED":
            return .failed("batch \(id) failed" + (operation["error"]?["message"]?.stringValue.map { ": " + $0 } ?? ""))
        default:
            return .running(status: state, completed: count("successfulRequestCount"), failed: count("failedRequestCount"), total: count("requestCount"))
        }
    }

    /// The operation is read to disk (inline responses hold every image), then its responses are
    /// indexed where they lie; or its responses file is downloaded and indexed by line.
    func batchResults(_ batch: RemoteBatch, directory: String, timeout: Double) async throws(CallFailure) -> any BatchResultSet {
        let safe = batch.id.replacingOccurrences(of: "/", with: "-")
        let operationPath = directory + "/" + safe + ".json"
        let got = try await transport.download("\(baseURL)/v1beta/\(batch.id)", headers: keyHeader, to: operationPath, timeout: timeout)
        guard got.status == 200 else { throw downloadFailure(got.status, operationPath) }
        var files = [operationPath]
        // A responses file is named near the top of a small operation; inline responses make it large.
        let file: String? = got.bytes < 1 << 20 ? (try? JSONParser.parse(Array(FileManager.default.contents(atPath: operationPath) ?? Data()))).flatMap {
            ($0["response"]?["responsesFile"] ?? $0["metadata"]?["output"]?["responsesFile"])?.stringValue
        } : nil
        if let file {
            let path = directory + "/" + safe + "-responses.jsonl"
            let download = try await transport.download("\(baseURL)/download/v1beta/\(file):download?alt=media", headers: keyHeader, to: path, timeout: timeout)
            guard download.status == 200 else { throw downloadFailure(download.status, path) }
            files.append(path)
        }
        let index = try BatchResultIndex(directory: directory)
        do throws(CallFailure) {
            try index.fill { add in
                if let path = files.dropFirst().first {
                    try JSONEntryScanner.lines(of: path, id: { $0["key"]?.stringValue }, into: add)
                } else {
                    try JSONEntryScanner.arrayElements(of: operationPath, under: "inlinedResponses", id: { $0["metadata"]?["key"]?.stringValue }, into: add)
                }
            }
        } catch {
            index.discard()
            throw error
        }
        if file == nil, index.isEmpty, got.bytes < 1 << 20,
           let operation = try? JSONParser.parse(Array(FileManager.default.contents(atPath: operationPath) ?? Data())),
           case .ended(let status, _, _) = Self.state(of: operation, id: batch.id), status == "succeeded" {
            // Succeeded, but its output is not there yet: look again rather than fail (and pay for) every line.
            for file in files { try? FileManager.default.removeItem(atPath: file) }
            index.discard()
            throw CallFailure(.server_error, "batch \(batch.id) succeeded but names no responses yet")
        }
        return IndexedBatchResults(files: files, index: index) { entry in Self.lineResult(entry) }
    }

    private func downloadFailure(_ status: Int, _ path: String) -> CallFailure {
        let body = FileManager.default.contents(atPath: path).map { Array($0.prefix(65_536)) } ?? []
        return Self.failure(HTTPReply(status: status, headers: [], body: body))
    }

    /// One response (a file line or an inline entry): its image, or the status that refused it.
    static func lineResult(_ entry: JSONValue) -> BatchLineResult {
        if let error = entry["error"], error != .null {
            var code = 2
            if case .int(let c)? = error["code"] { code = c }
            let (failureClass, name) = failure(rpcCode: code)
            let message = "the batch refused this request: " + (error["message"]?.stringValue ?? "no message") + " (\(error["status"]?.stringValue ?? name))"
            return .failure(CallFailure(failureClass, message))
        }
        guard let response = entry["response"] else { return .failure(CallFailure(.invalid_output, "the batch's entry has neither a response nor an error")) }
        do throws(CallFailure) {
            return .success(try image(in: response))
        } catch {
            return .failure(error)
        }
    }

    /// A line's error is a `google.rpc.Status`: its code is a gRPC code, not an HTTP status (a
    /// code of 100 or more is read as HTTP, should one come).
    static func failure(rpcCode code: Int) -> (FailureClass, String) {
        switch code {
        case 3: return (.bad_request, "INVALID_ARGUMENT")
        case 4: return (.timeout, "DEADLINE_EXCEEDED")
        case 5: return (.bad_request, "NOT_FOUND")
        case 7: return (.auth, "PERMISSION_DENIED")
        case 8: return (.rate_limited, "RESOURCE_EXHAUSTED")
        case 9: return (.bad_request, "FAILED_PRECONDITION")
        case 11: return (.bad_request, "OUT_OF_RANGE")
        case 12: return (.bad_request, "UNIMPLEMENTED")
        case 16: return (.auth, "UNAUTHENTICATED")
        case 1: return (.server_error, "CANCELLED")
        case 10: return (.server_error, "ABORTED")
        case 13: return (.server_error, "INTERNAL")
        case 14: return (.server_error, "UNAVAILABLE")
        case 100...: return (FailureClass.of(status: code), "HTTP \(code)")
        default: return (.server_error, "UNKNOWN")
        }
    }

    func cancelBatch(_ batch: RemoteBatch, timeout: Double) async {
        _ = try? await transport.send(.POST, "\(baseURL)/v1beta/\(batch.id):cancel", headers: keyHeader, timeout: timeout)
    }
}
