import Foundation

/// node.k8s.io/v1 `RuntimeClass` (cluster-scoped): a named container runtime configuration. A pod naming it in
/// `spec.runtimeClassName` runs under the CRI handler `handler` (the kubelet passes it to RunPodSandbox), is charged
/// the class's fixed `overhead` on top of its containers (the RuntimeClass admission plugin sets `spec.overhead`), and
/// is kept to the nodes the class's `scheduling` allows (its nodeSelector and tolerations are merged into the pod's).
///
/// ```yaml
/// apiVersion: node.k8s.io/v1
/// kind: RuntimeClass
/// metadata: {name: sandboxed}
/// handler: kata
/// overhead: {podFixed: {cpu: 250m, memory: 120Mi}}
/// ```
public struct RuntimeClass: KubeObject {
    public static let resource = ResourceInfo(group: "node.k8s.io", version: "v1", plural: "runtimeclasses", singular: "runtimeclass",
                                              kind: "RuntimeClass", namespaced: false)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// The CRI runtime handler (a DNS-1123 label, immutable); required upstream (`json:"handler"`), so always encoded.
    public var handler: String
    public var overhead: RuntimeClassOverhead?
    public var scheduling: RuntimeClassScheduling?

    public init(metadata: ObjectMeta = ObjectMeta(), handler: String = "", overhead: RuntimeClassOverhead? = nil,
                scheduling: RuntimeClassScheduling? = nil) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.handler = handler
        self.overhead = overhead
        self.scheduling = scheduling
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, handler, overhead, scheduling }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        handler = try c.decodeIfPresent(String.self, forKey: .handler) ?? ""
        overhead = try c.decodeIfPresent(RuntimeClassOverhead.self, forKey: .overhead)
        scheduling = try c.decodeIfPresent(RuntimeClassScheduling.self, forKey: .scheduling)
    }
}

extension RuntimeClass: FieldSelectable {
    /// Cluster-scoped: only `metadata.name`, as upstream's default for cluster-scoped kinds.
    public static let selectableFields: Set<String> = ["metadata.name"]
    public var fieldValues: [String: String] { ["metadata.name": metadata.name ?? ""] }
}

/// node.k8s.io/v1 `Overhead`: the fixed resources running a pod of the class costs beyond its containers.
public struct RuntimeClassOverhead: Codable, Sendable, Hashable {
    public var podFixed: [String: Quantity]?

    public init(podFixed: [String: Quantity]? = nil) { self.podFixed = podFixed }
}

/// node.k8s.io/v1 `Scheduling`: the nodes that support the class — labels they carry (merged into a pod's
/// nodeSelector) and the taints pods of the class tolerate (added to a pod's tolerations).
public struct RuntimeClassScheduling: Codable, Sendable, Hashable {
    public var nodeSelector: [String: String]?
    public var tolerations: [Toleration]?

    public init(nodeSelector: [String: String]? = nil, tolerations: [Toleration]? = nil) {
        self.nodeSelector = nodeSelector
        self.tolerations = tolerations
    }
}
