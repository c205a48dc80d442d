import Foundation
import KubeAPI
import KubeClient

/// The events upstream's pod control records for the object that owns the pods (ReplicaSet, DaemonSet, Job).
extension EventRecorder {
    /// Upstream's pod-control events for a pod created for `owner`, or the error that prevented it (none while the
    /// namespace is terminating, as upstream's `createPods`).
    func podCreated<K: KubeObject>(by owner: K, pod: Pod?, error: (any Error)?) {
        if let error {
            guard !error.isNamespaceTerminating else { return }
            record(owner, "Warning", reason: "FailedCreate", message: "Error creating: \(error)")
        } else {
            record(owner, reason: "SuccessfulCreate", message: "Created pod: \(pod?.metadata.name ?? "")")
        }
    }

    /// Upstream's pod-control events for a pod of `owner` deleted, or the error that prevented it.
    func podDeleted<K: KubeObject>(by owner: K, pod: Pod, error: (any Error)?) {
        if let error {
            record(owner, "Warning", reason: "FailedDelete", message: "Error deleting: \(error)")
        } else {
            record(owner, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.metadata.name ?? "")")
        }
    }
}
