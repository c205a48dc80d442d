import Foundation

/// core/v1 `ResourceQuota`: the most a namespace may use of each resource it names in `spec.hard` (compute
/// `requests.cpu`, object counts `pods` or `count/deployments.apps`, …). The resource quota controller keeps
/// `status.hard` and `status.used` current; the ResourceQuota admission plugin refuses a create that would take
/// `used` over `hard` and charges `used` as it admits.
public struct ResourceQuota: KubeObject {
    public static let resource = ResourceInfo(group: "", version: "v1", plural: "resourcequotas", singular: "resourcequota",
                                              kind: "ResourceQuota", namespaced: true, shortNames: ["quota"])

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ResourceQuotaSpec?
    public var status: ResourceQuotaStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: ResourceQuotaSpec? = nil, status: ResourceQuotaStatus? = nil) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try c.decodeIfPresent(ResourceQuotaSpec.self, forKey: .spec)
        status = try c.decodeIfPresent(ResourceQuotaStatus.self, forKey: .status)
    }
}

/// core/v1 `ResourceQuotaSpec`: the hard limits by resource name, and the scopes (`Terminating`, `BestEffort`,
/// `PriorityClass`, …) narrowing which objects the quota counts.
public struct ResourceQuotaSpec: Codable, Sendable, Hashable {
    public var hard: [String: Quantity]?
    public var scopes: [String]?
    public var scopeSelector: ScopeSelector?

    public init(hard: [String: Quantity]? = nil, scopes: [String]? = nil, scopeSelector: ScopeSelector? = nil) {
        self.hard = hard
        self.scopes = scopes
        self.scopeSelector = scopeSelector
    }
}

/// core/v1 `ScopeSelector`: scope requirements, all of which an object must meet.
public struct ScopeSelector: Codable, Sendable, Hashable {
    public var matchExpressions: [ScopedResourceSelectorRequirement]?

    public init(matchExpressions: [ScopedResourceSelectorRequirement]? = nil) { self.matchExpressions = matchExpressions }
}

/// core/v1 `ScopedResourceSelectorRequirement`: a scope with an operator (`In`, `NotIn`, `Exists`, `DoesNotExist`)
/// and, for `In`/`NotIn`, values (priority class names for the `PriorityClass` scope).
public struct ScopedResourceSelectorRequirement: Codable, Sendable, Hashable {
    public var scopeName: String
    public var `operator`: String
    public var values: [String]?

    public init(scopeName: String, operator: String, values: [String]? = nil) {
        self.scopeName = scopeName
        self.operator = `operator`
        self.values = values
    }

    enum CodingKeys: String, CodingKey { case scopeName, `operator`, values }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        scopeName = try c.decodeIfPresent(String.self, forKey: .scopeName) ?? ""
        `operator` = try c.decodeIfPresent(String.self, forKey: .operator) ?? ""
        values = try c.decodeIfPresent([String].self, forKey: .values)
    }
}

/// core/v1 `ResourceQuotaStatus`: the enforced limits (a copy of `spec.hard` once the controller has seen it) and
/// what the namespace uses of each.
public struct ResourceQuotaStatus: Codable, Sendable, Hashable {
    public var hard: [String: Quantity]?
    public var used: [String: Quantity]?

    public init(hard: [String: Quantity]? = nil, used: [String: Quantity]? = nil) {
        self.hard = hard
        self.used = used
    }
}
