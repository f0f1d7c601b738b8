import Foundation

/// A `multipart/form-data` body (RFC 7578), for OpenAI's `/images/edits`.
struct MultipartForm {
    let boundary = "imagepipe-" + UUID().uuidString
    private(set) var body: [UInt8] = []

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    mutating func add(_ name: String, _ value: String) {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }

    mutating func addFile(_ name: String, filename: String, contentType: String, bytes: [UInt8]) {
        let safeName = filename.replacingOccurrences(of: "\"", with: "_")
        // A batch's input runs to 200 MB: grown once, not doubled into a copy twice its size.
        body.reserveCapacity(body.count + bytes.count + 512)
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(safeName)\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8)
        body += bytes
        body += Array("\r\n".utf8)
    }

    /// The body up to a last file part's bytes, and what follows them: for a file sent from disk.
    func filePart(_ name: String, filename: String, contentType: String) -> (head: [UInt8], tail: [UInt8]) {
        let safeName = filename.replacingOccurrences(of: "\"", with: "_")
        let head = body + Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(safeName)\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8)
        return (head, Array("\r\n--\(boundary)--\r\n".utf8))
    }

    mutating func finish() -> [UInt8] {
        body += Array("--\(boundary)--\r\n".utf8)
        return body
    }
}
