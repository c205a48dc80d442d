/// The registry of message schemas and of the kinds that may arrive as protobuf.
///
/// The tables in `Schemas+*.swift` hold every message reachable from the served kinds, `Binding`, `Scale` and
/// `DeleteOptions`, transcribed from the `generated.proto` files of k8s.io/api and k8s.io/apimachinery v0.36.3
/// (field numbers never change, so older clients such as kubectl 1.32 simply leave the newer fields out), with
/// JSON names and `omitempty`/pointer-ness from the Go types' tags.
enum Schemas {
    /// Every message schema, by name.
    static let messages: [String: MessageSchema] = Dictionary(
        uniqueKeysWithValues: (meta + core + pod + volume + apps + batch + autoscaling + discovery + coordination + auth + policy + certificates + persistentVolume + events
                  + networking + node)
            .map { ($0.name, $0) })

    /// The top-level message of each kind, by `apiVersion` then `kind`.
    static let kinds: [String: [String: String]] = {
        var kinds: [String: [String: String]] = [
            "v1": [
                "Namespace": "core.v1.Namespace", "Node": "core.v1.Node", "Pod": "core.v1.Pod",
                "Service": "core.v1.Service", "Endpoints": "core.v1.Endpoints", "ConfigMap": "core.v1.ConfigMap",
                "Secret": "core.v1.Secret", "ServiceAccount": "core.v1.ServiceAccount", "Event": "core.v1.Event",
                "Binding": "core.v1.Binding", "PersistentVolumeClaim": "core.v1.PersistentVolumeClaim",
                "PersistentVolume": "core.v1.PersistentVolume",
                "ReplicationController": "core.v1.ReplicationController",
                "ResourceQuota": "core.v1.ResourceQuota", "LimitRange": "core.v1.LimitRange",
            ],
            "apps/v1": [
                "Deployment": "apps.v1.Deployment", "ReplicaSet": "apps.v1.ReplicaSet", "DaemonSet": "apps.v1.DaemonSet",
                "ControllerRevision": "apps.v1.ControllerRevision", "StatefulSet": "apps.v1.StatefulSet",
            ],
            "batch/v1": ["Job": "batch.v1.Job", "CronJob": "batch.v1.CronJob"],
            "discovery.k8s.io/v1": ["EndpointSlice": "discovery.v1.EndpointSlice"],
            "coordination.k8s.io/v1": ["Lease": "coordination.v1.Lease"],
            "events.k8s.io/v1": ["Event": "events.v1.Event"],
            "autoscaling/v1": ["Scale": "autoscaling.v1.Scale", "HorizontalPodAutoscaler": "autoscaling.v1.HorizontalPodAutoscaler"],
            "autoscaling/v2": ["HorizontalPodAutoscaler": "autoscaling.v2.HorizontalPodAutoscaler"],
            "networking.k8s.io/v1": [
                "Ingress": "networking.v1.Ingress", "IngressClass": "networking.v1.IngressClass",
                "NetworkPolicy": "networking.v1.NetworkPolicy",
            ],
            "policy/v1": ["PodDisruptionBudget": "policy.v1.PodDisruptionBudget", "Eviction": "policy.v1.Eviction"],
            "scheduling.k8s.io/v1": ["PriorityClass": "scheduling.v1.PriorityClass"],
            "node.k8s.io/v1": ["RuntimeClass": "node.v1.RuntimeClass"],
            "storage.k8s.io/v1": ["StorageClass": "storage.v1.StorageClass", "VolumeAttachment": "storage.v1.VolumeAttachment"],
            "certificates.k8s.io/v1": ["CertificateSigningRequest": "certificates.v1.CertificateSigningRequest"],
            "rbac.authorization.k8s.io/v1": [
                "Role": "rbac.v1.Role", "ClusterRole": "rbac.v1.ClusterRole", "RoleBinding": "rbac.v1.RoleBinding",
                "ClusterRoleBinding": "rbac.v1.ClusterRoleBinding",
            ],
            "authentication.k8s.io/v1": [
                "TokenRequest": "authentication.v1.TokenRequest", "TokenReview": "authentication.v1.TokenReview",
                "SelfSubjectReview": "authentication.v1.SelfSubjectReview",
            ],
            "authorization.k8s.io/v1": [
                "SelfSubjectAccessReview": "authorization.v1.SelfSubjectAccessReview",
                "SubjectAccessReview": "authorization.v1.SubjectAccessReview",
                "LocalSubjectAccessReview": "authorization.v1.SubjectAccessReview",
                "SelfSubjectRulesReview": "authorization.v1.SelfSubjectRulesReview",
            ],
            "meta.k8s.io/v1": [:],
        ]
        // Upstream registers DeleteOptions in every group-version (metav1.AddToGroupVersion), so a DELETE body
        // may name any of them.
        for apiVersion in kinds.keys { kinds[apiVersion]?["DeleteOptions"] = "meta.v1.DeleteOptions" }
        return kinds
    }()

    /// The schema of the kind's top-level message, or upstream's "no kind is registered" error.
    static func schema(apiVersion: String, kind: String) throws -> MessageSchema {
        guard let name = kinds[apiVersion]?[kind], let schema = messages[name] else {
            throw ProtobufError(.unknownKind, "no kind \"\(kind)\" is registered for version \"\(apiVersion)\"")
        }
        return schema
    }

    /// The schema a `.message` field names; the tables are checked by tests to name only existing messages.
    static func message(_ name: String) -> MessageSchema {
        guard let schema = messages[name] else { preconditionFailure("no message schema \(name)") }
        return schema
    }
}
