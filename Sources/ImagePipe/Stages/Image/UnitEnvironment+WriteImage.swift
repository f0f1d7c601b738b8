extension UnitEnvironment {
    /// Writes an image under the output folder atomically; a failure is local, and a fault that
    /// every later write would hit too (a full disk, a read-only folder) says so, for the breaker.
    func writeImage(_ bytes: [UInt8], to path: String) throws(CallFailure) {
        do {
            try AtomicFile.write(bytes, to: path)
        } catch {
            var failure = CallFailure(.local_error, error.description)
            failure.localFault = error.code.flatMap { LocalFault(errno: $0, place: displayPrefix.isEmpty ? "./" : displayPrefix) }
            throw failure
        }
    }
}
