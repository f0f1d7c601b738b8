import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The server of `run --listen`: providers deliver finished jobs to
/// `POST {public_url}/imagepipe/webhooks/{provider}`. Every delivery is checked by its provider's
/// verifier; a forged, replayed or unsigned one gets 401 and changes nothing, one for a job this
/// run does not own gets 404, and a valid one gets 200 at once and hands its signed result to the
/// job's waiter (a lost delivery only delays an item: status requests go on as a fallback).
final class WebhookReceiver: @unchecked Sendable {
    static let pathPrefix = "/imagepipe/webhooks/"

    struct Route: Sendable {
        var queue: JobQueue
        var verifier: any WebhookVerifier
    }

    private let routes: [String: Route]
    private var channel: Channel?
    /// Connections open at once at most; more are closed at once (deliveries are short requests).
    static let maxConnections = 256
    /// A connection that sends nothing for this long is closed.
    static let idleTimeout: TimeAmount = .seconds(30)

    init(routes: [String: Route]) { self.routes = routes }

    /// The callback URL of provider `name` under `publicURL`.
    static func callbackURL(publicURL: String, provider name: String) -> String {
        var base = publicURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + pathPrefix + name
    }

    /// Binds HOST:PORT before the run starts (so that a port in use is a setup error, exit 2);
    /// returns the port (0 picks a free one).
    func bind(host: String, port: Int) throws -> Int {
        let routes = self.routes
        let open = ConnectionCount()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.addHandler(IdleStateHandler(readTimeout: Self.idleTimeout)).flatMap {
                    channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true)
                }.flatMap {
                    channel.pipeline.addHandler(WebhookHandler(routes: routes, open: open))
                }
            }
        let channel = try bootstrap.bind(host: host, port: port).wait()
        self.channel = channel
        return channel.localAddress?.port ?? port
    }

    func stop() async {
        try? await channel?.close()
    }

    /// For a run whose setup failed after the receiver was bound.
    func stopNow() {
        try? channel?.close().wait()
    }

    /// Checks one delivery and says what to answer: (status, body).
    static func handle(path: String, method: HTTPMethod, headers: [(String, String)], body: [UInt8], routes: [String: Route]) async -> (Int, JSONValue) {
        guard method == .POST, path.hasPrefix(pathPrefix), let route = routes[String(path.dropFirst(pathPrefix.count))] else {
            return (404, .object([("error", .string("no webhook route at \(path)"))]))
        }
        let delivery: WebhookDelivery
        do {
            delivery = try await route.verifier.verify(headers: headers, body: body, now: Date())
        } catch {
            route.queue.refusedDelivery()
            return (401, .object([("error", .string("refused: \(error.reason)"))]))
        }
        switch route.queue.deliver(delivery) {
        case .accepted: return (200, .object([("ok", .bool(true))]))
        case .duplicate: return (200, .object([("ok", .bool(true)), ("duplicate", .bool(true))]))
        case .unknownJob:
            route.queue.refusedDelivery()
            return (404, .object([("error", .string("no job of this run has the id \(delivery.jobID)"))]))
        }
    }
}

/// The receiver's open connections.
private final class ConnectionCount: @unchecked Sendable {
    private let lock = NSLock()
    private var open = 0
    func opened() -> Int { lock.withLock { open += 1; return open } }
    func closed() { lock.withLock { open -= 1 } }
}

/// One connection's deliveries.
private final class WebhookHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: [String: WebhookReceiver.Route]
    private let open: ConnectionCount
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    /// Bodies larger than this are refused unread: a delivery is a small JSON document.
    private static let maxBody = 1 << 20

    init(routes: [String: WebhookReceiver.Route], open: ConnectionCount) {
        self.routes = routes
        self.open = open
    }

    func channelActive(context: ChannelHandlerContext) {
        if open.opened() > WebhookReceiver.maxConnections { context.close(promise: nil) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        open.closed()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { return context.close(promise: nil) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = context.channel.allocator.buffer(capacity: 0)
        case .body(var chunk):
            guard (body?.readableBytes ?? 0) + chunk.readableBytes <= Self.maxBody else {
                body = nil
                return
            }
            body?.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            self.head = nil
            guard let bytes = body.map({ Array($0.readableBytesView) }) else {
                return respond(context: context, head: head, status: 413, json: .object([("error", .string("the body is too large"))]))
            }
            body = nil
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            let headers = head.headers.map { ($0.name, $0.value) }
            let routes = self.routes
            let loop = context.eventLoop
            Task {
                let (status, json) = await WebhookReceiver.handle(path: path, method: head.method, headers: headers, body: bytes, routes: routes)
                loop.execute { self.respond(context: context, head: head, status: status, json: json) }
            }
        }
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, status: Int, json: JSONValue) {
        let body = Array(json.serialized(pretty: false).utf8)
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", String(body.count))])
        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: status), headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let keepAlive = head.isKeepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
    }
}
