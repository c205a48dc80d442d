import KubeAPI

/// How one field of a kind merges: its strategic-merge-patch strategy (upstream's `patchStrategy` /
/// `patchMergeKey` struct tags) and its server-side-apply topology (`+listType`, `+listMapKey`,
/// `+mapType`, `+structType` markers). Fields not in the table get the defaults: lists are replaced
/// (SMP) and atomic (SSA); objects merge member by member in both.
public struct FieldRule: Sendable, Hashable {
    /// Strategic merge patch behaviour.
    public enum PatchStrategy: Sendable, Hashable {
        /// Merge list items by this key; `nil` for a list of primitives merged as a set.
        case merge(key: String?)
        /// The patch value replaces the field whole (a map field tagged `patchStrategy:"replace"`).
        case replace
    }

    /// Server-side apply behaviour (structured-merge-diff's element relationship).
    public enum Topology: Sendable, Hashable {
        /// Owned and replaced as one value (`+listType=atomic`, `+mapType=atomic`, `+structType=atomic`).
        case atomic
        /// A list of primitives owned item by item (`+listType=set`).
        case set
        /// A list of objects owned item by item, identified by `keys` (`+listType=map`); `keyDefaults` fills
        /// key fields an item omits (e.g. `protocol: TCP` on ports), as the OpenAPI defaults do upstream.
        case map(keys: [String], keyDefaults: [String: JSONValue])
    }

    /// `nil`: lists replace, objects merge.
    public var patchStrategy: PatchStrategy?
    /// Whether patches for this field may carry `$retainKeys` (informational: `$retainKeys` is honoured anywhere).
    public var retainKeys: Bool
    /// `nil`: lists atomic, objects granular.
    public var topology: Topology?

    public init(patchStrategy: PatchStrategy? = nil, retainKeys: Bool = false, topology: Topology? = nil) {
        self.patchStrategy = patchStrategy
        self.retainKeys = retainKeys
        self.topology = topology
    }

    /// A list of objects merged by `key` in SMP and keyed by `listKeys` (default `[key]`) in SSA.
    public static func keyed(
        _ key: String, listKeys: [String]? = nil, keyDefaults: [String: JSONValue] = [:], retainKeys: Bool = false
    ) -> FieldRule {
        FieldRule(patchStrategy: .merge(key: key), retainKeys: retainKeys,
                  topology: .map(keys: listKeys ?? [key], keyDefaults: keyDefaults))
    }

    /// A list of primitives merged as a set in both SMP and SSA (finalizers, podCIDRs).
    public static let mergedSet = FieldRule(patchStrategy: .merge(key: nil), topology: .set)
    /// A list of objects keyed for SSA only (SMP replaces it).
    public static func listMap(_ keys: String...) -> FieldRule { FieldRule(topology: .map(keys: keys, keyDefaults: [:])) }
    /// Owned as a whole by SSA; SMP default behaviour.
    public static let atomic = FieldRule(topology: .atomic)
}

/// The merge rules of one kind, keyed by JSON field path with list items transparent:
/// `spec.containers` is the containers list, `spec.containers.ports` the ports list of every container.
///
/// The per-kind tables are built from shared blocks (ObjectMeta, PodSpec, Container, conditions) placed
/// under a prefix, so a PodSpec rule written once serves Pod (`spec`), Deployment (`spec.template.spec`) and
/// CronJob (`spec.jobTemplate.spec.template.spec`). Extend ``MergeKeys/byKind`` to teach a new kind.
public struct MergeKeys: Sendable, Hashable {
    /// Rules by dotted field path.
    public var rules: [String: FieldRule]

    public init(rules: [String: FieldRule]) { self.rules = rules }

    /// The rules for `kind`; an unknown kind gets only the ObjectMeta rules (every other list replaces).
    public static func forKind(_ kind: String) -> MergeKeys {
        MergeKeys(rules: byKind[kind] ?? under("metadata", objectMeta))
    }

    /// The rule of the field at `path` (object keys only), if the table has one.
    public func rule(_ path: [String]) -> FieldRule? {
        rules.isEmpty ? nil : rules[path.joined(separator: ".")]
    }
}

extension MergeKeys {
    /// Every kind the table knows.
    public static let byKind: [String: [String: FieldRule]] = {
        let meta = under("metadata", objectMeta)
        let podTemplate = under("template.metadata", objectMeta).merging(under("template.spec", podSpec)) { a, _ in a }
        let workload = meta.merging(under("spec", podTemplate)) { a, _ in a }
            .merging(["spec.selector": .atomic, "status.conditions": .keyed("type")]) { a, _ in a }
        func with(_ base: [String: FieldRule], _ extra: [String: FieldRule]) -> [String: FieldRule] {
            base.merging(extra) { _, new in new }
        }
        return [
            "Pod": with(meta, under("spec", podSpec).merging(under("status", podStatus)) { a, _ in a }),
            "PodTemplate": with(meta, podTemplate),
            "Deployment": with(workload, ["spec.strategy": FieldRule(retainKeys: true)]),
            "ReplicaSet": workload,
            "DaemonSet": workload,
            "StatefulSet": workload,
            "Job": workload,
            "CronJob": with(meta, under("spec.jobTemplate", under("metadata", objectMeta)
                .merging(under("spec", podTemplate)) { a, _ in a }
                .merging(["spec.selector": .atomic]) { a, _ in a })),
            "ReplicationController": with(meta, under("spec", podTemplate)
                .merging(["spec.selector": .atomic, "status.conditions": .keyed("type")]) { a, _ in a }),
            "Service": with(meta, [
                "spec.ports": .keyed("port", listKeys: ["port", "protocol"], keyDefaults: ["protocol": "TCP"]),
                "spec.selector": .atomic,
                "status.conditions": .keyed("type"),
            ]),
            "Node": with(meta, [
                "spec.podCIDRs": .mergedSet,
                "status.conditions": .keyed("type"),
                "status.addresses": .keyed("type"),
            ]),
            "Namespace": with(meta, ["status.conditions": .keyed("type")]),
            "PersistentVolumeClaim": with(meta, ["status.conditions": .keyed("type")]),
            "PersistentVolume": meta,
            "StorageClass": meta,
            "VolumeAttachment": meta,
            "ServiceAccount": with(meta, ["secrets": .keyed("name")]),
            "HorizontalPodAutoscaler": with(meta, ["status.conditions": .keyed("type")]),
            "PodDisruptionBudget": with(meta, [
                "spec.selector": FieldRule(patchStrategy: .replace, topology: .atomic),
                "status.conditions": .keyed("type"),
            ]),
            "CSINode": with(meta, ["spec.drivers": .keyed("name")]),
        ]
    }()

    /// ObjectMeta (k8s.io/apimachinery meta/v1).
    static let objectMeta: [String: FieldRule] = [
        "finalizers": .mergedSet,
        "ownerReferences": .keyed("uid"),
    ]

    /// Container and EphemeralContainer (core/v1).
    static let container: [String: FieldRule] = [
        "ports": .keyed("containerPort", listKeys: ["containerPort", "protocol"], keyDefaults: ["protocol": "TCP"]),
        "env": .keyed("name"),
        "env.valueFrom.configMapKeyRef": .atomic,
        "env.valueFrom.secretKeyRef": .atomic,
        "env.valueFrom.fieldRef": .atomic,
        "env.valueFrom.resourceFieldRef": .atomic,
        "volumeMounts": .keyed("mountPath"),
        "volumeDevices": .keyed("devicePath"),
        "resources.claims": .listMap("name"),
    ]

    /// PodSpec (core/v1), containers included.
    static let podSpec: [String: FieldRule] = {
        var rules: [String: FieldRule] = [
            "volumes": .keyed("name", retainKeys: true),
            "containers": .keyed("name"),
            "initContainers": .keyed("name"),
            "ephemeralContainers": .keyed("name"),
            "imagePullSecrets": .keyed("name"),
            "hostAliases": .keyed("ip"),
            "topologySpreadConstraints": .keyed("topologyKey", listKeys: ["topologyKey", "whenUnsatisfiable"]),
            "schedulingGates": .keyed("name"),
            "resourceClaims": .keyed("name", retainKeys: true),
            "nodeSelector": .atomic,
            "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution": .atomic,
        ]
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            rules.merge(under(list, container)) { a, _ in a }
        }
        return rules
    }()

    /// PodStatus (core/v1).
    static let podStatus: [String: FieldRule] = [
        "conditions": .keyed("type"),
        "podIPs": .keyed("ip"),
        "hostIPs": FieldRule(patchStrategy: .merge(key: "ip"), topology: .atomic),
        "resourceClaimStatuses": .keyed("name", retainKeys: true),
    ]

    /// `rules` with every path prefixed by `prefix`.
    static func under(_ prefix: String, _ rules: [String: FieldRule]) -> [String: FieldRule] {
        Dictionary(uniqueKeysWithValues: rules.map { (prefix + "." + $0.key, $0.value) })
    }
}

extension MergeKeys {
    /// Fields a typed Kubernetes object carries even when zero (non-pointer structs as `{}`, required lists
    /// such as `containers` as `null`): upstream compares typed objects, so these never count as "added" when a
    /// manager first sets something inside them. A path whose parent is missing or absent from a kind is skipped.
    static let zeroValues: [([String], JSONValue)] = {
        let structs: [[String]] = [
            ["metadata"], ["spec"], ["status"],
            ["spec", "template"], ["spec", "template", "metadata"], ["spec", "template", "spec"],
            ["spec", "strategy"], ["spec", "updateStrategy"],
            ["spec", "jobTemplate"], ["spec", "jobTemplate", "metadata"], ["spec", "jobTemplate", "spec"],
            ["spec", "jobTemplate", "spec", "template"], ["spec", "jobTemplate", "spec", "template", "metadata"],
            ["spec", "jobTemplate", "spec", "template", "spec"],
        ]
        let lists: [[String]] = [
            ["spec", "containers"], ["spec", "template", "spec", "containers"],
            ["spec", "jobTemplate", "spec", "template", "spec", "containers"],
        ]
        return structs.map { ($0, [:]) } + lists.map { ($0, .null) }
    }()
}
