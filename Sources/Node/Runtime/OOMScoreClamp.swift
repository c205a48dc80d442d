import Foundation
import Logging
import Synchronization

/// The lowest `oom_score_adj` this runtime can give a container. Lowering it needs CAP_SYS_RESOURCE; without
/// it (rootless runtimes, sandboxes like this project's CI) runc fails with "can't get final child's PID
/// from pipe". Like containerd's `restrict_oom_score_adj`, requests below the runtime's own value are
/// raised to it, and that is logged once.
final class OOMScoreClamp: Sendable {
    let minimum: Int
    private let logger: Logger
    private let logged = Mutex(false)

    init(logger: Logger, capabilityHeld: Bool = OOMScoreClamp.holdsSysResource()) {
        self.logger = logger
        if capabilityHeld {
            minimum = -1000
        } else {
            let own = (try? String(contentsOfFile: "/proc/self/oom_score_adj", encoding: .utf8))
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            minimum = own
        }
    }

    func clamped(_ requested: Int) -> Int {
        guard requested < minimum else { return requested }
        let first = logged.withLock { logged in
            defer { logged = true }
            return !logged
        }
        if first {
            logger.notice("oom_score_adj below the runtime's own cannot be set without CAP_SYS_RESOURCE; raising it",
                          metadata: ["requested": "\(requested)", "used": "\(minimum)"])
        }
        return minimum
    }

    /// Whether CAP_SYS_RESOURCE (bit 24) is in this process's effective set.
    static func holdsSysResource() -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return mask & (1 << 24) != 0
    }
}
