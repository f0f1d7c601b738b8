import ArgumentParser
import Foundation
import ImagePipe

/// `--listen HOST:PORT` with `--public-url URL`, read into the run's webhook settings.
enum ListenArgument {
    static func parse(listen: String?, publicURL: String?) throws -> RunOptions.Listen? {
        guard let listen else {
            if publicURL != nil { throw ValidationError("--public-url goes with --listen HOST:PORT (where the webhooks are received)") }
            return nil
        }
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65_535).contains(port) else {
            throw ValidationError("--listen: write HOST:PORT, e.g. 0.0.0.0:8787")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        let url = publicURL ?? "http://\(listen)"
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw ValidationError("--public-url: write the address providers reach this machine at, e.g. https://hooks.example.com")
        }
        return RunOptions.Listen(host: host, port: port, publicURL: url)
    }
}
