import Crypto
import ImagePipeCore

/// `--shard I/N`: the items whose key hashes to shard I of N, so that N machines (a CI matrix, a
/// Kubernetes Indexed Job) split a pipeline without a shared database. The hash is the key's
/// SHA-256, so every machine agrees, whatever it runs on and whatever order it reads the source in.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// 1-based.
    public let index: Int
    public let count: Int

    /// Kubernetes' 0-based index of an Indexed Job's pod, read by `--shard auto/N`.
    public static let kubernetesIndexVariable = "JOB_COMPLETION_INDEX"

    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// `2/4`, or `auto/4` with `JOB_COMPLETION_INDEX` (0-based: index 0 is shard 1).
    public static func parse(_ text: String, environment: [String: String]) throws(Problem) -> Shard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(parts[1]), count >= 1 else {
            throw Problem(description: "--shard \(text): write I/N, like 2/4 (shard 2 of 4), or auto/N to read \(kubernetesIndexVariable)")
        }
        if parts[0] == "auto" {
            guard let raw = environment[kubernetesIndexVariable] else {
                throw Problem(description: "--shard auto/\(count): \(kubernetesIndexVariable) is not set (Kubernetes sets it in Indexed Jobs); give the shard as I/\(count)")
            }
            guard let zeroBased = Int(raw), zeroBased >= 0, zeroBased < count else {
                throw Problem(description: "--shard auto/\(count): \(kubernetesIndexVariable) is '\(raw)', not 0 to \(count - 1)")
            }
            return Shard(index: zeroBased + 1, count: count)
        }
        guard let index = Int(parts[0]), (1...count).contains(index) else {
            throw Problem(description: "--shard \(text): the shard must be 1 to \(count) (shards count from 1; auto/\(count) reads Kubernetes' 0-based index)")
        }
        return Shard(index: index, count: count)
    }

    /// Whether the item with this key is this shard's.
    public func contains(key: String) -> Bool {
        guard count > 1 else { return true }
        let digest = Array(SHA256.hash(data: Array(key.utf8)).prefix(8))
        let value = digest.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Int(value % UInt64(count)) == index - 1
    }

    public var description: String { "\(index)/\(count)" }
}
