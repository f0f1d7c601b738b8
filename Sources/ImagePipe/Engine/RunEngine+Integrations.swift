import Foundation
import NIOHTTP1

/// The Integration layer's stages: `s3_upload` (images → object URLs) and `http` (anything → a
/// response). Each is fingerprinted by the request it would send, so a re-run skips what the
/// store or the CMS already has, and a changed key, URL or body sends again.
extension RunEngine {
    func processUpload(_ runtime: StageRuntime, _ incoming: ItemContext) async {
        guard !control.isStopping, case .s3Upload(let spec) = runtime.stage.spec.kind else { return }
        let stage = runtime.stage
        var outcome = ItemOutcome(stage: stage.name, context: incoming, status: .failed)
        let key: String
        let body: [UInt8]
        let contentType: String
        let publicURL: String?
        do throws(CallFailure) {
            guard let rendered = try render(stage.objectKey, incoming), !rendered.isEmpty else { throw CallFailure(.local_error, "the object key is empty") }
            key = rendered
            publicURL = try render(stage.publicURL, incoming)
            guard let file = incoming.outputs.last?.itemValue(StageOutput.fileField), let data = FileManager.default.contents(atPath: file) else {
                throw CallFailure(.local_error, "cannot read the image to upload")
            }
            body = Array(data)
            contentType = spec.contentType ?? (try? ImageInspector.inspect(body))?.format.mimeType ?? "application/octet-stream"
        } catch {
            outcome.failureClass = error.failureClass
            outcome.message = error.message
            return await finish(runtime, outcome, context: incoming, wasInFlight: false, fingerprint: nil)
        }
        let bucket = stage.bucket ?? ""
        // The uploaded image, relative to output_dir like every manifest path.
        outcome.path = incoming.outputs.last?.itemValue(StageOutput.fileField).map { file in
            file.hasPrefix(pipeline.outputDirectory + "/") ? String(file.dropFirst(pipeline.outputDirectory.count + 1)) : file
        }
        outcome.sha256 = SigV4Signer.sha256Hex(body)
        outcome.bytes = body.count
        let fingerprint = Fingerprint.hash(["s3_upload", spec.endpoint ?? "", runtime.uploader?.signer.region ?? "", String(spec.pathStyle), bucket, key,
                                            outcome.sha256!, contentType, spec.cacheControl ?? "", spec.checksum ?? ""])
        let item = incoming.itemID

        var url: String
        var etag: String?
        if !options.isForced(stage.name), let cached = cache.success(stage: stage.name, item: item, fingerprint: fingerprint), let recorded = cached.url {
            outcome.status = .cached
            url = recorded
            etag = cached.response.flatMap { try? JSONParser.parse(Array($0.utf8)) }.flatMap { if case .string(let e)? = $0["etag"] { return e } else { return nil } }
        } else {
            if let only = options.only, only != stage.name { return }
            guard let uploader = runtime.uploader, let gate = runtime.gate else { return }
            let result = await attempts(runtime, gate: gate, price: 0, outcome: &outcome) { () async throws(CallFailure) -> S3Uploader.Uploaded in
                try await uploader.put(key: key, body: body, contentType: contentType, timeout: stage.timeout)
            }
            guard case .success(let uploaded) = result else {
                if case .notStarted = result { return }
                return await finish(runtime, outcome, context: incoming, wasInFlight: true, fingerprint: fingerprint)
            }
            outcome.status = .succeeded
            url = uploaded.url
            etag = uploaded.etag
        }

        let shown = publicURL ?? url
        outcome.url = shown
        outcome.etag = etag
        outcome.response = JSONValue.object([("bucket", .string(bucket)), ("key", .string(key)), ("etag", etag.map(JSONValue.string) ?? .null)])
            .serialized(pretty: false)
        if outcome.status == .succeeded {
            var recorded = ledgerCopy(outcome)
            recorded.url = url
            await writer?.record(LedgerEntry(outcome: recorded, item: item, fingerprint: fingerprint, finishedAt: Date().timeIntervalSince1970))
            // The slot held since the upload succeeded goes back once the ledger has it.
            runtime.slots.release()
        }
        await finish(runtime, outcome, context: incoming, wasInFlight: outcome.status == .succeeded, fingerprint: nil, record: false)
        guard !runtime.children.isEmpty else { return }
        var context = incoming
        context.outputs.append(StageOutput(stage: stage.name, values: [("url", shown), ("bucket", bucket), ("key", key), ("etag", etag ?? "")],
                                           constants: runtime.constants))
        await send(context, to: runtime.children)
    }

    func processHTTP(_ runtime: StageRuntime, _ incoming: ItemContext) async {
        guard !control.isStopping, case .http(let spec) = runtime.stage.spec.kind else { return }
        let stage = runtime.stage
        var outcome = ItemOutcome(stage: stage.name, context: incoming, status: .failed)
        let url: String
        var headers: [(String, String)] = []
        var body: [UInt8]?
        do throws(CallFailure) {
            guard let rendered = try render(stage.url, incoming) else { throw CallFailure(.local_error, "the URL is empty") }
            url = rendered
            for (name, template) in stage.headers {
                headers.append((name, try render(template, incoming) ?? ""))
            }
            if let json = stage.json {
                do {
                    body = Array(try json.render(fields: incoming).serialized(pretty: false).utf8)
                } catch {
                    throw CallFailure(.local_error, "the item has no field '\(error.path)' for the JSON body")
                }
                if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { headers.append(("Content-Type", "application/json")) }
            }
        } catch {
            outcome.failureClass = error.failureClass
            outcome.message = error.message
            return await finish(runtime, outcome, context: incoming, wasInFlight: false, fingerprint: nil)
        }
        outcome.url = url
        let fingerprint = Fingerprint.hash(["http", spec.method, url] + headers.flatMap { [$0.0.lowercased(), $0.1] } + [body.map { String(decoding: $0, as: UTF8.self) } ?? "\u{0}"])
        let item = incoming.itemID

        var status: Int
        var answer: JSONValue?
        if !options.isForced(stage.name), let cached = cache.success(stage: stage.name, item: item, fingerprint: fingerprint),
           let recorded = cached.response.flatMap({ try? JSONParser.parse(Array($0.utf8)) }) {
            outcome.status = .cached
            if case .int(let s)? = recorded["status"] { status = s } else { status = 200 }
            answer = recorded["json"].flatMap { $0 == .null ? nil : $0 }
        } else {
            if let only = options.only, only != stage.name { return }
            guard let gate = runtime.gate else { return }
            let transport = self.transport
            let method = HTTPMethod(rawValue: spec.method)
            let success = spec.success
            let result = await attempts(runtime, gate: gate, price: 0, outcome: &outcome) { () async throws(CallFailure) -> HTTPReply in
                let reply = try await transport.send(method, url, headers: headers, body: body, timeout: stage.timeout)
                let ok = success.map { $0.contains(reply.status) } ?? (200..<300).contains(reply.status)
                guard ok else {
                    let text = String(decoding: reply.body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    var failure = CallFailure(FailureClass.of(status: reply.status), "HTTP \(reply.status)" + (text.isEmpty ? "" : ": \(text)"),
                                              retryAfter: RetryAfter.seconds(headers: reply.headers), status: reply.status)
                    if success != nil, (200..<300).contains(reply.status) { failure.failureClass = .bad_request }
                    throw failure
                }
                return reply
            }
            guard case .success(let reply) = result else {
                if case .notStarted = result { return }
                return await finish(runtime, outcome, context: incoming, wasInFlight: true, fingerprint: fingerprint)
            }
            outcome.status = .succeeded
            status = reply.status
            answer = reply.body.isEmpty ? nil : reply.json
        }

        outcome.httpStatus = status
        outcome.response = JSONValue.object([("status", .int(status)), ("json", answer ?? .null)]).serialized(pretty: false)
        if outcome.status == .succeeded {
            await writer?.record(LedgerEntry(outcome: ledgerCopy(outcome), item: item, fingerprint: fingerprint, finishedAt: Date().timeIntervalSince1970))
            runtime.slots.release()
        }
        await finish(runtime, outcome, context: incoming, wasInFlight: outcome.status == .succeeded, fingerprint: nil, record: false)
        guard !runtime.children.isEmpty else { return }
        var context = incoming
        context.outputs.append(StageOutput(stage: stage.name, values: [("status", String(status)), ("json", answer.map { $0.serialized(pretty: false) } ?? "")],
                                           constants: runtime.constants, json: answer))
        await send(context, to: runtime.children)
    }
}
