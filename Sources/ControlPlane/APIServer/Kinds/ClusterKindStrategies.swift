import Foundation
import KubeAPI

/// Namespaces: phase Active with the `kubernetes` finalizer and the `kubernetes.io/metadata.name` label on
/// create; deletion goes through phase Terminating until the namespace controller finalizes it.
struct NamespaceStrategy: ResourceStrategy {
    typealias Object = Namespace
    var extraSubresources: [String] { ["finalize"] }

    func prepareForCreate(_ namespace: inout Namespace, context: AdmissionContext) async throws {
        var labels = namespace.metadata.labels ?? [:]
        labels["kubernetes.io/metadata.name"] = namespace.metadata.name
        namespace.metadata.labels = labels
        namespace.spec = NamespaceSpec(finalizers: namespace.spec?.finalizers ?? ["kubernetes"])
        namespace.status = NamespaceStatus(phase: "Active")
    }

    func prepareForUpdate(_ namespace: inout Namespace, old: Namespace, context: AdmissionContext) async throws {
        namespace.spec = old.spec
        var labels = namespace.metadata.labels ?? [:]
        labels["kubernetes.io/metadata.name"] = namespace.metadata.name ?? old.metadata.name
        namespace.metadata.labels = labels
    }


    func awaitsFinalization(_ namespace: Namespace) -> Bool { !(namespace.spec?.finalizers ?? []).isEmpty }

    func prepareForDeletion(_ namespace: inout Namespace) {
        namespace.status = NamespaceStatus(phase: "Terminating", conditions: namespace.status?.conditions)
    }

    var table: TableConverter<Namespace> { Printers.namespace }
}

/// Nodes: cluster-scoped, with a status subresource written by the kubelet.
struct NodeStrategy: ResourceStrategy {
    typealias Object = Node
    var table: TableConverter<Node> { Printers.node }
    /// `nodes/{name}/proxy/{path}` to the node's kubelet (`ResourceHandler+NodeProxy`).
    var extraSubresources: [String] { ["proxy"] }

    /// NodeRestriction's `admitNode` for a node writing its own Node (which one it may write is checked before, in
    /// `NodeRestriction`): it registers only with labels a kubelet may set, and never changes its taints or labels
    /// outside that set afterwards — either would let it steer workloads to itself.
    func authorizeWrite(_ node: Node, old: Node?, namespace: String, user: Identity, security: Security) async throws {
        guard let nodeName = user.nodeName else { return }
        func refuse(_ message: String) -> Status { Status.forbidden(Node.resource, name: node.metadata.name ?? "", message) }
        guard let old else {
            let forbidden = KubeletLabels.forbiddenForNodes(Set((node.metadata.labels ?? [:]).keys))
            if !forbidden.isEmpty {
                throw refuse("node \"\(nodeName)\" is not allowed to set the following labels: \(forbidden.joined(separator: ", "))")
            }
            return
        }
        if (node.spec?.taints ?? []) != (old.spec?.taints ?? []) {
            throw refuse("node \"\(nodeName)\" is not allowed to modify taints")
        }
        let forbidden = KubeletLabels.forbiddenForNodes(KubeletLabels.modified(node.metadata.labels, old.metadata.labels))
        if !forbidden.isEmpty { throw refuse("is not allowed to modify labels: \(forbidden.joined(separator: ", "))") }
    }
}
