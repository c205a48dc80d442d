import Synchronization
import UnixSignals

/// Keeps the daemons a foreground command (`swiftlet up`) started and tells it why to stop: SIGINT/SIGTERM (trapped
/// from creation on, so Ctrl-C during start-up is handled too) or the first daemon that exits on its own.
public final class Supervisor: Sendable {
    /// Why the cluster has to stop.
    public enum StopReason: Sendable {
        case signal(UnixSignal)
        case exited(Daemon, status: Int32)
    }

    private struct State {
        var daemons: [Daemon] = []
        var reason: StopReason?
    }

    private let state = Mutex(State())
    private let reasons: AsyncStream<StopReason>
    private let announce: AsyncStream<StopReason>.Continuation

    public init() async {
        (reasons, announce) = AsyncStream.makeStream(of: StopReason.self)
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        Task { [weak self] in
            for await signal in signals { self?.stop(because: .signal(signal)) }
        }
    }

    /// Supervises `daemon` from now on: its exit stops the cluster (unless it is already stopping).
    public func add(_ daemon: Daemon) {
        state.withLock { $0.daemons.append(daemon) }
        Task { [weak self] in
            let status = await daemon.waitForExit()
            self?.stop(because: .exited(daemon, status: status))
        }
    }

    /// Every daemon added, in start order.
    public var daemons: [Daemon] { state.withLock { $0.daemons } }

    /// The first reason to stop, nil while none came.
    public var stopReason: StopReason? { state.withLock { $0.reason } }

    /// Waits for the first reason to stop.
    public func waitForStopReason() async -> StopReason {
        if let reason = stopReason { return reason }
        for await reason in reasons { return reason }
        return stopReason ?? .signal(.sigterm)
    }

    private func stop(because reason: StopReason) {
        let first = state.withLock { state in
            guard state.reason == nil else { return false }
            state.reason = reason
            return true
        }
        if first { announce.yield(reason) }
    }
}
