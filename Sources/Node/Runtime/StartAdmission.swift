import Foundation

/// Lets the CPU-heavy part of starting sandboxes and containers (mounts, CNI ADD, the monitor and its `runc`) run a
/// few at a time, containers of sandboxes already running before new sandboxes, each kind in arrival order.
///
/// Thirty pods created at once otherwise all start together and share the CPUs until the last one is done: every pod
/// gets Running at about the time of the slowest. Admitted a few at a time, with a started sandbox's container going
/// ahead of the next sandbox, pods finish one after another — the first in the time of a few, the median in half the
/// time of all — while the total stays the same. A call that is alone is admitted at once. A permit is given back
/// when the work ends, or after ``maximumHold`` whatever happens (a hung `runc` must not stop every other start).
actor StartAdmission {
    enum Kind: Sendable { case sandbox, container }

    /// A held permit; ``StartAdmission/release(_:)`` gives it back once.
    struct Permit: Sendable { fileprivate let number: Int }

    let width: Int
    let maximumHold: Duration
    private var held: Set<Int> = []
    private var next = 0
    private var waitingContainers: [CheckedContinuation<Permit, Never>] = []
    private var waitingSandboxes: [CheckedContinuation<Permit, Never>] = []

    /// `width` starts at once (at least one).
    init(width: Int, maximumHold: Duration = .seconds(30)) {
        self.width = max(1, width)
        self.maximumHold = maximumHold
    }

    /// Waits for a permit for work of `kind`.
    func acquire(_ kind: Kind) async -> Permit {
        if held.count < width { return grant() }
        return await withCheckedContinuation { continuation in
            switch kind {
            case .container: waitingContainers.append(continuation)
            case .sandbox: waitingSandboxes.append(continuation)
            }
        }
    }

    /// Gives `permit` back and admits the next waiting start (containers first); a permit given back twice (by its
    /// work and by the watchdog) counts once.
    func release(_ permit: Permit) {
        guard held.remove(permit.number) != nil else { return }
        if !waitingContainers.isEmpty {
            waitingContainers.removeFirst().resume(returning: grant())
        } else if !waitingSandboxes.isEmpty {
            waitingSandboxes.removeFirst().resume(returning: grant())
        }
    }

    private func grant() -> Permit {
        next += 1
        let permit = Permit(number: next)
        held.insert(permit.number)
        let maximumHold = maximumHold
        Task { [weak self] in
            try? await Task.sleep(for: maximumHold)
            await self?.release(permit)
        }
        return permit
    }
}
