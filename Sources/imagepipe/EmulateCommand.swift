import ArgumentParser
import Foundation
import ImagePipe
import ImagePipeEmulator

/// A loopback server that speaks the OpenAI, Gemini and Seedream image APIs, for trying pipelines for free.
struct EmulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulate",
        abstract: "Serve the OpenAI Images, Gemini generateContent and Seedream (ModelArk) APIs on loopback, with made-up images.",
        discussion: """
        Point a provider's base_url at it: openai → http://127.0.0.1:PORT/v1, gemini → http://127.0.0.1:PORT, \
        seedream → http://127.0.0.1:PORT/api/v3 (b64_json or url answers; URLs are served once under /files/). \
        Prompts can force answers: [[fail:429x2]] (first two requests 429), [[fail:500x1]], [[hang:1]] (first \
        request never answered), [[garbage:1]] (not an image), the block marker (a safety refusal), and for Seedream \
        [[output-refused]] (the image refused inside a 200 answer, as data[0].error); in a batch, [[expire]] \
        ends the line's batch expired the first time ([[expire:N]] the first N times) (OpenAI: that line in the error file as batch_expired; Gemini: \
        no results, as Google keeps none of an expired batch). GET /_emulator/stats shows requests per \
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

    @Option(help: "Share of requests answered 429 at random (load shedding, no quota used up), 0 to 1.")
    var throttleRate = 0.0

    @Option(help: "How long a job of the queue APIs (fal, Replicate) waits from its submit until it is done.")
    var queueTime = "500ms"

    @Option(help: "How long a batch (OpenAI, Gemini) takes from its creation until it is completed.")
    var batchTime = "1s"

    @Option(help: "Share of status requests of the queue APIs answered with 500, 0 to 1.")
    var pollErrorRate = 0.0

    @Option(help: "Share of status requests of the queue APIs never answered, 0 to 1.")
    var pollHangRate = 0.0

    @Option(help: "Share of the queues' webhook deliveries never sent, 0 to 1.")
    var webhookLoss = 0.0

    @Option(help: "Share of the queues' webhook deliveries sent twice, 0 to 1.")
    var webhookDuplicates = 0.0

    @Option(help: ArgumentHelp("A quota as the providers enforce it, e.g. 40/s or 2400/min: a token bucket, stated on every answer (OpenAI's x-ratelimit-* headers; Gemini's QuotaFailure on a 429).", valueName: "RATE"))
    var quota: String?

    @Option(help: "The quota's bucket size (requests that may go at once after an idle spell); default one second's worth.")
    var quotaBurst: Int?

    @Option(help: "Prompts containing this text are refused as unsafe.")
    var blockMarker = "[[block]]"

    @Option(help: "The size of the images sent back (WIDTHxHEIGHT), or 'requested'.")
    var imageSize = "64x64"

    @Flag(inversion: .prefixedNo, help: "Draw the prompt's start and the model on each image.")
    var labels = true

    @Option(help: "Require this API key (Bearer for OpenAI and Seedream, x-goog-api-key for Gemini); by default any key is accepted.")
    var apiKey: String?

    @Option(help: "Event-loop threads.")
    var threads = 1

    func validate() throws {
        guard (0...1).contains(errorRate), (0...1).contains(hangRate), (0...1).contains(throttleRate), (0...1).contains(pollErrorRate),
              (0...1).contains(pollHangRate), (0...1).contains(webhookLoss), (0...1).contains(webhookDuplicates) else {
            throw ValidationError("--error-rate, --hang-rate, --throttle-rate, --poll-error-rate, --poll-hang-rate, --webhook-loss and --webhook-duplicates are between 0 and 1")
        }
        if let quota, Self.perSecond(quota) == nil { throw ValidationError("--quota: write a rate like 40/s or 2400/min") }
        if let quotaBurst, quotaBurst < 1 { throw ValidationError("--quota-burst must be 1 or more") }
        guard DurationParser.seconds(latency) != nil else { throw ValidationError("--latency: write a duration like 50ms or 1s") }
        guard DurationParser.seconds(jitter) != nil else { throw ValidationError("--jitter: write a duration like 10ms") }
        guard imageSize == "requested" || ImageSize(parsing: imageSize) != nil else { throw ValidationError("--image-size: write WIDTHxHEIGHT or 'requested'") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard threads >= 1 else { throw ValidationError("--threads must be 1 or more") }
    }

    /// `40/s`, `2400/min` or `100000/h` as requests per second.
    static func perSecond(_ text: String) -> Double? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let count = Double(parts[0]), count > 0 else { return nil }
        switch parts[1] {
        case "s", "sec", "second": return count
        case "m", "min", "minute": return count / 60
        case "h", "hour": return count / 3600
        default: return nil
        }
    }

    func run() async throws {
        var configuration = EmulatorConfiguration()
        configuration.port = port
        configuration.latency = DurationParser.seconds(latency) ?? 0
        configuration.latencyJitter = DurationParser.seconds(jitter) ?? 0
        configuration.errorRate = errorRate
        configuration.hangRate = hangRate
        configuration.rateLimitRPM = rateLimitRpm
        configuration.throttleRate = throttleRate
        configuration.queueTime = DurationParser.seconds(queueTime) ?? 0.5
        configuration.batchTime = DurationParser.seconds(batchTime) ?? 1
        configuration.pollErrorRate = pollErrorRate
        configuration.pollHangRate = pollHangRate
        configuration.webhookLoss = webhookLoss
        configuration.webhookDuplicates = webhookDuplicates
        configuration.quota = quota.flatMap(Self.perSecond).map { EmulatorConfiguration.Quota(requestsPerSecond: $0, burst: quotaBurst) }
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
