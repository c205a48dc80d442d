import Foundation
import KubeAPI

/// The pod facts the downward API exposes, for env (`fieldRef`, `resourceFieldRef`) and for `downwardAPI`
/// volume files, in upstream's formats: whole label/annotation maps as sorted `key="value"` lines, resources
/// divided by their `divisor` and rounded up, an unset limit reading as the node's capacity.
struct DownwardAPI: Sendable {
    let pod: Pod
    var podIP = ""
    var hostIP = ""
    /// The node's cpu and memory, what an unset limit reads as.
    var nodeCapacity: [String: Quantity] = [:]

    /// A `fieldRef` path: metadata (name, namespace, uid, labels, annotations, one label or annotation),
    /// spec.nodeName, spec.serviceAccountName, status.podIP(s), status.hostIP(s).
    func field(_ path: String) throws -> String {
        switch path {
        case "metadata.name": return pod.metadata.name ?? ""
        case "metadata.namespace": return pod.metadata.namespace ?? "default"
        case "metadata.uid": return pod.metadata.uid ?? ""
        case "metadata.labels": return Self.lines(pod.metadata.labels)
        case "metadata.annotations": return Self.lines(pod.metadata.annotations)
        case "spec.nodeName": return pod.spec?.nodeName ?? ""
        case "spec.serviceAccountName": return pod.spec?.serviceAccountName ?? ""
        case "status.podIP", "status.podIPs": return podIP
        case "status.hostIP", "status.hostIPs": return hostIP
        default:
            if let key = Self.key(path, of: "metadata.labels") { return pod.metadata.labels?[key] ?? "" }
            if let key = Self.key(path, of: "metadata.annotations") { return pod.metadata.annotations?[key] ?? "" }
            throw ContainerConfigError(message: "unsupported fieldPath \(path)")
        }
    }

    /// A `resourceFieldRef` of `container` (limits/requests of cpu, memory, ephemeral-storage).
    func resource(_ selector: ResourceFieldSelector, of container: Container) throws -> String {
        let parts = selector.resource.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, ["limits", "requests"].contains(parts[0]), ["cpu", "memory", "ephemeral-storage"].contains(parts[1]) else {
            throw ContainerConfigError(message: "unsupported resourceFieldRef \(selector.resource)")
        }
        let values = parts[0] == "limits" ? container.resources?.limits : container.resources?.requests
        guard let quantity = values?[parts[1]] ?? (parts[0] == "limits" ? nodeCapacity[parts[1]] : nil) else { return "0" }
        if parts[1] == "cpu" {
            let divisor = max(1, selector.divisor?.milliValue ?? 1000)
            return String((quantity.milliValue + divisor - 1) / divisor)
        }
        let divisor = max(1, selector.divisor?.value ?? 1)
        return String((quantity.value + divisor - 1) / divisor)
    }

    /// `metadata.labels['app']` → `app`.
    private static func key(_ path: String, of field: String) -> String? {
        guard path.hasPrefix(field + "['"), path.hasSuffix("']") else { return nil }
        return String(path.dropFirst(field.count + 2).dropLast(2))
    }

    /// A map as the kubelet writes it into a file: `key="value"` per line, sorted, values quoted like Go's %q.
    private static func lines(_ map: [String: String]?) -> String {
        (map ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\(GoQuoted.string($0.value))" }.joined(separator: "\n")
    }
}
