import Foundation

/// rbac.authorization.k8s.io/v1 `PolicyRule`: verbs on resources (or non-resource URLs) of API groups.
public struct PolicyRule: Codable, Sendable, Hashable {
    public var verbs: [String]
    public var apiGroups: [String]?
    public var resources: [String]?
    public var resourceNames: [String]?
    public var nonResourceURLs: [String]?

    public init(verbs: [String], apiGroups: [String]? = nil, resources: [String]? = nil, resourceNames: [String]? = nil,
                nonResourceURLs: [String]? = nil) {
        self.verbs = verbs
        self.apiGroups = apiGroups
        self.resources = resources
        self.resourceNames = resourceNames
        self.nonResourceURLs = nonResourceURLs
    }

    enum CodingKeys: String, CodingKey { case verbs, apiGroups, resources, resourceNames, nonResourceURLs }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        verbs = try c.decodeIfPresent([String].self, forKey: .verbs) ?? []
        apiGroups = try c.decodeIfPresent([String].self, forKey: .apiGroups)
        resources = try c.decodeIfPresent([String].self, forKey: .resources)
        resourceNames = try c.decodeIfPresent([String].self, forKey: .resourceNames)
        nonResourceURLs = try c.decodeIfPresent([String].self, forKey: .nonResourceURLs)
    }
}

/// rbac.authorization.k8s.io/v1 `Subject`: a User, Group or ServiceAccount a binding grants to.
public struct Subject: Codable, Sendable, Hashable {
    public var kind: String
    public var apiGroup: String?
    public var name: String
    public var namespace: String?

    public init(kind: String, name: String, namespace: String? = nil, apiGroup: String? = nil) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.apiGroup = apiGroup ?? (kind == "ServiceAccount" ? nil : "rbac.authorization.k8s.io")
    }

    public static func user(_ name: String) -> Subject { Subject(kind: "User", name: name) }
    public static func group(_ name: String) -> Subject { Subject(kind: "Group", name: name) }
    public static func serviceAccount(_ name: String, namespace: String) -> Subject {
        Subject(kind: "ServiceAccount", name: name, namespace: namespace, apiGroup: "")
    }
}

/// rbac.authorization.k8s.io/v1 `RoleRef`: the Role or ClusterRole a binding grants.
public struct RoleRef: Codable, Sendable, Hashable {
    public var apiGroup: String
    public var kind: String
    public var name: String

    public init(kind: String, name: String, apiGroup: String = "rbac.authorization.k8s.io") {
        self.apiGroup = apiGroup
        self.kind = kind
        self.name = name
    }
}

/// rbac.authorization.k8s.io/v1 `AggregationRule`: ClusterRoles whose labels match contribute their rules.
public struct AggregationRule: Codable, Sendable, Hashable {
    public var clusterRoleSelectors: [LabelSelector]?

    public init(clusterRoleSelectors: [LabelSelector]? = nil) { self.clusterRoleSelectors = clusterRoleSelectors }
}

/// rbac.authorization.k8s.io/v1 `Role`: rules within one namespace.
public struct Role: KubeObject {
    public static let resource = ResourceInfo(group: "rbac.authorization.k8s.io", version: "v1", plural: "roles", singular: "role",
                                              kind: "Role", namespaced: true)
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var rules: [PolicyRule]?

    public init(metadata: ObjectMeta = ObjectMeta(), rules: [PolicyRule]? = nil) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.rules = rules
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, rules }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        rules = try c.decodeIfPresent([PolicyRule].self, forKey: .rules)
    }
}

/// rbac.authorization.k8s.io/v1 `ClusterRole`: rules cluster-wide (or for binding per namespace), optionally
/// aggregated from other ClusterRoles.
public struct ClusterRole: KubeObject {
    public static let resource = ResourceInfo(group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterroles",
                                              singular: "clusterrole", kind: "ClusterRole", namespaced: false)
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var rules: [PolicyRule]?
    public var aggregationRule: AggregationRule?

    public init(metadata: ObjectMeta = ObjectMeta(), rules: [PolicyRule]? = nil, aggregationRule: AggregationRule? = nil) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.rules = rules
        self.aggregationRule = aggregationRule
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, rules, aggregationRule }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        rules = try c.decodeIfPresent([PolicyRule].self, forKey: .rules)
        aggregationRule = try c.decodeIfPresent(AggregationRule.self, forKey: .aggregationRule)
    }
}

/// rbac.authorization.k8s.io/v1 `RoleBinding`: grants a Role or ClusterRole within one namespace.
public struct RoleBinding: KubeObject {
    public static let resource = ResourceInfo(group: "rbac.authorization.k8s.io", version: "v1", plural: "rolebindings",
                                              singular: "rolebinding", kind: "RoleBinding", namespaced: true)
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var subjects: [Subject]?
    public var roleRef: RoleRef

    public init(metadata: ObjectMeta = ObjectMeta(), subjects: [Subject]? = nil, roleRef: RoleRef) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.subjects = subjects
        self.roleRef = roleRef
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, subjects, roleRef }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        subjects = try c.decodeIfPresent([Subject].self, forKey: .subjects)
        roleRef = try c.decodeIfPresent(RoleRef.self, forKey: .roleRef) ?? RoleRef(kind: "", name: "", apiGroup: "")
    }
}

/// rbac.authorization.k8s.io/v1 `ClusterRoleBinding`: grants a ClusterRole cluster-wide.
public struct ClusterRoleBinding: KubeObject {
    public static let resource = ResourceInfo(group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterrolebindings",
                                              singular: "clusterrolebinding", kind: "ClusterRoleBinding", namespaced: false)
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var subjects: [Subject]?
    public var roleRef: RoleRef

    public init(metadata: ObjectMeta = ObjectMeta(), subjects: [Subject]? = nil, roleRef: RoleRef) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.subjects = subjects
        self.roleRef = roleRef
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, subjects, roleRef }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        subjects = try c.decodeIfPresent([Subject].self, forKey: .subjects)
        roleRef = try c.decodeIfPresent(RoleRef.self, forKey: .roleRef) ?? RoleRef(kind: "", name: "", apiGroup: "")
    }
}

extension ClusterRole: FieldSelectable {
    /// Cluster-scoped: only `metadata.name`, as upstream's default for cluster-scoped kinds.
    public static let selectableFields: Set<String> = ["metadata.name"]
    public var fieldValues: [String: String] { ["metadata.name": metadata.name ?? ""] }
}

extension ClusterRoleBinding: FieldSelectable {
    public static let selectableFields: Set<String> = ["metadata.name"]
    public var fieldValues: [String: String] { ["metadata.name": metadata.name ?? ""] }
}
