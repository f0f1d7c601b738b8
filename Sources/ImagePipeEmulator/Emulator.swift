import Foundation
import ImagePipe
import NIOCore
import NIOHTTP1
import NIOPosix

/// A loopback HTTP server that speaks the OpenAI Images and Gemini `generateContent` wire
/// formats, with configurable latency, errors, hangs, random 429s, a quota with rate headers and safety blocks. Tests and
/// benchmarks run pipelines against it; users try pipelines in CI with it for free.
///
/// Routes: `POST …/images/generations`, `POST …/images/edits` (OpenAI, any prefix such as `/v1`),
/// `POST /v1beta/models/MODEL:generateContent` (Gemini), `GET /_emulator/stats`,
/// `POST /_emulator/reset`, `GET /healthz`.
public final class Emulator: @unchecked Sendable {
    public let configuration: EmulatorConfiguration
    public let stats = EmulatorStats()
    private let images = EmulatorImages()
    private let files = EmulatorFiles()
    private let quota: EmulatorQuota?
    private let group: EventLoopGroup
    private let ownsGroup: Bool
    private var channel: Channel?

    /// `threads` nil shares NIO's process-wide event loops.
    public init(configuration: EmulatorConfiguration, threads: Int? = nil) {
        self.configuration = configuration
        quota = configuration.quota.map { EmulatorQuota(requestsPerSecond: $0.requestsPerSecond, burst: $0.burst) }
        if let threads {
            group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
            ownsGroup = true
        } else {
            group = MultiThreadedEventLoopGroup.singleton
            ownsGroup = false
        }
    }

    /// Binds and starts answering; returns the port.
    @discardableResult
    public func start() async throws -> Int {
        let configuration = self.configuration
        let stats = self.stats
        let images = self.images
        let quota = self.quota
        let files = self.files
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(EmulatorHandler(configuration: configuration, stats: stats, images: images, quota: quota, files: files))
                }
            }
        let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        self.channel = channel
        return channel.localAddress?.port ?? configuration.port
    }

    public var port: Int { channel?.localAddress?.port ?? 0 }

    /// `http://127.0.0.1:PORT`, the Gemini base URL; OpenAI's is this plus `/v1`.
    public var baseURL: String { "http://\(configuration.host):\(port)" }

    public func stop() async {
        try? await channel?.close()
        await stats.webhooks.shutdown()
        if ownsGroup { try? await group.shutdownGracefully() }
    }

    /// Runs until the channel closes (the `emulate` command).
    public func wait() async throws {
        try await channel?.closeFuture.get()
    }
}

extension Emulator {
    /// Why `start()` could not listen, in words with what to do (not NIO's call signature).
    public static func listenFailure(_ error: Error) -> String { ListenFailure.describe(error, option: "--port", anyPort: "--port 0") }
}
