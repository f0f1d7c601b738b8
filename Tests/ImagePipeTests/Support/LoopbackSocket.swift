import Foundation

/// A TCP socket bound to a free loopback port, listening or not: a port that is taken (listening)
/// or one where nothing answers (closed once `close()` runs).
final class LoopbackSocket {
    struct Failure: Error {}

    let fd: Int32
    let port: Int

    init(listening: Bool) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = fd
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && (!listening || listen(fd, 1) == 0) && getsockname(fd, $0, &length) == 0
            }
        }
        guard ready else {
            Foundation.close(fd)
            throw Failure()
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { Foundation.close(fd) }

    /// A port that refuses connections: bound once to learn a free one, then closed.
    static func closedPort() throws -> Int {
        let socket = try LoopbackSocket(listening: false)
        socket.close()
        return socket.port
    }
}
