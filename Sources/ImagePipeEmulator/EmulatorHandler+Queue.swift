import Foundation
import ImagePipe
import NIOCore
import NIOHTTP1

extension EmulatorHandler {
    /// fal's and Replicate's queue routes; false when the request is for neither.
    func routeQueue(context: ChannelHandlerContext, head: HTTPRequestHead, path: String, headers: [(String, String)], body: [UInt8]) -> Bool {
        let base = "http://\(configuration.host):\(context.channel.localAddress?.port ?? configuration.port)"
        if head.method == .GET, path == "/fal/.well-known/jwks.json" {
            send(context: context, head: head, EmulatorAnswer(status: 200, json: EmulatorWebhooks.jwks), counted: false)
            return true
        }
        if head.method == .GET, path == "/v1/webhooks/default/secret" {
            send(context: context, head: head, EmulatorAnswer(status: 200, json: .object([("key", .string(configuration.webhookSecret))])), counted: false)
            return true
        }
        if path.hasPrefix("/fal/") {
            let wire = FalQueueWire()
            let rest = String(path.dropFirst("/fal/".count))
            let parts = rest.split(separator: "/").map(String.init)
            if parts.count >= 4, parts[2] == "requests" {
                let id = parts[3]
                switch (head.method, parts.count > 4 ? parts[4] : "") {
                case (.GET, "status"):
                    poll(context: context, head: head, headers: headers, id: id, wire: wire, result: false) { wire.status($0, state: $1, base: base, image: $2) }
                case (.GET, ""):
                    poll(context: context, head: head, headers: headers, id: id, wire: wire, result: true) { job, state, image in wire.result(job, state: state, image: image) }
                case (.PUT, "cancel"):
                    guard stats.jobs.state(of: id) != nil else { send(context: context, head: head, wire.notFound(id), counted: false); break }
                    send(context: context, head: head, wire.cancelled(!stats.jobs.cancel(id)), counted: false)
                default:
                    send(context: context, head: head, wire.notFound(id), counted: false)
                }
            } else if head.method == .POST {
                submit(context: context, head: head, headers: headers, body: body, wire: wire, model: rest, base: base)
            } else {
                send(context: context, head: head, wire.notFound(rest), counted: false)
            }
            return true
        }
        let wire = ReplicateQueueWire()
        if head.method == .POST, path.hasPrefix("/v1/models/"), path.hasSuffix("/predictions") {
            let model = String(path.dropFirst("/v1/models/".count).dropLast("/predictions".count))
            submit(context: context, head: head, headers: headers, body: body, wire: wire, model: model, base: base)
            return true
        }
        guard path.hasPrefix("/v1/predictions") else { return false }
        let parts = path.split(separator: "/").map(String.init)  // v1, predictions, id, cancel
        switch (head.method, parts.count) {
        case (.POST, 2):
            var model = "version"
            if let json = try? JSONParser.parse(body), case .string(let version)? = json["version"] { model = version }
            submit(context: context, head: head, headers: headers, body: body, wire: wire, model: model, base: base)
        case (.GET, 3):
            poll(context: context, head: head, headers: headers, id: parts[2], wire: wire, result: false) { wire.status($0, state: $1, base: base, image: $2) }
        case (.POST, 4) where parts[3] == "cancel":
            _ = stats.jobs.cancel(parts[2])
            guard let found = stats.jobs.state(of: parts[2]) else { send(context: context, head: head, wire.notFound(parts[2]), counted: false); break }
            send(context: context, head: head, wire.status(found.job, state: found.state, base: base, image: { "" }), counted: false)
        default:
            send(context: context, head: head, wire.notFound(path), counted: false)
        }
        return true
    }

    /// A submit: counted and decided like any generation request; a job when taken. Replicate's
    /// `Prefer: wait=N` holds the answer until the job is done, at most N seconds.
    private func submit(context: ChannelHandlerContext, head: HTTPRequestHead, headers: [(String, String)], body: [UInt8], wire: QueueWire,
                        model: String, base: String) {
        guard let json = try? JSONParser.parse(body), let request = wire.parse(json) else {
            return send(context: context, head: head, wire.refused(.status(422, retryAfter: nil)), counted: false)
        }
        let attempt = stats.arrived(prompt: request.prompt)
        pending = true
        let (decision, _) = EmulatorDecision.decideWithQuota(prompt: request.prompt, attempt: attempt,
                                                             keyAccepted: wire.keyAccepted(headers: headers, expected: configuration.apiKey),
                                                             configuration: configuration, stats: stats, quota: nil)
        if decision == .hang { return }
        var delay = configuration.latency + (configuration.latencyJitter > 0 ? Double.random(in: 0...configuration.latencyJitter) : 0)
        guard decision == .image || decision == .garbage else {
            let answer = wire.refused(decision)
            _ = context.eventLoop.scheduleTask(in: .nanoseconds(Int64(delay * 1e9))) { self.send(context: context, head: head, answer, counted: true) }
            return
        }
        let size = configuration.imageSize ?? request.size ?? ImageSize(width: 1024, height: 1024)
        let job = stats.jobs.submit(prompt: request.prompt, size: size, model: model, queueTime: configuration.queueTime, attempt: attempt)
        if wire is ReplicateQueueWire, let prefer = HeaderList.value("Prefer", in: headers), prefer.hasPrefix("wait") {
            let asked = prefer.split(separator: "=").dropFirst().first.flatMap { Double($0) } ?? 60
            delay += min(asked, configuration.queueTime)
        }
        if let url = webhook(head: head, json: json, wire: wire) {
            scheduleDelivery(of: job, to: url, wire: wire, base: base)
        }
        _ = context.eventLoop.scheduleTask(in: .nanoseconds(Int64(delay * 1e9))) {
            guard let now = self.stats.jobs.state(of: job.id) else { return }
            self.send(context: context, head: head, wire.submitted(now.job, state: now.state, base: base, image: self.publisher(for: now.job, base: base)),
                      counted: true)
        }
    }

    /// Where the submit asked for its webhook: fal's `fal_webhook` query parameter, Replicate's `webhook` field.
    private func webhook(head: HTTPRequestHead, json: JSONValue, wire: QueueWire) -> String? {
        if wire is ReplicateQueueWire {
            if case .string(let url)? = json["webhook"] { return url }
            return nil
        }
        guard let query = head.uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") where pair.hasPrefix("fal_webhook=") {
            return String(pair.dropFirst("fal_webhook=".count)).removingPercentEncoding
        }
        return nil
    }

    /// The job's delivery when it ends, signed as its API signs it.
    private func scheduleDelivery(of job: EmulatorJobs.Job, to url: String, wire: QueueWire, base: String) {
        let publish = publisher(for: job, base: base)
        let jobs = stats.jobs
        let delay = configuration.queueTime + 0.05
        if wire is ReplicateQueueWire {
            let signer = StandardWebhookSigner(secret: configuration.webhookSecret)
            stats.webhooks.deliver(to: url, after: delay, configuration: configuration, headers: { body in
                [("Content-Type", "application/json")] + signer.headers(id: "msg_" + job.id, timestamp: Int(Date().timeIntervalSince1970), body: body)
            }, body: {
                let state = jobs.state(of: job.id)?.state ?? .done
                return ReplicateQueueWire().status(job, state: state, base: base, image: publish).body
            })
        } else {
            stats.webhooks.deliver(to: url, after: delay, configuration: configuration, headers: { body in
                EmulatorWebhooks.falHeaders(requestID: job.id, body: body, timestamp: Int(Date().timeIntervalSince1970))
            }, body: {
                var fields: [(String, JSONValue)] = [("request_id", .string(job.id)), ("gateway_request_id", .string(job.id))]
                if job.fails {
                    fields += [("status", .string("ERROR")), ("error", .string("Internal server error while running the model")), ("payload", .null)]
                } else {
                    let result = FalQueueWire().result(job, state: .done, image: publish)
                    fields += [("status", .string("OK")), ("payload", (try? JSONParser.parse(result.body)) ?? .null)]
                }
                return Array(JSONValue.object(fields).serialized(pretty: false).utf8)
            })
        }
    }

    /// A status or result request, failing as often as `pollErrorRate` and `pollHangRate` say.
    private func poll(context: ChannelHandlerContext, head: HTTPRequestHead, headers: [(String, String)], id: String, wire: QueueWire, result: Bool,
                      answer: (EmulatorJobs.Job, EmulatorJobs.State, () -> String) -> EmulatorAnswer) {
        let base = "http://\(configuration.host):\(context.channel.localAddress?.port ?? configuration.port)"
        if configuration.pollHangRate > 0, Double.random(in: 0..<1) < configuration.pollHangRate {
            stats.jobs.polled(failed: true, result: result)
            return
        }
        if configuration.pollErrorRate > 0, Double.random(in: 0..<1) < configuration.pollErrorRate {
            stats.jobs.polled(failed: true, result: result)
            return send(context: context, head: head, wire.serverError(), counted: false)
        }
        guard wire.keyAccepted(headers: headers, expected: configuration.apiKey) else {
            stats.jobs.polled(failed: true, result: result)
            return send(context: context, head: head, wire.refused(.unauthorized), counted: false)
        }
        guard let found = stats.jobs.state(of: id) else { return send(context: context, head: head, wire.notFound(id), counted: false) }
        stats.jobs.polled(failed: false, result: result)
        send(context: context, head: head, answer(found.job, found.state, publisher(for: found.job, base: base)), counted: false)
    }

    /// Draws a finished job's picture and serves it once at a URL.
    private func publisher(for job: EmulatorJobs.Job, base: String) -> () -> String {
        { [images, files, configuration] in
            base + files.put(images.png(prompt: job.prompt, size: job.size, label: configuration.labels ? [String(job.prompt.prefix(24)), job.model] : nil))
        }
    }
}
