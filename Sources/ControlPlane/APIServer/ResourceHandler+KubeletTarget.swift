import Foundation
import KubeAPI
import Store

/// Where a pod subresource that the kubelet serves (`log`, `exec`, `portforward`) is forwarded: the container it names and
/// the kubelet of the pod's node.
struct KubeletTarget: Sendable {
    let pod: Pod
    let container: String
    /// `host:port` of the node's kubelet (its InternalIP and `daemonEndpoints.kubeletEndpoint.Port`).
    let authority: String
}

extension ResourceHandler {
    /// Resolves pod `name`'s container (the only one when `requested` is empty) and its node's kubelet, with
    /// upstream's errors: 404 for the pod, 400 for a missing or unknown container or a pod with no node.
    func kubeletTarget(pod name: String, namespace: String?, container requested: String?) async throws -> KubeletTarget {
        let (object, _) = try await load(name: name, namespace: namespace)
        guard let pod = object as? Pod else { throw Status.methodNotSupported(info, verb: "get") }
        // Every container in upstream's VisitContainers order: init, regular, ephemeral (`kubectl debug`'s).
        let containers = (pod.spec?.initContainers ?? []).map(\.name) + (pod.spec?.containers ?? []).map(\.name)
            + (pod.spec?.ephemeralContainers ?? []).map(\.name)
        let container: String
        if let requested, !requested.isEmpty {
            guard containers.contains(requested) else {
                throw Status(message: "container \(requested) is not valid for pod \(name)", reason: "BadRequest", code: 400)
            }
            container = requested
        } else if let only = pod.spec?.containers.first, pod.spec?.containers.count == 1 {
            container = only.name
        } else {
            throw Status(message: "a container name must be specified for pod \(name), choose one of: [\(containers.joined(separator: " "))]",
                         reason: "BadRequest", code: 400)
        }
        let authority = try await kubeletAuthority(of: pod) {
            "container \"\(container)\" in pod \"\(name)\" is waiting to start: the pod has no running node"
        }
        return KubeletTarget(pod: pod, container: container, authority: authority)
    }

    /// `host:port` of the kubelet on the pod's node (its InternalIP and kubelet endpoint port); a 400 with
    /// `unscheduled()` as the message while the pod has no node that reports them.
    func kubeletAuthority(of pod: Pod, unscheduled: () -> String) async throws -> String {
        guard let nodeName = pod.spec?.nodeName, !nodeName.isEmpty,
              let nodeKV = try await core.store.get(key: StoredObject.key(Node.resource, namespace: nil, name: nodeName)),
              let node = try? KubeJSON.decode(Node.self, from: nodeKV.value),
              let address = node.status?.addresses?.first(where: { $0.type == "InternalIP" })?.address,
              let port = node.status?.daemonEndpoints?.kubeletEndpoint?.port else {
            throw Status(message: unscheduled(), reason: "BadRequest", code: 400)
        }
        let host = address.contains(":") ? "[\(address)]" : address
        return "\(host):\(port)"
    }
}
