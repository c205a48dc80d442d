import Foundation
import KubeAPI
import Logging

/// Records core/v1 Events about objects (upstream's `record.EventRecorder`), as `kubectl describe` and
/// `kubectl get events` show them — the kubelet's Pulling/Started/Killing …, the controllers'
/// SuccessfulCreate/Completed …. Fire and forget: a failed write is logged, never retried, and never holds up
/// the caller.
public struct EventRecorder: Sendable {
    let client: KubeClient
    /// The reporting component (`kubelet`, `daemonset-controller`, `node-controller`).
    public let component: String
    /// The node the component runs on, for the kubelet's events.
    public let host: String?
    let logger: Logger

    public init(client: KubeClient, component: String, host: String? = nil, logger: Logger) {
        self.client = client
        self.component = component
        self.host = host
        self.logger = logger
    }

    /// Records an event about `object` (about one of its containers when `fieldPath` names it).
    public func record<K: KubeObject>(_ object: K, _ type: String = "Normal", reason: String, message: String, fieldPath: String? = nil) {
        let event = Event.about(object, type: type, reason: reason, message: message, component: component, host: host, fieldPath: fieldPath)
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
