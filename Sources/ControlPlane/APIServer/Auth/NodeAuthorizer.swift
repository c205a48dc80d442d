import Foundation
import KubeAPI
import Store

/// Upstream's Node authorizer for kubelets (`system:node:<name>` in `system:nodes`): secrets and configmaps (get, and
/// list/watch by `metadata.name` field selector), persistent volume claims and resource claims only when a pod bound
/// to the node uses them (and a claim's `status` updated or patched, for volume expansion), persistent volumes only
/// when bound to such a claim, VolumeAttachments (get) only when they attach to the node, ServiceAccount tokens only
/// for accounts its pods run as, its own Lease only, and otherwise the fixed node rules (nodes, pods, pods/status,
/// events, services, …). The relationships come from `NodeGraph`, kept
/// from the store's watch, so a decision costs a look-up rather than a list of pods. Any other user gets no opinion
/// here and goes on to RBAC.
struct NodeAuthorizer: Sendable {
    enum Decision: Sendable, Equatable {
        case allow(String)
        case deny(String)
        case noOpinion
    }

    let graph: NodeGraph

    func authorize(_ identity: Identity, _ a: RequestAttributes) async -> Decision {
        guard let node = identity.nodeName else { return .noOpinion }
        guard a.isResourceRequest else { return .noOpinion }
        switch (a.apiGroup, a.resource, a.subresource) {
        case ("", "secrets", _), ("", "configmaps", _):
            // Upstream's authorizeReadNamespacedObject: get, and list or watch of one object named by
            // `fieldSelector=metadata.name=NAME` (the name `RequestAttributes` takes from it).
            guard ["get", "list", "watch"].contains(a.verb) else { return .deny("can only read resources of this type") }
            guard a.subresource.isEmpty else { return .deny("cannot read subresource") }
            guard !a.namespace.isEmpty else { return .deny("can only read namespaced object of this type") }
            return await related(node, a)
        case ("", "persistentvolumeclaims", "status"):
            // Upstream's authorizeStatusUpdate: the kubelet records a claim's expansion (NodeRestriction then limits
            // what the write may change).
            guard ["update", "patch"].contains(a.verb) else { return .deny("can only get/update/patch this type") }
            return await related(node, a)
        case ("", "persistentvolumeclaims", _), ("", "persistentvolumes", _), ("resource.k8s.io", "resourceclaims", _),
             ("storage.k8s.io", "volumeattachments", _):
            // Upstream's authorizeGet.
            guard a.verb == "get" else { return .deny("can only get individual resources of this type") }
            guard a.subresource.isEmpty else { return .deny("cannot get subresource") }
            return await related(node, a)
        case ("", "serviceaccounts", "token"):
            guard a.verb == "create" else { return .deny("can only create tokens for individual service accounts") }
            let account = NodeGraph.Reference(resource: "serviceaccounts", namespace: a.namespace, name: a.name)
            return await graph.relatesWhenCurrent(node, to: account)
                ? .allow("node \(node) runs a pod as service account \(a.namespace)/\(a.name)")
                : .deny("no relationship found between node '\(node)' and this object")
        case ("coordination.k8s.io", "leases", ""):
            guard a.namespace == "kube-node-lease", a.name == node || a.verb == "create" else {
                return .deny("can only access node lease with the same name as the requesting node")
            }
            return ["get", "create", "update", "patch", "delete"].contains(a.verb) ? .allow("node lease") : .noOpinion
        default:
            return NodeRules.rules.contains(where: { RBACAuthorizer.allows($0, a) }) ? .allow("node rules") : .noOpinion
        }
    }

    /// Allowed when the graph relates the named object to the node (upstream's `authorize`).
    private func related(_ node: String, _ a: RequestAttributes) async -> Decision {
        guard !a.name.isEmpty else { return .deny("No Object name found") }
        let object = NodeGraph.Reference(resource: a.resource, namespace: a.namespace, name: a.name)
        return await graph.relatesWhenCurrent(node, to: object)
            ? .allow("node \(node) is related to \(object)")
            : .deny("no relationship found between node '\(node)' and this object")
    }
}

/// NodeRestriction admission: a node may change only its own Node object and the pods bound to it, create only
/// mirror pods bound to itself, request only tokens bound to its pods, and write only the status of a claim (what
/// that write may change is checked with the old object, in `PersistentVolumeClaimStrategy`) — upstream's messages,
/// as `… is forbidden: node "n1" …`.
struct NodeRestriction: Sendable {
    let store: any Store

    func admit(_ identity: Identity, _ a: RequestAttributes, body: Data) async -> Status? {
        guard let node = identity.nodeName, a.isResourceRequest,
              ["create", "update", "patch", "delete"].contains(a.verb) else { return nil }
        switch a.apiGroup == "coordination.k8s.io" ? "leases" : a.apiGroup.isEmpty ? a.resource : "" {
        case "leases":
            let target = a.verb == "create" ? (try? JSONValue(parsing: body))?["metadata"]?["name"]?.stringValue ?? "" : a.name
            if target != node { return forbidden(a, "can only access node lease with the same name as the requesting node") }
        case "persistentvolumeclaims":
            guard a.subresource == "status" else { return forbidden(a, "may only update PVC status") }
            if !["update", "patch"].contains(a.verb) { return forbidden(a, "unexpected operation \"\(a.verb.uppercased())\"") }
        case "serviceaccounts" where a.subresource == "token" && a.verb == "create":
            return await admitTokenRequest(node, a, body: body)
        case "nodes":
            var target = a.name
            if a.verb == "create", target.isEmpty { target = (try? JSONValue(parsing: body))?["metadata"]?["name"]?.stringValue ?? "" }
            if target != node { return forbidden(a, "node \"\(node)\" is not allowed to modify node \"\(target)\"") }
        case "pods":
            if !["", "status", "eviction"].contains(a.subresource) {
                return forbidden(a, "unexpected pod subresource \"\(a.subresource)\", only 'status' and 'eviction' are allowed")
            }
            switch (a.verb, a.subresource) {
            case ("create", ""):
                let pod = try? JSONValue(parsing: body)
                if pod?["metadata"]?["annotations"]?["kubernetes.io/config.mirror"] == nil {
                    return forbidden(a, "pod does not have \"kubernetes.io/config.mirror\" annotation, node \"\(node)\" can only create mirror pods")
                }
                if pod?["spec"]?["nodeName"]?.stringValue != node {
                    return forbidden(a, "node \"\(node)\" can only create pods with spec.nodeName set to itself")
                }
            case ("update", "status"), ("patch", "status"):
                if await boundNode(a) != node { return forbidden(a, "node \"\(node)\" can only update pod status for pods with spec.nodeName set to itself") }
            case ("delete", ""):
                if await boundNode(a) != node { return forbidden(a, "node \"\(node)\" can only delete pods with spec.nodeName set to itself") }
            case ("create", "eviction"):
                if await boundNode(a) != node { return forbidden(a, "node \"\(node)\" can only evict pods with spec.nodeName set to itself") }
            default: break
            }
        default: break
        }
        return nil
    }

    /// A node's TokenRequest must be bound to a pod (by name and UID) scheduled on that node.
    private func admitTokenRequest(_ node: String, _ a: RequestAttributes, body: Data) async -> Status? {
        let ref = (try? JSONValue(parsing: body))?["spec"]?["boundObjectRef"]
        guard let ref, ref["apiVersion"]?.stringValue == "v1", ref["kind"]?.stringValue == "Pod",
              let name = ref["name"]?.stringValue, !name.isEmpty else {
            return forbidden(a, "node requested token not bound to a pod")
        }
        guard let uid = ref["uid"]?.stringValue, !uid.isEmpty else {
            return forbidden(a, "node requested token with a pod binding without a uid")
        }
        guard let kv = try? await store.get(key: StoredObject.key(Pod.resource, namespace: a.namespace, name: name)),
              let pod = try? JSONValue(parsing: kv.value) else {
            return Status.notFound(Pod.resource, name: name)
        }
        if pod["metadata"]?["uid"]?.stringValue != uid {
            return forbidden(a, "the UID in the bound object reference (\(uid)) does not match the UID in record. The object might have been deleted and then recreated")
        }
        if pod["spec"]?["nodeName"]?.stringValue != node {
            return forbidden(a, "node requested token bound to a pod scheduled on a different node")
        }
        return nil
    }

    private func boundNode(_ a: RequestAttributes) async -> String? {
        guard let kv = try? await store.get(key: StoredObject.key(Pod.resource, namespace: a.namespace, name: a.name)) else { return nil }
        return (try? JSONValue(parsing: kv.value))?["spec"]?["nodeName"]?.stringValue
    }

    private func forbidden(_ a: RequestAttributes, _ message: String) -> Status {
        let qualified = a.apiGroup.isEmpty ? a.resource : "\(a.resource).\(a.apiGroup)"
        let subject = a.name.isEmpty ? qualified : "\(qualified) \"\(a.name)\""
        return Status(message: "\(subject) is forbidden: \(message)", reason: "Forbidden",
                      details: StatusDetails(name: a.name.isEmpty ? nil : a.name, kind: a.resource), code: 403)
    }
}
