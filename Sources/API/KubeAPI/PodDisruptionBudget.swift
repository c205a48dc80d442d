import Foundation

/// policy/v1 `PodDisruptionBudget`: how many of the pods a selector picks must stay healthy (`minAvailable`) or may
/// be down (`maxUnavailable`) during voluntary disruptions. The disruption controller writes `status`; the
/// `pods/eviction` subresource refuses an eviction that `status.disruptionsAllowed` does not cover, and the
/// scheduler's preemption prefers victims whose budgets allow it.
public struct PodDisruptionBudget: KubeObject {
    public static let resource = ResourceInfo(group: "policy", version: "v1", plural: "poddisruptionbudgets",
                                              singular: "poddisruptionbudget", kind: "PodDisruptionBudget", namespaced: true,
                                              shortNames: ["pdb"])

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: PodDisruptionBudgetSpec?
    public var status: PodDisruptionBudgetStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: PodDisruptionBudgetSpec? = nil, status: PodDisruptionBudgetStatus? = nil) {
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
        spec = try c.decodeIfPresent(PodDisruptionBudgetSpec.self, forKey: .spec)
        status = try c.decodeIfPresent(PodDisruptionBudgetStatus.self, forKey: .status)
    }

    /// The `DisruptionAllowed` condition type and its reasons.
    public static let disruptionAllowedCondition = "DisruptionAllowed"
    public static let sufficientPodsReason = "SufficientPods"
    public static let insufficientPodsReason = "InsufficientPods"
    public static let syncFailedReason = "SyncFailed"
}

/// policy/v1 `PodDisruptionBudgetSpec`: `minAvailable` or `maxUnavailable` (a number or a percentage), the selector,
/// and whether unhealthy pods may be evicted regardless (`unhealthyPodEvictionPolicy`: `IfHealthyBudget` by
/// default, or `AlwaysAllow`).
public struct PodDisruptionBudgetSpec: Codable, Sendable, Hashable {
    public var minAvailable: IntOrString?
    public var selector: LabelSelector?
    public var maxUnavailable: IntOrString?
    public var unhealthyPodEvictionPolicy: String?

    public init(minAvailable: IntOrString? = nil, selector: LabelSelector? = nil, maxUnavailable: IntOrString? = nil,
                unhealthyPodEvictionPolicy: String? = nil) {
        self.minAvailable = minAvailable
        self.selector = selector
        self.maxUnavailable = maxUnavailable
        self.unhealthyPodEvictionPolicy = unhealthyPodEvictionPolicy
    }
}

/// policy/v1 `PodDisruptionBudgetStatus`, written by the disruption controller. The four counts are required
/// upstream, so they are always encoded.
public struct PodDisruptionBudgetStatus: Codable, Sendable, Hashable {
    public var observedGeneration: Int64?
    /// Pods evicted but not yet seen gone, with the time of the eviction.
    public var disruptedPods: [String: Time]?
    public var disruptionsAllowed: Int32
    public var currentHealthy: Int32
    public var desiredHealthy: Int32
    public var expectedPods: Int32
    public var conditions: [Condition]?

    public init(observedGeneration: Int64? = nil, disruptedPods: [String: Time]? = nil, disruptionsAllowed: Int32 = 0,
                currentHealthy: Int32 = 0, desiredHealthy: Int32 = 0, expectedPods: Int32 = 0, conditions: [Condition]? = nil) {
        self.observedGeneration = observedGeneration
        self.disruptedPods = disruptedPods
        self.disruptionsAllowed = disruptionsAllowed
        self.currentHealthy = currentHealthy
        self.desiredHealthy = desiredHealthy
        self.expectedPods = expectedPods
        self.conditions = conditions
    }

    enum CodingKeys: String, CodingKey { case observedGeneration, disruptedPods, disruptionsAllowed, currentHealthy, desiredHealthy, expectedPods, conditions }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        observedGeneration = try c.decodeIfPresent(Int64.self, forKey: .observedGeneration)
        disruptedPods = try c.decodeIfPresent([String: Time].self, forKey: .disruptedPods)
        disruptionsAllowed = try c.decodeIfPresent(Int32.self, forKey: .disruptionsAllowed) ?? 0
        currentHealthy = try c.decodeIfPresent(Int32.self, forKey: .currentHealthy) ?? 0
        desiredHealthy = try c.decodeIfPresent(Int32.self, forKey: .desiredHealthy) ?? 0
        expectedPods = try c.decodeIfPresent(Int32.self, forKey: .expectedPods) ?? 0
        conditions = try c.decodeIfPresent([Condition].self, forKey: .conditions)
    }
}

/// policy/v1 `Eviction`: the body POSTed to `pods/{name}/eviction` to delete a pod only if its disruption budgets
/// allow it (what `kubectl drain` sends). A subresource body, not a stored kind.
public struct Eviction: KubeObject {
    public static let resource = ResourceInfo(group: "policy", version: "v1", plural: "evictions", singular: "eviction", kind: "Eviction", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// The options of the deletion (grace period, preconditions), as a DELETE body carries them.
    public var deleteOptions: JSONValue?

    public init(metadata: ObjectMeta = ObjectMeta(), deleteOptions: JSONValue? = nil) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.deleteOptions = deleteOptions
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, deleteOptions }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        deleteOptions = try c.decodeIfPresent(JSONValue.self, forKey: .deleteOptions)
    }
}
