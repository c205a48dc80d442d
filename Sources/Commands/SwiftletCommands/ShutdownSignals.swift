import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGTERM and SIGINT for a daemon, as upstream's components trap them (`SetupSignalContext`): the first begins the
/// service group's graceful shutdown, a second one while it runs ends the process at once with status 1 — an
/// operator's way out of a shutdown that waits on something stuck (a container runtime that does not answer).
enum ShutdownSignals {
    /// Runs `group` (configured without signals of its own) with the signals trapped.
    static func run(_ group: ServiceGroup, logger: Logger) async throws {
        // The one handler for these signals in the process: Dispatch delivers a signal to a single source.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                var received = 0
                for await signal in signals {
                    received += 1
                    if received == 1 {
                        logger.notice("shutting down gracefully; a second signal exits at once", metadata: ["signal": "\(signal)"])
                        await group.triggerGracefulShutdown()
                    } else {
                        logger.warning("second signal during the graceful shutdown: exiting at once", metadata: ["signal": "\(signal)"])
                        exit(1)
                    }
                }
            }
            defer { tasks.cancelAll() }
            try await group.run()
        }
    }
}
