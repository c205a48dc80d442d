import Foundation
import KubeAPI

/// What a Job's `podFailurePolicy` makes of one failed pod (upstream's `matchPodFailurePolicy`).
struct PodFailurePolicyVerdict: Equatable {
    /// A `FailJob` rule matched: the message of the Job's failure.
    var failJobMessage: String?
    /// Whether the failure counts toward `backoffLimit` (not for `Ignore`).
    var countsFailure = true
    /// A `FailIndex` rule matched: the pod's index fails at once, whatever its `backoffLimitPerIndex`.
    var failsIndex = false
    /// The action of the rule that matched, for metrics.
    var action: String?
}

extension PodFailurePolicy {
    /// The first rule matching the pod's container exit codes or conditions decides; without a match the
    /// failure simply counts. `FailIndex` (allowed only with `backoffLimitPerIndex`) counts the failure and fails
    /// the pod's index.
    func verdict(for pod: Pod) -> PodFailurePolicyVerdict {
        for (index, rule) in rules.enumerated() {
            var subject: String?
            if let exitCodes = rule.onExitCodes {
                if let container = exitCodes.matchingContainer(in: pod), let code = container.state?.terminated?.exitCode {
                    subject = "Container \(container.name) for pod \(pod.metadata.namespace ?? "")/\(pod.metadata.name ?? "") failed with exit code \(code)"
                }
            } else if let patterns = rule.onPodConditions {
                let conditions = pod.status?.conditions ?? []
                if let condition = conditions.first(where: { c in patterns.contains { $0.type == c.type && ($0.status ?? "True") == c.status } }) {
                    subject = "Pod \(pod.metadata.namespace ?? "")/\(pod.metadata.name ?? "") has condition \(condition.type)"
                }
            }
            guard let subject else { continue }
            switch rule.action {
            case "Ignore": return PodFailurePolicyVerdict(countsFailure: false, action: "Ignore")
            case "Count": return PodFailurePolicyVerdict(action: "Count")
            case "FailJob":
                return PodFailurePolicyVerdict(failJobMessage: "\(subject) matching FailJob rule at index \(index)", action: "FailJob")
            case "FailIndex": return PodFailurePolicyVerdict(failsIndex: true, action: "FailIndex")
            default: continue
            }
        }
        return PodFailurePolicyVerdict()
    }
}

extension PodFailurePolicyOnExitCodesRequirement {
    /// The first terminated container (regular, then init) with a non-zero exit code the requirement matches.
    func matchingContainer(in pod: Pod) -> ContainerStatus? {
        for statuses in [pod.status?.containerStatuses ?? [], pod.status?.initContainerStatuses ?? []] {
            for status in statuses {
                guard let code = status.state?.terminated?.exitCode, code != 0 else { continue }
                if let containerName, containerName != status.name { continue }
                let listed = values.contains(code)
                if (self.operator == "In" && listed) || (self.operator == "NotIn" && !listed) { return status }
            }
        }
        return nil
    }
}
