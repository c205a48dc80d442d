import Foundation
import Logging

/// Where a pod's start-up went, from the moment the agent first saw it to the status write that made it Running:
/// the sandbox started, the first container created and started by the runtime, the status written. Logged once per
/// pod as "observed pod startup" (upstream's kubelet logs its "Observed pod startup duration" the same way), so a
/// burst of pods can be read as a timeline from the agent's log alone.
struct PodStartTrace: Sendable {
    enum Milestone: String, Sendable, CaseIterable {
        case sandbox = "sandboxMs", created = "createdMs", started = "startedMs", running = "runningMs"
    }

    let seen: ContinuousClock.Instant
    private var reached: [Milestone: Duration] = [:]
    /// Every app container ran at once: `kubelet_pod_start_duration_seconds` was recorded.
    var containersRunning = false
    /// The "observed pod startup" line was logged.
    var logged = false
    /// Nothing is left to observe: the trace can go.
    var isComplete: Bool { containersRunning && logged }

    init(seen: ContinuousClock.Instant = .now) { self.seen = seen }

    /// Records `milestone` now, unless it was recorded before (a restarted container does not move it).
    mutating func mark(_ milestone: Milestone, at instant: ContinuousClock.Instant = .now) {
        if reached[milestone] == nil { reached[milestone] = instant - seen }
    }

    /// Milliseconds since the pod was first seen, by milestone (only those reached), for the log line's metadata.
    var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = [:]
        for milestone in Milestone.allCases {
            guard let duration = reached[milestone] else { continue }
            let (seconds, attoseconds) = duration.components
            metadata[milestone.rawValue] = "\(String(format: "%.1f", Double(seconds) * 1000 + Double(attoseconds) / 1e15))"
        }
        return metadata
    }
}
