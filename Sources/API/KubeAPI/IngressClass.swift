import Foundation

/// networking.k8s.io/v1 `IngressClass` (cluster-scoped): which controller implements the Ingresses naming this class,
/// and a reference to its parameters. `ingressclass.kubernetes.io/is-default-class: "true"` marks the class that
/// Ingresses naming none are given.
public struct IngressClass: KubeObject {
    public static let resource = ResourceInfo(group: "networking.k8s.io", version: "v1", plural: "ingressclasses", singular: "ingressclass",
                                              kind: "IngressClass", namespaced: false)

    /// The annotation that makes a class the default for Ingresses that name none.
    public static let defaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class"

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: IngressClassSpec?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: IngressClassSpec? = nil) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try c.decodeIfPresent(IngressClassSpec.self, forKey: .spec)
    }

    /// Whether the class is annotated as the default (`"true"` exactly, as upstream compares).
    public var isDefault: Bool { metadata.annotations?[Self.defaultClassAnnotation] == "true" }

    /// Upstream's DefaultIngressClass choice: of the classes annotated as default, the newest (ties: the first by
    /// name); nil if none is.
    public static func defaultClass(among classes: [IngressClass]) -> IngressClass? { classes.filter(\.isDefault).newest() }
}

extension IngressClass: FieldSelectable {
    /// Cluster-scoped: only `metadata.name`, as upstream's default for cluster-scoped kinds.
    public static let selectableFields: Set<String> = ["metadata.name"]
    public var fieldValues: [String: String] { ["metadata.name": metadata.name ?? ""] }
}

/// networking.k8s.io/v1 `IngressClassSpec`: the controller (a domain-prefixed path such as `example.com/ingress`,
/// immutable) and optional parameters.
public struct IngressClassSpec: Codable, Sendable, Hashable {
    public var controller: String?
    public var parameters: IngressClassParametersReference?

    public init(controller: String? = nil, parameters: IngressClassParametersReference? = nil) {
        self.controller = controller
        self.parameters = parameters
    }
}

/// networking.k8s.io/v1 `IngressClassParametersReference`: a cluster- or namespace-scoped object holding a class's
/// parameters; `scope` defaults to `Cluster`.
public struct IngressClassParametersReference: Codable, Sendable, Hashable {
    public var apiGroup: String?
    /// Required upstream (`json:"kind"`), so it is always encoded.
    public var kind: String
    /// Required upstream (`json:"name"`), so it is always encoded.
    public var name: String
    /// `Cluster` or `Namespace`.
    public var scope: String?
    public var namespace: String?

    public init(apiGroup: String? = nil, kind: String = "", name: String = "", scope: String? = nil, namespace: String? = nil) {
        self.apiGroup = apiGroup
        self.kind = kind
        self.name = name
        self.scope = scope
        self.namespace = namespace
    }

    enum CodingKeys: String, CodingKey { case apiGroup, kind, name, scope, namespace }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiGroup = try c.decodeIfPresent(String.self, forKey: .apiGroup)
        kind = try c.decodeIfPresent(String.self, forKey: .kind) ?? ""
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        scope = try c.decodeIfPresent(String.self, forKey: .scope)
        namespace = try c.decodeIfPresent(String.self, forKey: .namespace)
    }
}
