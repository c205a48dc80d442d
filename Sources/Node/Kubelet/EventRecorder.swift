import Foundation
import KubeAPI
import KubeClient
import Logging

/// Records core/v1 Events about pods (Pulling, Pulled, Created, Started, Killing, BackOff, Failed,
/// FailedMount …) from the kubelet, as `kubectl describe pod` shows them. Fire and forget: a failed
/// write is logged, never retried, and never holds up a pod.
struct EventRecorder: Sendable {
    let client: KubeClient
    let nodeName: String
    let logger: Logger

    func record(_ pod: Pod, _ type: String = "Normal", reason: String, message: String, fieldPath: String? = nil) {
        let event = Event.about(pod, type: type, reason: reason, message: message, component: "kubelet", host: nodeName,
                                fieldPath: fieldPath)
        let client = client, logger = logger
        Task {
            do {
                _ = try await client.create(event)
            } catch {
                logger.debug("event not recorded", metadata: ["reason": "\(reason)", "error": "\(error)"])
            }
        }
    }
}
