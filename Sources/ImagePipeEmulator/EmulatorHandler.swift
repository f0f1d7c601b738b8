import Foundation
import ImagePipe
import NIOCore
import NIOHTTP1

/// One connection's requests: routes them, decides, and answers after the configured latency.
final class EmulatorHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let configuration: EmulatorConfiguration
    let stats: EmulatorStats
    let images: EmulatorImages
    private let quota: EmulatorQuota?
    let files: EmulatorFiles
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    /// A generation request counted in flight and not yet answered (hanging or waiting).
    var pending = false

    init(configuration: EmulatorConfiguration, stats: EmulatorStats, images: EmulatorImages, quota: EmulatorQuota?, files: EmulatorFiles) {
        self.configuration = configuration
        self.files = files
        self.quota = quota
        self.stats = stats
        self.images = images
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = context.channel.allocator.buffer(capacity: 0)
        case .body(var chunk):
            body?.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            let bytes = body.map { Array($0.readableBytesView) } ?? []
            self.head = nil
            body = nil
            route(context: context, head: head, body: bytes)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if pending {
            pending = false
            stats.abandoned()
        }
        context.fireChannelInactive()
    }

    private func route(context: ChannelHandlerContext, head: HTTPRequestHead, body: [UInt8]) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let headers = head.headers.map { ($0.name, $0.value) }
        switch (head.method, path) {
        case (.GET, "/_emulator/stats"):
            return send(context: context, head: head, EmulatorAnswer(status: 200, json: stats.json), counted: false)
        case (.POST, "/_emulator/reset"):
            stats.reset()
            return send(context: context, head: head, EmulatorAnswer(status: 200, json: .object([("ok", .bool(true))])), counted: false)
        case (.GET, "/healthz"):
            return send(context: context, head: head, EmulatorAnswer(status: 200, json: .object([("ok", .bool(true))])), counted: false)
        default:
            break
        }
        if path.hasPrefix("/capture/") { return capture(context: context, head: head, path: path, headers: headers, body: body) }
        if head.method == .GET, path.hasPrefix("/files/") {
            guard let bytes = files.take(path: path) else {
                return send(context: context, head: head, EmulatorAnswer(status: 404, json: .object([("error", .string("no such file (each is served once)"))])), counted: false)
            }
            var answer = EmulatorAnswer(status: 200, json: .null)
            answer.headers = [("Content-Type", "image/png")]
            answer.body = bytes
            return send(context: context, head: head, answer, counted: false)
        }
        if routeQueue(context: context, head: head, path: path, headers: headers, body: body) { return }
        if routeBatch(context: context, head: head, path: path, headers: headers, body: body) { return }
        if routeGeminiBatch(context: context, head: head, path: path, headers: headers, body: body) { return }
        let wire: WireFormat
        var model = ""
        if head.method == .POST, path.hasSuffix("/api/v3/images/generations") {
            // Seedream (ModelArk's paths end like OpenAI's, under /api/v3).
            let base = "http://\(configuration.host):\(context.channel.localAddress?.port ?? configuration.port)"
            wire = SeedreamWire(body: body, publish: { [files] bytes in base + files.put(bytes) })
        } else if head.method == .POST, path.hasSuffix("/images/generations") || path.hasSuffix("/images/edits") {
            wire = OpenAIWire()
        } else if head.method == .POST, path.hasPrefix("/v1beta/models/"), path.hasSuffix(":generateContent") {
            wire = GeminiWire()
            model = String(path.dropFirst("/v1beta/models/".count).dropLast(":generateContent".count))
        } else {
            return send(context: context, head: head, EmulatorAnswer(status: 404, json: .object([("error", .object([
                ("message", .string("no route for \(head.method) \(path)")), ("code", .int(404)),
            ]))])), counted: false)
        }
        let contentType = head.headers.first(name: "Content-Type")
        guard let request = wire.parse(body: body, contentType: contentType) else {
            return send(context: context, head: head, wire.malformed("the request has no prompt"), counted: false)
        }
        if model.isEmpty, let json = try? JSONParser.parse(body), case .string(let m)? = json["model"] { model = m }
        if path.hasSuffix("/images/edits"), !request.hasImage {
            return send(context: context, head: head, wire.malformed("an edit needs an image"), counted: false)
        }
        let attempt = stats.arrived(prompt: request.prompt)
        pending = true
        let (decision, reading) = EmulatorDecision.decideWithQuota(prompt: request.prompt, attempt: attempt,
                                                                   keyAccepted: wire.keyAccepted(headers: headers, expected: configuration.apiKey),
                                                                   configuration: configuration, stats: stats, quota: quota)
        if decision == .hang { return }
        let size = configuration.imageSize ?? request.size ?? ImageSize(width: 1024, height: 1024)
        let image: () -> [UInt8] = decision == .garbage
            ? { Array("<html>upstream error</html>".utf8) }
            : { self.images.png(prompt: request.prompt, size: size, label: self.configuration.labels ? [String(request.prompt.prefix(24)), model] : nil) }
        let delay = configuration.latency + (configuration.latencyJitter > 0 ? Double.random(in: 0...configuration.latencyJitter) : 0)
        let due = NIODeadline.now() + .nanoseconds(Int64(delay * 1e9))
        let rateHeaders = reading.map { wire.rateHeaders($0) } ?? []
        let respond = { (answer: EmulatorAnswer) in
            var answer = answer
            answer.headers += rateHeaders
            _ = context.eventLoop.scheduleTask(deadline: due) { self.send(context: context, head: head, answer, counted: true) }
        }
        let shown = decision == .garbage ? EmulatorDecision.image : decision
        if size.width * size.height <= Self.smallImage {
            respond(wire.answer(shown, image: image, model: model))
        } else {
            // A large image takes a while to draw: off the event loop, so that other requests
            // (and their timestamps) are not held up behind it.
            let eventLoop = context.eventLoop
            let model = model
            DispatchQueue.global().async {
                let answer = wire.answer(shown, image: image, model: model)
                eventLoop.execute { respond(answer) }
            }
        }
    }

    /// Pixels drawn on the event loop itself; larger images are drawn on another thread.
    static let smallImage = 128 * 128

    /// A stand-in CMS or Slack: every request is kept; Slack-like paths answer `ok` as text,
    /// others a JSON document with an id. A path with `/flaky-503/` answers its first request
    /// with 503 and `Retry-After: 0`, `/flaky-429/` with 429; `/echo/` answers with the JSON it was sent
    /// (a CMS that returns what it stored).
    private func capture(context: ChannelHandlerContext, head: HTTPRequestHead, path: String, headers: [(String, String)], body: [UInt8]) {
        let query = head.uri.firstIndex(of: "?").map { String(head.uri[head.uri.index(after: $0)...]) }
        let seen = stats.capture(.init(method: head.method.rawValue, path: path, query: query, headers: headers, body: String(decoding: body, as: UTF8.self)))
        for status in [503, 429] where path.contains("/flaky-\(status)/") && seen == 1 {
            var answer = EmulatorAnswer(status: status, json: .object([("error", .string("try again"))]))
            answer.headers.append(("Retry-After", "0"))
            return send(context: context, head: head, answer, counted: false)
        }
        if path.contains("/slack") {
            var answer = EmulatorAnswer(status: 200, json: .null)
            answer.headers = [("Content-Type", "text/plain")]
            answer.body = Array("ok".utf8)
            return send(context: context, head: head, answer, counted: false)
        }
        if path.contains("/echo/"), let stored = try? JSONParser.parse(body) {
            return send(context: context, head: head, EmulatorAnswer(status: 200, json: stored), counted: false)
        }
        send(context: context, head: head, EmulatorAnswer(status: 200, json: .object([("ok", .bool(true)), ("id", .int(seen * 1000 + path.count))])), counted: false)
    }

    func send(context: ChannelHandlerContext, head: HTTPRequestHead, _ answer: EmulatorAnswer, counted: Bool) {
        if counted {
            guard pending else { return }  // the client went away meanwhile
            pending = false
            stats.answered(status: answer.status)
        }
        var headers = HTTPHeaders(answer.headers)
        headers.add(name: "Content-Length", value: String(answer.body.count))
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let responseHead = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: answer.status), headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: answer.body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
    }
}
