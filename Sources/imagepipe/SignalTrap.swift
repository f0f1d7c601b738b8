import Dispatch
import Foundation

/// Turns SIGINT and SIGTERM into a graceful stop: the first asks the run to stop starting work,
/// the second (SIGINT again) ends the process at once after `onSecond`.
final class SignalTrap {
    private var sources: [DispatchSourceSignal] = []
    private var count = 0

    init(onFirst: @escaping @Sendable (Int32) -> Void, onSecond: @escaping @Sendable () -> Void) {
        for signo in [SIGINT, SIGTERM] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler { [unowned self] in
                count += 1
                if count == 1 { onFirst(signo) } else { onSecond() }
            }
            source.resume()
            sources.append(source)
        }
    }

    func cancel() {
        sources.forEach { $0.cancel() }
    }
}
