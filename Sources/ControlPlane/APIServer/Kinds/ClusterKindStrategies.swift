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
}
