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
        let now = Time.now()
        let namespace = pod.metadata.namespace ?? "default"
        let event = Event(
            metadata: ObjectMeta(name: "\(pod.metadata.name ?? "pod").\(String(UInt64.random(in: 0 ... .max), radix: 16))", namespace: namespace),
            involvedObject: ObjectReference(kind: "Pod", namespace: namespace, name: pod.metadata.name, uid: pod.metadata.uid,
                                            apiVersion: "v1", resourceVersion: pod.metadata.resourceVersion, fieldPath: fieldPath),
            reason: reason, message: message, source: EventSource(component: "kubelet", host: nodeName),
            firstTimestamp: now, lastTimestamp: now, count: 1, type: type,
            reportingComponent: "kubelet", reportingInstance: nodeName)
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
