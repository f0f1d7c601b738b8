import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// An HTTP answer, whatever its status.
public struct HTTPReply: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        HeaderList.value(name, in: headers)
    }

    public var json: JSONValue? { try? JSONParser.parse(body) }
}

/// Sees every request a transport sends and every answer it gets: a provider's rate control
/// reads the limits each answer states.
public protocol ReplyObserver: Sendable {
    /// A request is about to go out; the number identifies it in `answered`.
    func sending() -> Int
    func answered(_ request: Int, _ reply: HTTPReply)
}

/// The one HTTP client of a run (async-http-client, pooled), with failures mapped to classes.
public final class HTTPTransport: Sendable {
    /// Larger answers are refused rather than held in memory: a 4K PNG as base64 is ~30 MB.
    public static let maximumResponseBytes = 128 * 1024 * 1024

    package let client: HTTPClient
    private let observer: (any ReplyObserver)?
    /// A view made by `observed(by:)` shares its parent's client and does not shut it down.
    private let ownsClient: Bool

    /// `connectionsPerHost` should cover the most calls a run keeps in flight to one host.
    public init(connectionsPerHost: Int) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, connectionsPerHost))
        // A refused connection is a `network` failure now, for the retry policy to handle;
        // AHC would otherwise keep trying until the attempt's whole timeout has passed.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(10))
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        observer = nil
        ownsClient = true
    }

    private init(client: HTTPClient, observer: any ReplyObserver) {
        self.client = client
        self.observer = observer
        ownsClient = false
    }

    /// The same client, with every request and answer shown to `observer`.
    public func observed(by observer: any ReplyObserver) -> HTTPTransport {
        HTTPTransport(client: client, observer: observer)
    }

    public func shutdown() async {
        guard ownsClient else { return }
        try? await client.shutdown()
    }

    /// For a setup that fails before any request (not from an event loop): the client must be
    /// shut down before it goes away.
    public func shutdownNow() {
        guard ownsClient else { return }
        try? client.syncShutdown()
    }

    /// Sends one request and collects the whole answer on the event loop, so that a call costs
    /// one hop back to the caller's task (the streaming API pays one per body chunk).
    public func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
                     timeout: Double) async throws(CallFailure) -> HTTPReply {
        try await send(method, url, headers: headers, streamed: body.map { .bytes($0) }, timeout: timeout)
    }

    /// `send` with a body made of pieces, files among them read as they are sent.
    public func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], pieces: [BodyPiece],
                     timeout: Double) async throws(CallFailure) -> HTTPReply {
        guard let body = BodyPiece.body(pieces) else { throw CallFailure(.local_error, "cannot read the file of a request's body") }
        return try await send(method, url, headers: headers, streamed: body, timeout: timeout)
    }

    private func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)], streamed body: HTTPClient.Body?,
                      timeout: Double) async throws(CallFailure) -> HTTPReply {
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: url, method: method, headers: HTTPHeaders(headers), body: body)
        } catch {
            throw CallFailure(.bad_request, "invalid URL \(url): \(error)")
        }
        let deadline = NIODeadline.now() + .nanoseconds(Int64(max(0.001, timeout) * 1e9))
        let accumulator = ResponseAccumulator(request: request, maxBodySize: Self.maximumResponseBytes)
        let ticket = observer?.sending()
        let task = client.execute(request: request, delegate: accumulator, deadline: deadline)
        do {
            let response = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
            let reply = HTTPReply(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                                  body: response.body.map { Array($0.readableBytesView) } ?? [])
            if let observer, let ticket { observer.answered(ticket, reply) }
            return reply
        } catch {
            throw Self.classify(error, url: url, timeout: timeout)
        }
    }

    /// Streams a (large) answer's body into the file at `path`, never holding it whole: a batch's
    /// output file of full-size images runs to gigabytes. Returns the status and the bytes written.
    public func download(_ url: String, headers: [(String, String)] = [], to path: String, timeout: Double) async throws(CallFailure) -> (status: Int, bytes: Int) {
        var request = HTTPClientRequest(url: url)
        request.headers = HTTPHeaders(headers)
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(max(0.001, timeout) * 1e9)))
            let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                let code = errno
                throw Self.unwritable(path, reason: String(cString: strerror(code)), errno: code)
            }
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
            var closed = false
            defer { if !closed { try? handle.close() } }
            var total = 0
            do {
                for try await buffer in response.body {
                    do {
                        try handle.write(contentsOf: Data(buffer.readableBytesView))
                    } catch {
                        throw Self.unwritable(path, reason: error.localizedDescription, errno: LocalFault.posixCode(of: error))
                    }
                    total += buffer.readableBytes
                }
                // A full disk may only say so when the file is closed (NFS, quotas): kept whole or not at all.
                closed = true
                try handle.close()
            } catch let failure as CallFailure {
                throw failure
            } catch where closed {
                throw Self.unwritable(path, reason: error.localizedDescription, errno: LocalFault.posixCode(of: error))
            }
            return (Int(response.status.code), total)
        } catch let failure as CallFailure {
            throw failure
        } catch {
            throw Self.classify(error, url: url, timeout: timeout)
        }
    }

    /// A download this machine cannot keep (a full disk): its fault, not the network's, so that
    /// the run stops instead of downloading it again and again.
    private static func unwritable(_ path: String, reason: String, errno code: Int32?) -> CallFailure {
        var failure = CallFailure(.local_error, "cannot write \(path): \(reason)")
        let directory = (path as NSString).deletingLastPathComponent
        failure.localFault = code.flatMap { LocalFault(errno: $0, place: directory) } ?? LocalFault(kind: .io, place: directory, reason: reason)
        return failure
    }

    /// `host:port`, the port spelled out even when the scheme implies it.
    static func hostAndPort(_ url: String) -> String {
        guard let components = URL(string: url), let host = components.host else { return url }
        let port = components.port ?? (components.scheme?.lowercased() == "https" ? 443 : 80)
        return "\(host):\(port)"
    }

    /// Turns a client or socket error into a failure class and a message without secrets.
    package static func classify(_ error: Error, url: String, timeout: Double) -> CallFailure {
        let host = URL(string: url)?.host ?? url
        if error is CancellationError { return CallFailure(.cancelled, "cancelled") }
        if let e = error as? HTTPClientError {
            if [.deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout].contains(e) {
                return CallFailure(.timeout, "no answer from \(host) within \(DurationText.format(timeout))")
            }
            if e == .cancelled { return CallFailure(.cancelled, "cancelled") }
            if e == .remoteConnectionClosed { return CallFailure(.network, "\(host) closed the connection") }
            if [.invalidURL, .emptyHost, .emptyScheme].contains(e) { return CallFailure(.bad_request, "invalid URL for \(host): \(e)") }
            return CallFailure(.network, "\(host): \(e)")
        }
        if error is NIOTooManyBytesError || error is ResponseAccumulator.ResponseTooBigError {
            return CallFailure(.invalid_output, "the answer from \(host) is larger than \(maximumResponseBytes / 1_048_576) MiB")
        }
        // NIO's connection errors ("connection refused", resets) carry the socket error in their text.
        let text = "\(error)"
        if (error as? IOError)?.errnoCode == ECONNREFUSED || text.contains("Connection refused") || text.contains("connectionRefused") {
            var failure = CallFailure(.network, "cannot connect to \(Self.hostAndPort(url)) (connection refused)")
            failure.unreachable = true
            return failure
        }
        if text.contains("dnsAError") || text.contains("dnsAAAAError") || text.contains("Name or service not known") || text.contains("nodename nor servname") {
            var failure = CallFailure(.network, "cannot find the host \(host) (DNS lookup failed)")
            failure.unreachable = true
            return failure
        }
        return CallFailure(.network, "\(host): \(error)")
    }
}
