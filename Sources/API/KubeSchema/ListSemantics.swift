import KubeAPI

/// The merge extensions upstream attaches to list fields, by `<upstream type name>.<field>`: how a strategic
/// merge patch merges them (`x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`) and how
/// server-side apply identifies their items (`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`).
///
/// Lists not named here are atomic for apply and replaced by a patch, upstream's default. The same rules
/// drive KubePatch's merging (`MergeKeys`), so the two should change together.
enum ListSemantics {
    static let byField: [String: JSONValue] = [
        "ObjectMeta.finalizers": set,
        "ObjectMeta.ownerReferences": keyed("uid"),
        "PodSpec.containers": keyed("name"),
        "PodSpec.initContainers": keyed("name"),
        "PodSpec.ephemeralContainers": keyed("name"),
        "PodSpec.volumes": keyed("name", retainKeys: true),
        "PodSpec.imagePullSecrets": keyed("name"),
        "PodSpec.hostAliases": keyed("ip"),
        "PodSpec.schedulingGates": keyed("name"),
        "PodSpec.resourceClaims": keyed("name", retainKeys: true),
        "PodSpec.topologySpreadConstraints": keyed("topologyKey", mapKeys: ["topologyKey", "whenUnsatisfiable"]),
        "Container.env": keyed("name"),
        "Container.ports": keyed("containerPort", mapKeys: ["containerPort", "protocol"]),
        "Container.volumeMounts": keyed("mountPath"),
        "Container.volumeDevices": keyed("devicePath"),
        "ResourceRequirements.claims": ["x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]],
        "EphemeralContainer.env": keyed("name"),
        "EphemeralContainer.volumeMounts": keyed("mountPath"),
        "EphemeralContainer.volumeDevices": keyed("devicePath"),
        "PodStatus.conditions": keyed("type"),
        "PodStatus.podIPs": keyed("ip"),
        "PodStatus.hostIPs": ["x-kubernetes-list-type": "atomic", "x-kubernetes-patch-merge-key": "ip", "x-kubernetes-patch-strategy": "merge"],
        "PodStatus.resourceClaimStatuses": keyed("name", retainKeys: true),
        "ServiceSpec.ports": keyed("port", mapKeys: ["port", "protocol"]),
        "NodeSpec.podCIDRs": set,
        "NodeStatus.conditions": keyed("type"),
        "NodeStatus.addresses": keyed("type"),
        "NamespaceStatus.conditions": keyed("type"),
        "PersistentVolumeClaimStatus.conditions": keyed("type"),
        "DeploymentStatus.conditions": keyed("type"),
        "ReplicaSetStatus.conditions": keyed("type"),
        "DaemonSetStatus.conditions": keyed("type"),
        "StatefulSetStatus.conditions": keyed("type"),
        "HorizontalPodAutoscalerStatus.conditions": keyed("type"),
        "ServiceAccount.secrets": keyed("name"),
    ]

    /// Upstream's `patchStrategy:"retainKeys"` on union structs: a patch that switches `type` drops the
    /// members it no longer names.
    static let retainKeysFields: Set<String> = ["DeploymentSpec.strategy"]

    /// The extensions of `field` of the component named `typeName` (its upstream short name).
    static func extensions(typeName: String, field: String) -> [String: JSONValue] {
        let path = typeName + "." + field
        if retainKeysFields.contains(path) { return ["x-kubernetes-patch-strategy": "retainKeys"] }
        return byField[path]?.objectValue ?? [:]
    }

    /// A list of objects merged by `mergeKey` and identified by `mapKeys` (default `[mergeKey]`).
    private static func keyed(_ mergeKey: String, mapKeys: [String]? = nil, retainKeys: Bool = false) -> JSONValue {
        [
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": .array((mapKeys ?? [mergeKey]).map { .string($0) }),
            "x-kubernetes-patch-merge-key": .string(mergeKey),
            "x-kubernetes-patch-strategy": retainKeys ? "merge,retainKeys" : "merge",
        ]
    }

    /// A list of strings merged and owned as a set.
    private static let set: JSONValue = ["x-kubernetes-list-type": "set", "x-kubernetes-patch-strategy": "merge"]
}
