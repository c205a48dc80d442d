import Foundation
import KubeAPI

/// Namespaces: phase Active with the `kubernetes` finalizer and the `kubernetes.io/metadata.name` label on
/// create; deletion goes through phase Terminating until the namespace controller finalizes it.
struct NamespaceStrategy: ResourceStrategy {
    typealias Object = Namespace
    var hasStatus: Bool { true }

    func prepareForCreate(_ namespace: inout Namespace, context: AdmissionContext) async throws {
        var labels = namespace.metadata.labels ?? [:]
        labels["kubernetes.io/metadata.name"] = namespace.metadata.name
        namespace.metadata.labels = labels
        namespace.spec = NamespaceSpec(finalizers: namespace.spec?.finalizers ?? ["kubernetes"])
        namespace.status = NamespaceStatus(phase: "Active")
    }

    func prepareForUpdate(_ namespace: inout Namespace, old: Namespace, context: AdmissionContext) async throws {
        namespace.status = old.status
        namespace.spec = old.spec
        var labels = namespace.metadata.labels ?? [:]
        labels["kubernetes.io/metadata.name"] = namespace.metadata.name ?? old.metadata.name
        namespace.metadata.labels = labels
    }

    func mergeStatus(_ namespace: Namespace, into old: Namespace) -> Namespace {
        var merged = old
        merged.status = namespace.status
        return merged
    }

    func awaitsFinalization(_ namespace: Namespace) -> Bool { !(namespace.spec?.finalizers ?? []).isEmpty }

    var table: TableConverter<Namespace> { Printers.namespace }
}

/// Nodes: cluster-scoped, with a status subresource written by the kubelet.
struct NodeStrategy: ResourceStrategy {
    typealias Object = Node
    var hasStatus: Bool { true }

    func prepareForUpdate(_ node: inout Node, old: Node, context: AdmissionContext) async throws {
        node.status = old.status
    }

    func mergeStatus(_ node: Node, into old: Node) -> Node {
        var merged = old
        merged.status = node.status
        return merged
    }

    var table: TableConverter<Node> { Printers.node }
}
