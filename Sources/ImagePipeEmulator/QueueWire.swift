import Foundation
import ImagePipe

/// A queue API as the emulator speaks it (fal's, Replicate's): how it reads a submit and words
/// each answer about a job.
protocol QueueWire {
    /// The prompt and the size asked for; nil when the submit is malformed.
    func parse(_ json: JSONValue) -> (prompt: String, size: ImageSize?)?
    func keyAccepted(headers: [(String, String)], expected: String?) -> Bool
    /// The answer to a submit the queue took.
    func submitted(_ job: EmulatorJobs.Job, state: EmulatorJobs.State, base: String, image: () -> String) -> EmulatorAnswer
    /// The answer to a submit refused at once (a 401, a 429, a 500, unsafe input).
    func refused(_ decision: EmulatorDecision) -> EmulatorAnswer
    /// A status request's answer; `image` publishes the finished picture and gives its URL.
    func status(_ job: EmulatorJobs.Job, state: EmulatorJobs.State, base: String, image: () -> String) -> EmulatorAnswer
    func notFound(_ id: String) -> EmulatorAnswer
    func serverError() -> EmulatorAnswer
}

/// fal.ai's queue: submit at `POST /fal/{model}` (the emulator's stand-in for
/// `https://queue.fal.run/{model}`), status, result and cancel under `/fal/{owner}/{alias}/requests/{id}`.
struct FalQueueWire: QueueWire {
    func parse(_ json: JSONValue) -> (prompt: String, size: ImageSize?)? {
        guard case .string(let prompt)? = json["prompt"] else { return nil }
        var size: ImageSize?
        if case .int(let w)? = json["image_size"]?["width"], case .int(let h)? = json["image_size"]?["height"] { size = ImageSize(width: w, height: h) }
        return (prompt, size)
    }

    func keyAccepted(headers: [(String, String)], expected: String?) -> Bool {
        guard let expected else { return true }
        return HeaderList.value("Authorization", in: headers) == "Key \(expected)"
    }

    static func requestURL(_ job: EmulatorJobs.Job, base: String) -> String {
        let app = job.model.split(separator: "/").prefix(2).joined(separator: "/")
        return base + "/fal/" + app + "/requests/" + job.id
    }

    func submitted(_ job: EmulatorJobs.Job, state: EmulatorJobs.State, base: String, image: () -> String) -> EmulatorAnswer {
        let url = Self.requestURL(job, base: base)
        var position = 0
        if case .queued(let p) = state { position = p }
        return EmulatorAnswer(status: 200, json: .object([
            ("status", .string("IN_QUEUE")), ("request_id", .string(job.id)), ("gateway_request_id", .string(job.id)),
            ("response_url", .string(url)), ("status_url", .string(url + "/status")), ("cancel_url", .string(url + "/cancel")),
            ("queue_position", .int(position)),
        ]))
    }

    func refused(_ decision: EmulatorDecision) -> EmulatorAnswer {
        switch decision {
        case .unauthorized:
            return detail(401, "Authentication is required to access this application.")
        case .block:
            var answer = detail(422, "The content could not be processed because it contained material flagged by a content checker.")
            answer.headers.append(("x-fal-error-type", "content_policy_violation"))
            return answer
        case .status(429, let retryAfter):
            var answer = detail(429, "Rate limit exceeded.")
            if let retryAfter { answer.headers.append(("Retry-After", String(Int(retryAfter.rounded(.up))))) }
            return answer
        case .quotaExceeded(let reading):
            var answer = detail(429, "Rate limit exceeded.")
            answer.headers.append(("Retry-After", String(Int(reading.retryAfter.rounded(.up)))))
            return answer
        case .status(let status, _):
            return detail(status, "Internal server error")
        default:
            return detail(500, "Internal server error")
        }
    }

    func status(_ job: EmulatorJobs.Job, state: EmulatorJobs.State, base: String, image: () -> String) -> EmulatorAnswer {
        let url = Self.requestURL(job, base: base)
        switch state {
        case .queued(let position):
            return EmulatorAnswer(status: 202, json: .object([("status", .string("IN_QUEUE")), ("request_id", .string(job.id)),
                                                              ("response_url", .string(url)), ("queue_position", .int(position))]))
        case .running:
            return EmulatorAnswer(status: 202, json: .object([("status", .string("IN_PROGRESS")), ("request_id", .string(job.id)),
                                                              ("response_url", .string(url)), ("logs", .null)]))
        case .done, .cancelled:
            var fields: [(String, JSONValue)] = [("status", .string("COMPLETED")), ("request_id", .string(job.id)), ("response_url", .string(url)),
                                                 ("logs", .null), ("metrics", .object([("inference_time", .double(0.5))]))]
            if job.fails {
                fields.append(("error", .string("Internal server error while running the model")))
                fields.append(("error_type", .string("internal_server_error")))
            }
            if case .cancelled = state {
                fields.append(("error", .string("Request was cancelled")))
                fields.append(("error_type", .string("request_cancelled")))
            }
            return EmulatorAnswer(status: 200, json: .object(fields))
        }
    }

    /// A finished request's output (`GET …/requests/{id}`).
    func result(_ job: EmulatorJobs.Job, state: EmulatorJobs.State, image: () -> String) -> EmulatorAnswer {
        guard case .done = state else { return detail(400, "Request is still in progress") }
        if job.fails { return detail(500, "Internal server error while running the model") }
        return EmulatorAnswer(status: 200, json: .object([
            ("images", .array([.object([("url", .string(image())), ("content_type", .string("image/png")), ("file_name", .string("\(job.id).png")),
                                        ("width", .int(job.size.width)), ("height", .int(job.size.height))])])),
            ("seed", .int(42)), ("has_nsfw_concepts", .array([.bool(false)])), ("prompt", .string(job.prompt)),
        ]))
    }

    func cancelled(_ done: Bool) -> EmulatorAnswer {
        done ? EmulatorAnswer(status: 400, json: .object([("status", .string("ALREADY_COMPLETED"))]))
            : EmulatorAnswer(status: 202, json: .object([("status", .string("CANCELLATION_REQUESTED"))]))
    }

    func notFound(_ id: String) -> EmulatorAnswer { detail(404, "Request \(id) not found") }
    func serverError() -> EmulatorAnswer { detail(500, "Internal server error") }

    private func detail(_ status: Int, _ text: String) -> EmulatorAnswer {
        EmulatorAnswer(status: status, json: .object([("detail", .string(text))]))
    }
}

/// Replicate's predictions: `POST /v1/models/{owner}/{name}/predictions` or `/v1/predictions`
/// (with `version`), `GET /v1/predictions/{id}`, `POST /v1/predictions/{id}/cancel`.
struct ReplicateQueueWire: QueueWire {
    func parse(_ json: JSONValue) -> (prompt: String, size: ImageSize?)? {
        guard case .string(let prompt)? = json["input"]?["prompt"] else { return nil }
        var size: ImageSize?
        if case .int(let w)? = json["input"]?["width"], case .int(let h)? = json["input"]?["height"] { size = ImageSize(width: w, height: h) }
        return (prompt, size)
    }

    func keyAccepted(headers: [(String, String)], expected: String?) -> Bool {
        guard let expected else { return true }
        return HeaderList.value("Authorization", in: headers) == "Bearer \(expected)"
    }

    func submitted(_ job: EmulatorJobs.Job, state: EmulatorJobs.State, base: String, image: () -> String) -> EmulatorAnswer {
        var answer = prediction(job, state: state, base: base, image: image)
        answer.status = 201
        answer.headers.append(("Location", base + "/v1/predictions/" + job.id))
        return answer
    }

    func status(_ job: EmulatorJobs.Job, state: EmulatorJobs.State, base: String, image: () -> String) -> EmulatorAnswer {
        prediction(job, state: state, base: base, image: image)
    }

    private func prediction(_ job: EmulatorJobs.Job, state: EmulatorJobs.State, base: String, image: () -> String) -> EmulatorAnswer {
        let status: String
        var output: JSONValue = .null
        var error: JSONValue = .null
        switch state {
        case .queued: status = "starting"
        case .running: status = "processing"
        case .cancelled: status = "canceled"
        case .done:
            if job.fails {
                status = "failed"
                error = .string("Prediction failed: CUDA out of memory (emulated)")
            } else {
                status = "succeeded"
                output = .array([.string(image())])
            }
        }
        let get = base + "/v1/predictions/" + job.id
        return EmulatorAnswer(status: 200, json: .object([
            ("id", .string(job.id)), ("model", .string(job.model)), ("version", .string("emulated")), ("input", .object([("prompt", .string(job.prompt))])),
            ("logs", .string("")), ("output", output), ("error", error), ("status", .string(status)), ("source", .string("api")),
            ("data_removed", .bool(false)), ("created_at", .string("2026-11-27T00:00:00.000Z")),
            ("urls", .object([("get", .string(get)), ("cancel", .string(get + "/cancel")), ("web", .string("https://replicate.com/p/" + job.id))])),
        ]))
    }

    func refused(_ decision: EmulatorDecision) -> EmulatorAnswer {
        switch decision {
        case .unauthorized:
            return problem(401, "Unauthenticated", "You did not pass a valid authentication token")
        case .block:
            return problem(422, "Input validation failed", "The input was flagged as sensitive (NSFW) by the safety checker.")
        case .status(429, let retryAfter):
            var answer = problem(429, "Request was throttled", "Your rate limit has been reached.")
            if let retryAfter { answer.headers.append(("Retry-After", String(Int(retryAfter.rounded(.up))))) }
            return answer
        case .quotaExceeded(let reading):
            var answer = problem(429, "Request was throttled", "Your rate limit of \(reading.perMinute) requests per minute has been reached.")
            answer.headers.append(("Retry-After", String(Int(reading.retryAfter.rounded(.up)))))
            return answer
        case .status(let status, _):
            return problem(status, "Internal Server Error", "Something went wrong on our end.")
        default:
            return problem(500, "Internal Server Error", "Something went wrong on our end.")
        }
    }

    func notFound(_ id: String) -> EmulatorAnswer { problem(404, "Not found", "The requested resource could not be found.") }
    func serverError() -> EmulatorAnswer { problem(500, "Internal Server Error", "Something went wrong on our end.") }

    private func problem(_ status: Int, _ title: String, _ detail: String) -> EmulatorAnswer {
        var answer = EmulatorAnswer(status: status, json: .object([("type", .string("about:blank")), ("title", .string(title)), ("status", .int(status)),
                                                                 ("detail", .string(detail))]))
        answer.headers = [("Content-Type", "application/problem+json")]
        return answer
    }
}
