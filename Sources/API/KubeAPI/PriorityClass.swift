import Foundation

/// scheduling.k8s.io/v1 `PriorityClass`: a name for a pod priority. The Priority admission plugin resolves a pod's
/// `priorityClassName` to `spec.priority` and `spec.preemptionPolicy`; at most one class is the `globalDefault`
/// for pods that name none. The server keeps the built-in `system-cluster-critical` and `system-node-critical`.
public struct PriorityClass: KubeObject {
    public static let resource = ResourceInfo(group: "scheduling.k8s.io", version: "v1", plural: "priorityclasses",
                                              singular: "priorityclass", kind: "PriorityClass", namespaced: false, shortNames: ["pc"])

    /// Upstream's built-in classes and their values (`scheduling.SystemCriticalPriority` = 2,000,000,000).
    public static let systemClusterCritical = "system-cluster-critical"
    public static let systemNodeCritical = "system-node-critical"
    public static let systemCriticalPriority: Int32 = 2_000_000_000
    /// Values above this are reserved for the system classes (`HighestUserDefinablePriority`).
    public static let highestUserDefinablePriority: Int32 = 1_000_000_000

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// The priority pods of this class get; required, so it is always encoded.
    public var value: Int32
    public var globalDefault: Bool?
    public var description: String?
    /// `PreemptLowerPriority` (the default) or `Never`.
    public var preemptionPolicy: String?

    public init(metadata: ObjectMeta = ObjectMeta(), value: Int32 = 0, globalDefault: Bool? = nil, description: String? = nil,
                preemptionPolicy: String? = nil) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.value = value
        self.globalDefault = globalDefault
        self.description = description
        self.preemptionPolicy = preemptionPolicy
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, value, globalDefault, description, preemptionPolicy }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        value = try c.decodeIfPresent(Int32.self, forKey: .value) ?? 0
        globalDefault = try c.decodeIfPresent(Bool.self, forKey: .globalDefault)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        preemptionPolicy = try c.decodeIfPresent(String.self, forKey: .preemptionPolicy)
    }

    /// The classes every cluster has (upstream's `SystemPriorityClasses`).
    public static var systemClasses: [PriorityClass] {
        [
            PriorityClass(metadata: ObjectMeta(name: systemNodeCritical), value: systemCriticalPriority + 1000,
                          description: "Used for system critical pods that must not be moved from their current node."),
            PriorityClass(metadata: ObjectMeta(name: systemClusterCritical), value: systemCriticalPriority,
                          description: "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
        ]
    }
}

extension PriorityClass: FieldSelectable {
    /// Cluster-scoped: only `metadata.name`, as upstream's default for cluster-scoped kinds.
    public static let selectableFields: Set<String> = ["metadata.name"]
    public var fieldValues: [String: String] { ["metadata.name": metadata.name ?? ""] }
}
