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

/// NodeRestriction admission (upstream's plugin/pkg/admission/noderestriction, 1.32): a node may change only its own
/// Node object and Lease, request only tokens bound to its pods, and write only the status of a claim (what that
/// write may change is checked with the old object, in `PersistentVolumeClaimStrategy`). On pods it may create only
/// mirror pods bound to itself and owned by its Node, referencing no other API object; delete and evict only pods
/// bound to itself; write only the `status` of pods bound to itself (checked with the old object, in
/// `PodStrategy`); never update or patch a pod itself, nor use another subresource. Upstream's messages, as
/// `pods "x" is forbidden: node "n1" …`.
struct NodeRestriction: Sendable {
    let store: any Store

    /// nil when admitted. `body` parses the request's body (JSON, YAML or protobuf); a body it cannot parse is left
    /// for the handler to refuse.
    func admit(_ identity: Identity, _ a: RequestAttributes, body: () throws -> JSONValue) async -> Status? {
        guard let node = identity.nodeName, a.isResourceRequest,
              ["create", "update", "patch", "delete"].contains(a.verb) else { return nil }
        switch a.apiGroup == "coordination.k8s.io" ? "leases" : a.apiGroup.isEmpty ? a.resource : "" {
        case "leases":
            let target = a.verb == "create" ? (try? body())?["metadata"]?["name"]?.stringValue ?? "" : a.name
            if target != node { return forbidden(a, "can only access node lease with the same name as the requesting node", name: target) }
        case "persistentvolumeclaims":
            guard a.subresource == "status" else { return forbidden(a, "may only update PVC status") }
            if !["update", "patch"].contains(a.verb) { return forbidden(a, "unexpected operation \"\(a.operation)\"") }
        case "serviceaccounts" where a.subresource == "token" && a.verb == "create":
            return await admitTokenRequest(node, a, body: try? body())
        case "nodes":
            var target = a.name
            if a.verb == "create", target.isEmpty { target = (try? body())?["metadata"]?["name"]?.stringValue ?? "" }
            if target != node { return forbidden(a, "node \"\(node)\" is not allowed to modify node \"\(target)\"", name: target) }
        case "pods":
            switch a.subresource {
            case "": return await admitPod(node, a, body: body)
            case "status":
                // Which pod and what the write changes are checked against the stored pod, in PodStrategy.
                if !["update", "patch"].contains(a.verb) { return forbidden(a, "unexpected operation \"\(a.operation)\"") }
            case "eviction":
                guard a.verb == "create" else { return forbidden(a, "unexpected operation \(a.operation)") }
                switch await boundNode(a) {
                case .none: return Status.notFound(Pod.resource, name: a.name)
                case .some(let bound) where bound != node:
                    return forbidden(a, "node \(node) can only evict pods with spec.nodeName set to itself")
                default: break
                }
            default:
                return forbidden(a, "unexpected pod subresource \"\(a.subresource)\", only 'status' and 'eviction' are allowed")
            }
        default: break
        }
        return nil
    }

    /// Upstream's admitPod: a node creates mirror pods and deletes pods bound to itself; nothing else.
    private func admitPod(_ node: String, _ a: RequestAttributes, body: () throws -> JSONValue) async -> Status? {
        switch a.verb {
        case "create":
            guard let pod = try? body() else { return nil }
            return await admitMirrorPod(node, a, pod: pod)
        case "delete":
            switch await boundNode(a) {
            case .none: return Status.notFound(Pod.resource, name: a.name)
            case .some(let bound) where bound != node:
                return forbidden(a, "node \"\(node)\" can only delete pods with spec.nodeName set to itself")
            default: return nil
            }
        default:
            return forbidden(a, "unexpected operation \"\(a.operation)\", node \"\(node)\" can only create and delete mirror pods")
        }
    }

    /// Upstream's admitPodCreate, in its order: the mirror annotation, `spec.nodeName`, one controller owner
    /// reference to its own Node (by UID, without blockOwnerDeletion), and no service account, secret, configmap,
    /// ClusterTrustBundle or claim the pod would make the node able to read.
    private func admitMirrorPod(_ node: String, _ a: RequestAttributes, pod: JSONValue) async -> Status? {
        let metadata = pod["metadata"], spec = pod["spec"]
        let name = [metadata?["name"], metadata?["generateName"]].lazy.compactMap { $0?.stringValue }.first { !$0.isEmpty } ?? "Unknown"
        func refuse(_ message: String) -> Status { forbidden(a, message, name: name) }
        if metadata?["annotations"]?[Pod.mirrorAnnotation] == nil {
            return refuse("pod does not have \"\(Pod.mirrorAnnotation)\" annotation, node \"\(node)\" can only create mirror pods")
        }
        if (spec?["nodeName"]?.stringValue ?? "") != node {
            return refuse("node \"\(node)\" can only create pods with spec.nodeName set to itself")
        }
        let owners = metadata?["ownerReferences"]?.arrayValue ?? []
        if owners.count > 1 { return refuse("node \"\(node)\" can only create pods with a single owner reference set to itself") }
        guard let owner = owners.first, owner["apiVersion"]?.stringValue == "v1", owner["kind"]?.stringValue == "Node",
              owner["name"]?.stringValue == node else {
            return refuse("node \"\(node)\" can only create pods with an owner reference set to itself")
        }
        if owner["controller"]?.boolValue != true {
            return refuse("node \"\(node)\" can only create pods with a controller owner reference set to itself")
        }
        if owner["blockOwnerDeletion"]?.boolValue == true {
            return refuse("node \"\(node)\" must not set blockOwnerDeletion on an owner reference")
        }
        let stored: KeyValue?
        do {
            stored = try await store.get(key: StoredObject.key(Node.resource, namespace: nil, name: node))
        } catch {
            return refuse("error looking up node \(node) to verify uid: \(error)")
        }
        guard let stored else { return Status.notFound(Node.resource, name: node) }
        let nodeUID = (try? JSONValue(parsing: stored.value))?["metadata"]?["uid"]?.stringValue ?? ""
        let ownerUID = owner["uid"]?.stringValue ?? ""
        if ownerUID != nodeUID {
            // Upstream's words, "expected" naming the owner reference's UID.
            return refuse("node \(node) UID mismatch: expected \(ownerUID) got \(nodeUID)")
        }
        // Defaulting carries the deprecated `serviceAccount` into `serviceAccountName`.
        if !(spec?["serviceAccountName"]?.stringValue ?? spec?["serviceAccount"]?.stringValue ?? "").isEmpty {
            return refuse("node \"\(node)\" can not create pods that reference a service account")
        }
        let references = spec.map { NodeGraph.references(ofSpec: $0, namespace: a.namespace) } ?? []
        if references.contains(where: { $0.resource == "secrets" }) {
            return refuse("node \"\(node)\" can not create pods that reference secrets")
        }
        if references.contains(where: { $0.resource == "configmaps" }) {
            return refuse("node \"\(node)\" can not create pods that reference configmaps")
        }
        let volumes = spec?["volumes"]?.arrayValue ?? []
        if volumes.contains(where: { ($0["projected"]?["sources"]?.arrayValue ?? []).contains { $0["clusterTrustBundle"] != nil } }) {
            return refuse("node \"\(node)\" can not create pods that reference clustertrustbundles")
        }
        if volumes.contains(where: { $0["persistentVolumeClaim"] != nil }) {
            return refuse("node \"\(node)\" can not create pods that reference persistentvolumeclaims")
        }
        return nil
    }

    /// A node's TokenRequest must be bound to a pod (by name and UID) scheduled on that node.
    private func admitTokenRequest(_ node: String, _ a: RequestAttributes, body: JSONValue?) async -> Status? {
        let ref = body?["spec"]?["boundObjectRef"]
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

    /// The `spec.nodeName` of the pod the request names ("" when unscheduled); nil when there is no such pod.
    private func boundNode(_ a: RequestAttributes) async -> String? {
        guard let kv = try? await store.get(key: StoredObject.key(Pod.resource, namespace: a.namespace, name: a.name)) else { return nil }
        return (try? JSONValue(parsing: kv.value))?["spec"]?["nodeName"]?.stringValue ?? ""
    }

    /// Upstream's admission.NewForbidden: the object named by the request, or on a create by the object sent.
    private func forbidden(_ a: RequestAttributes, _ message: String, name: String? = nil) -> Status {
        let qualified = a.apiGroup.isEmpty ? a.resource : "\(a.resource).\(a.apiGroup)"
        let named = a.name.isEmpty ? name ?? "" : a.name
        let subject = named.isEmpty ? qualified : "\(qualified) \"\(named)\""
        return Status(message: "\(subject) is forbidden: \(message)", reason: "Forbidden",
                      details: StatusDetails(name: named.isEmpty ? nil : named, kind: a.resource), code: 403)
    }
}

extension RequestAttributes {
    /// The admission operation of the verb, as upstream's admission attributes name it (a patch is an UPDATE).
    var operation: String {
        switch verb {
        case "create": "CREATE"
        case "update", "patch": "UPDATE"
        case "delete", "deletecollection": "DELETE"
        default: verb.uppercased()
        }
    }
}
