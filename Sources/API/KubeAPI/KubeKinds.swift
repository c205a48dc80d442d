import Foundation

/// The registry of kinds Swiftlet stores and serves.
///
/// Subresource bodies (`Binding`, `Scale`) have their own `ResourceInfo` but are not stored kinds, so they are
/// not listed here.
public enum KubeKinds {
    /// Every stored kind, core group first.
    public static let all: [any KubeObject.Type] = [
        Namespace.self, Node.self, Pod.self, Service.self, Endpoints.self, ConfigMap.self, Secret.self,
        ServiceAccount.self, Event.self, PersistentVolumeClaim.self, PersistentVolume.self,
        ReplicationController.self,
        ResourceQuota.self, LimitRange.self,
        Deployment.self, ReplicaSet.self, DaemonSet.self, StatefulSet.self, ControllerRevision.self,
        Job.self, CronJob.self,
        HorizontalPodAutoscaler.self,
        EndpointSlice.self,
        Lease.self,
        PriorityClass.self,
        RuntimeClass.self,
        StorageClass.self, VolumeAttachment.self,
        PodDisruptionBudget.self,
        Ingress.self, IngressClass.self, NetworkPolicy.self,
        Role.self, ClusterRole.self, RoleBinding.self, ClusterRoleBinding.self,
        CertificateSigningRequest.self,
    ]

    /// Kinds served as another API view of a stored kind's objects (events.k8s.io/v1 `Event` over core/v1 `Event`,
    /// autoscaling/v1 `HorizontalPodAutoscaler` over autoscaling/v2's): not stored, so not in `all`, which controllers
    /// walk to find every object.
    public static let views: [any KubeObject.Type] = [EventsV1Event.self, HorizontalPodAutoscalerV1.self]

    /// The kind served at `group`/`version`/`plural`, e.g. `("apps", "v1", "deployments")`, stored or a view.
    public static func kind(group: String, version: String, plural: String) -> (any KubeObject.Type)? {
        (all + views).first { $0.resource.group == group && $0.resource.version == version && $0.resource.plural == plural }
    }

    /// The kind with this `apiVersion` and `kind` (`"apps/v1"`, `"Deployment"`).
    public static func kind(apiVersion: String, kind: String) -> (any KubeObject.Type)? {
        all.first { $0.resource.groupVersion == apiVersion && $0.resource.kind == kind }
    }

    /// The group-versions in use, in order of first appearance (`v1`, `apps/v1`, …).
    public static var groupVersions: [String] {
        var seen = [String]()
        for k in all where !seen.contains(k.resource.groupVersion) { seen.append(k.resource.groupVersion) }
        return seen
    }

    /// Decodes JSON as the given kind, for code that only knows the kind at run time.
    public static func decode(_ kind: any KubeObject.Type, from data: Data) throws -> any KubeObject {
        try decodeOpened(kind, data)
    }

    /// Decodes a JSON document by its own `apiVersion` and `kind`; `nil` if the kind is not one of `all`.
    public static func decode(_ data: Data) throws -> (any KubeObject)? {
        let value = try JSONValue(parsing: data)
        guard let apiVersion = value["apiVersion"]?.stringValue, let kindName = value["kind"]?.stringValue,
              let kind = kind(apiVersion: apiVersion, kind: kindName) else { return nil }
        return try decode(kind, from: data)
    }

    private static func decodeOpened<T: KubeObject>(_ type: T.Type, _ data: Data) throws -> any KubeObject {
        try KubeJSON.decode(T.self, from: data)
    }
}
