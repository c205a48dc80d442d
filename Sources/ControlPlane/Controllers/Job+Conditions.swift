import Foundation
import KubeAPI

/// Job state questions the Job and TTL-after-finished controllers share (upstream `pkg/controller/job/util`).
extension Job {
    /// The finalizer with which the Job controller keeps finished pods until it has counted them.
    static let trackingFinalizer = "batch.kubernetes.io/job-tracking"

    /// The condition of `type`, if any.
    func condition(_ type: String) -> JobCondition? { status?.conditions?.first { $0.type == type } }

    /// The `Complete` or `Failed` condition that is True: the Job has finished.
    var finishedCondition: JobCondition? {
        status?.conditions?.first { ($0.type == "Complete" || $0.type == "Failed") && $0.status == "True" }
    }

    /// Whether the Job has finished, successfully or not.
    var isFinished: Bool { finishedCondition != nil }

    var isSuspended: Bool { spec?.suspend == true }

    /// Whether only Failed pods are replaced, not ones still terminating (`podReplacementPolicy: Failed`, implied
    /// by a pod failure policy).
    var onlyReplacesFailedPods: Bool { spec?.podReplacementPolicy == "Failed" || spec?.podFailurePolicy != nil }

    /// Whether a pod counts as failed: its phase says so, or (unless only Failed pods count) it is being deleted
    /// without having succeeded, as an orphaned pod may never reach Failed (upstream's `isPodFailed`).
    func isFailed(_ pod: Pod) -> Bool {
        if pod.status?.phase == "Failed" { return true }
        if onlyReplacesFailedPods { return false }
        return pod.metadata.deletionTimestamp != nil && pod.status?.phase != "Succeeded"
    }
}

extension JobCondition {
    /// A True-or-other condition stamped `now` (upstream's `newCondition`).
    static func make(_ type: String, status: String = "True", reason: String, message: String, now: Date = Date()) -> JobCondition {
        JobCondition(type: type, status: status, lastProbeTime: Time(now), lastTransitionTime: Time(now), reason: reason, message: message)
    }
}

extension Array where Element == JobCondition {
    /// Sets the condition of `type` unless it already has this status, reason and message; a False condition is
    /// not added where none existed (upstream's `ensureJobConditionStatus`). Returns whether anything changed.
    @discardableResult
    mutating func ensure(_ type: String, status: String, reason: String, message: String, now: Date = Date()) -> Bool {
        if let index = firstIndex(where: { $0.type == type }) {
            let current = self[index]
            guard current.status != status || current.reason != reason || current.message != message else { return false }
            self[index] = .make(type, status: status, reason: reason, message: message, now: now)
            return true
        }
        guard status != "False" else { return false }
        append(.make(type, status: status, reason: reason, message: message, now: now))
        return true
    }
}

extension Pod {
    /// Whether the pod still carries the Job tracking finalizer.
    var hasJobTrackingFinalizer: Bool { metadata.finalizers?.contains(Job.trackingFinalizer) ?? false }

    /// Being deleted but not yet finished (upstream's `IsPodTerminating`).
    var isTerminating: Bool {
        metadata.deletionTimestamp != nil && status?.phase != "Succeeded" && status?.phase != "Failed"
    }
}
