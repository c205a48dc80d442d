import CRI
import Foundation
import KubeAPI
import KubeClient
import Logging

/// A terminal status the kubelet decided for a pod: refused at admission, or stopped for good while it ran.
enum PodVerdict: Sendable, Hashable {
    case rejected(PodAdmission.Rejection)
    case killed(PodKill)
}

/// Why the kubelet stops a running pod for good, and how: evicted by the eviction manager, or past its
/// `activeDeadlineSeconds`. The pod ends Failed with `reason` and `message`.
struct PodKill: Sendable, Hashable {
    var reason: String
    var message: String
    /// The grace period its containers get, in seconds.
    var grace: Int64
    /// Whether its status gets a DisruptionTarget condition (`TerminationByKubelet`), as an eviction's does.
    var disruption: Bool

    /// An eviction (``EvictionNotice``'s message).
    static func eviction(_ message: String, grace: Int64) -> PodKill {
        PodKill(reason: EvictionManager.reason, message: message, grace: grace, disruption: true)
    }

    /// Upstream's active deadline handler: the pod ran longer than its `activeDeadlineSeconds`; its containers get
    /// the pod's own grace period.
    static func deadlineExceeded(_ pod: Pod) -> PodKill {
        PodKill(reason: "DeadlineExceeded", message: "Pod was active on the node longer than the specified deadline",
                grace: pod.spec?.terminationGracePeriodSeconds ?? 30, disruption: false)
    }
}

extension PodWorkers {
    // MARK: Admission

    /// The API server's copy of this node changed (labels, taints, allocatable). A copy without allocatable yet (just
    /// registered) keeps the registered node's.
    func setNode(_ node: Node) {
        var node = node
        if node.status?.allocatable == nil { node.status = admission.node.status }
        admission.node = node
    }

    /// The eviction manager's pressure conditions now.
    func setPressureConditions(_ conditions: [String]) { admission.pressures = conditions }

    /// Upstream's `canAdmitPod` for a pod seen for the first time: nil for a mirror pod, a pod being deleted or one
    /// already finished, else the first reason it cannot run next to the pods admitted before it.
    func admit(_ pod: Pod) -> PodAdmission.Rejection? {
        guard let uid = pod.metadata.uid, pod.metadata.deletionTimestamp == nil, !Self.isFinished(pod) else { return nil }
        return admission.check(pod, others: pods.values.filter { $0.metadata.uid != uid && isActive($0) })
    }

    /// Upstream's `rejectPod`: a Warning Event with the reason and message, and the pod's status Failed with them
    /// (written by its worker, again until it lands). The pod never runs.
    func reject(_ pod: Pod, _ rejection: PodAdmission.Rejection) {
        guard let uid = pod.metadata.uid else { return }
        logger.notice("pod rejected", metadata: ["pod": "\(Self.name(pod))", "reason": "\(rejection.reason)", "message": "\(rejection.message)"])
        events.record(pod, "Warning", reason: rejection.reason, message: rejection.message)
        pods[uid] = pod
        verdicts[uid] = .rejected(rejection)
        schedule(uid)
    }

    // MARK: Eviction

    /// The pods the eviction manager may evict: admitted, not finished, not being deleted, not already evicted.
    func evictionCandidates() -> [Pod] {
        pods.values.filter { isActive($0) && $0.metadata.deletionTimestamp == nil }
    }

    /// Evicts a running pod (the eviction manager's `evictPod`): a Warning `Evicted` Event with `message` and
    /// `annotations`, then its worker stops its containers with `grace` (seconds) and writes its status
    /// Failed with reason Evicted and a DisruptionTarget condition. False when the pod is not a candidate any more.
    func evict(_ pod: Pod, message: String, annotations: [String: String], grace: Int64) -> Bool {
        guard let uid = pod.metadata.uid, let current = pods[uid], isActive(current), current.metadata.deletionTimestamp == nil else { return false }
        events.record(current, "Warning", reason: EvictionManager.reason, message: message, annotations: annotations)
        verdicts[uid] = .killed(.eviction(message, grace: grace))
        inFlight[uid]?.cancel()
        schedule(uid)
        return true
    }

    /// The worker's part of a verdict: for a refusal the status alone; for a kill the containers stopped first and
    /// the pod's last status with the kill's reason and message. The verdict stays until its status is written.
    func carryOut(_ verdict: PodVerdict, pod: Pod) async {
        let uid = pod.metadata.uid ?? ""
        do {
            switch verdict {
            case .rejected(let rejection):
                let status = PodStatus(phase: "Failed", message: "Pod was rejected: " + rejection.message, reason: rejection.reason,
                                       startTime: pod.status?.startTime ?? .now(), qosClass: QOSClass(pod).rawValue)
                let body = try JSONEncoder().encode(["status": status])
                remember(try await client.patch(Pod.self, name: pod.metadata.name ?? "", namespace: pod.metadata.namespace,
                                                patchType: .merge, body: body, subresource: "status"))
            case .killed(let kill):
                await recordKilling(pod)
                await stopAll(uid: uid, grace: kill.grace)
                try await writeStatus(pod, view: observe(uid: uid), terminal: true, kill: kill)
            }
            verdicts[uid] = nil
            statusPending.remove(uid)
        } catch {
            statusPending.insert(uid)
            logger.warning("pod status update failed", metadata: ["pod": "\(Self.name(pod))", "error": "\(error)"])
        }
    }

    // MARK: Active deadline

    /// Upstream's active deadline handler, at every relist: each running pod past its `activeDeadlineSeconds` (counted
    /// from its status's startTime) is killed and ends Failed with reason DeadlineExceeded, after a Normal Event.
    func enforceActiveDeadlines(now: Date = Date()) {
        for (uid, pod) in pods where isActive(pod) && pod.metadata.deletionTimestamp == nil {
            guard let seconds = pod.spec?.activeDeadlineSeconds, let start = pod.status?.startTime?.date,
                  now.timeIntervalSince(start) >= Double(seconds) else { continue }
            let kill = PodKill.deadlineExceeded(pod)
            logger.notice("pod past its active deadline", metadata: ["pod": "\(Self.name(pod))", "activeDeadlineSeconds": "\(seconds)"])
            events.record(pod, reason: kill.reason, message: kill.message)
            verdicts[uid] = .killed(kill)
            inFlight[uid]?.cancel()
            schedule(uid)
        }
    }

    /// Admitted and still to run or running: no verdict against it and not in a terminal phase.
    private func isActive(_ pod: Pod) -> Bool {
        guard let uid = pod.metadata.uid else { return false }
        return verdicts[uid] == nil && !Self.isFinished(pod)
    }

    static func isFinished(_ pod: Pod) -> Bool { pod.status?.phase == "Succeeded" || pod.status?.phase == "Failed" }
}
