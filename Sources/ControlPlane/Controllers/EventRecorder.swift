import Foundation
import KubeAPI
import KubeClient
import Logging

/// Records core/v1 Events about the objects a controller manages (upstream's `record.EventRecorder`), as
/// `kubectl describe` and `kubectl get events` show them: `SuccessfulCreate`, `SuccessfulDelete`, `FailedCreate`,
/// `Completed`, `BackoffLimitExceeded` … Fire and forget: a failed write is logged, never retried, and never
/// holds up a sync.
struct EventRecorder: Sendable {
    let client: KubeClient
    /// The reporting component, upstream's controller name (`daemonset-controller`, `job-controller`).
    let component: String
    let logger: Logger

    func record<K: KubeObject>(_ object: K, _ type: String = "Normal", reason: String, message: String) {
        let event = Event.about(object, type: type, reason: reason, message: message, component: component)
        let client = client, logger = logger
        Task {
            do {
                _ = try await client.create(event)
            } catch {
                logger.debug("event not recorded", metadata: ["reason": "\(reason)", "error": "\(error)"])
            }
        }
    }

    /// Upstream's pod-control events for a pod created for `owner`, or the error that prevented it.
    func podCreated<K: KubeObject>(by owner: K, pod: Pod?, error: (any Error)?) {
        if let error {
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
