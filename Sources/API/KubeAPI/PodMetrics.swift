import Foundation

/// metrics.k8s.io/v1beta1 `PodMetrics`: one pod's recent resource use per container, as metrics-server (or the
/// server's built-in one) reports it — what `kubectl top pod` prints and the horizontal pod autoscaler scales on.
/// Read only; not a stored kind.
public struct PodMetrics: KubeObject {
    public static let resource = ResourceInfo(group: "metrics.k8s.io", version: "v1beta1", plural: "pods", singular: "",
                                              kind: "PodMetrics", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// The end of the window the usage was measured over.
    public var timestamp: Time?
    /// The window's length (a Go duration, `15.123s`).
    public var window: String?
    public var containers: [ContainerMetrics]

    public init(metadata: ObjectMeta = ObjectMeta(), timestamp: Time? = nil, window: String? = nil, containers: [ContainerMetrics] = []) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.timestamp = timestamp
        self.window = window
        self.containers = containers
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, timestamp, window, containers }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        timestamp = try c.decodeIfPresent(Time.self, forKey: .timestamp)
        window = try c.decodeIfPresent(String.self, forKey: .window)
        containers = try c.decodeIfPresent([ContainerMetrics].self, forKey: .containers) ?? []
    }
}

/// metrics.k8s.io/v1beta1 `ContainerMetrics`: a container's usage by resource name (`cpu`, `memory`).
public struct ContainerMetrics: Codable, Sendable, Hashable {
    public var name: String
    public var usage: [String: Quantity]

    public init(name: String, usage: [String: Quantity]) {
        self.name = name
        self.usage = usage
    }
}
