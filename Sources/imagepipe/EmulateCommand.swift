import ArgumentParser
import Foundation
import ImagePipe
import ImagePipeEmulator

/// A loopback server that speaks the OpenAI and Gemini image APIs, for trying pipelines for free.
struct EmulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulate",
        abstract: "Serve the OpenAI Images and Gemini generateContent APIs on loopback, with made-up images.",
        discussion: """
        Point a provider's base_url at it: openai → http://127.0.0.1:PORT/v1, gemini → http://127.0.0.1:PORT. \
        Prompts can force answers: [[fail:429x2]] (first two requests 429), [[fail:500x1]], [[hang:1]] (first \
        request never answered), [[garbage:1]] (not an image), and the block marker (a safety refusal). GET /_emulator/stats shows requests per \
        prompt, arrival times and the peak in flight. Runs until interrupted.
        """
    )

    @Option(help: "The port (0 picks a free one, printed at start).")
    var port = 8089

    @Option(help: "Delay before each answer, e.g. 50ms or 1s.")
    var latency = "0ms"

    @Option(help: "Extra random delay, from 0 up to this, added to each answer.")
    var jitter = "0ms"

    @Option(help: "Share of requests answered with 500, 0 to 1.")
    var errorRate = 0.0

    @Option(help: "Share of requests never answered, 0 to 1.")
    var hangRate = 0.0

    @Option(help: "Requests per minute past which the answer is 429 with Retry-After.")
    var rateLimitRpm: Double?

    @Option(help: "Prompts containing this text are refused as unsafe.")
    var blockMarker = "[[block]]"

    @Option(help: "The size of the images sent back (WIDTHxHEIGHT), or 'requested'.")
    var imageSize = "64x64"

    @Flag(inversion: .prefixedNo, help: "Draw the prompt's start and the model on each image.")
    var labels = true

    @Option(help: "Require this API key (Bearer for OpenAI, x-goog-api-key for Gemini); by default any key is accepted.")
    var apiKey: String?

    @Option(help: "Event-loop threads.")
    var threads = 1

    func validate() throws {
        guard (0...1).contains(errorRate), (0...1).contains(hangRate) else { throw ValidationError("--error-rate and --hang-rate are between 0 and 1") }
        guard DurationParser.seconds(latency) != nil else { throw ValidationError("--latency: write a duration like 50ms or 1s") }
        guard DurationParser.seconds(jitter) != nil else { throw ValidationError("--jitter: write a duration like 10ms") }
        guard imageSize == "requested" || ImageSize(parsing: imageSize) != nil else { throw ValidationError("--image-size: write WIDTHxHEIGHT or 'requested'") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard threads >= 1 else { throw ValidationError("--threads must be 1 or more") }
    }

    func run() async throws {
        var configuration = EmulatorConfiguration()
        configuration.port = port
        configuration.latency = DurationParser.seconds(latency) ?? 0
        configuration.latencyJitter = DurationParser.seconds(jitter) ?? 0
        configuration.errorRate = errorRate
        configuration.hangRate = hangRate
        configuration.rateLimitRPM = rateLimitRpm
        configuration.blockMarker = blockMarker
        configuration.imageSize = imageSize == "requested" ? nil : ImageSize(parsing: imageSize)
        configuration.labels = labels
        configuration.apiKey = apiKey
        let emulator = Emulator(configuration: configuration, threads: threads)
        let bound: Int
        do {
            bound = try await emulator.start()
        } catch {
            StandardStream.error.write("error: cannot listen on 127.0.0.1:\(port): \(Emulator.listenFailure(error))\n")
            throw ExitCode(ExitStatus.itemsFailed)
        }
        StandardStream.output.write("imagepipe emulator listening on http://127.0.0.1:\(bound)  (openai base_url: http://127.0.0.1:\(bound)/v1, gemini base_url: http://127.0.0.1:\(bound))\n")
        fflush(stdout)
        let trap = SignalTrap(onFirst: { _ in
            Task { await emulator.stop() }
        }, onSecond: { Foundation.exit(ExitStatus.interrupted) })
        try? await emulator.wait()
        trap.cancel()
    }
}
