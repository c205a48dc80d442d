import Foundation

/// core/v1 `Affinity`: node and inter-pod placement rules.
public struct Affinity: Codable, Sendable, Hashable {
    public var nodeAffinity: NodeAffinity?
    public var podAffinity: PodAffinity?
    public var podAntiAffinity: PodAntiAffinity?

    public init(nodeAffinity: NodeAffinity? = nil, podAffinity: PodAffinity? = nil, podAntiAffinity: PodAntiAffinity? = nil) {
        self.nodeAffinity = nodeAffinity
        self.podAffinity = podAffinity
        self.podAntiAffinity = podAntiAffinity
    }
}

/// core/v1 `NodeAffinity`.
public struct NodeAffinity: Codable, Sendable, Hashable {
    public var requiredDuringSchedulingIgnoredDuringExecution: NodeSelector?
    public var preferredDuringSchedulingIgnoredDuringExecution: [PreferredSchedulingTerm]?

    public init(requiredDuringSchedulingIgnoredDuringExecution: NodeSelector? = nil, preferredDuringSchedulingIgnoredDuringExecution: [PreferredSchedulingTerm]? = nil) {
        self.requiredDuringSchedulingIgnoredDuringExecution = requiredDuringSchedulingIgnoredDuringExecution
        self.preferredDuringSchedulingIgnoredDuringExecution = preferredDuringSchedulingIgnoredDuringExecution
    }
}

/// core/v1 `NodeSelector`: the terms are ORed.
public struct NodeSelector: Codable, Sendable, Hashable {
    public var nodeSelectorTerms: [NodeSelectorTerm]

    public init(nodeSelectorTerms: [NodeSelectorTerm] = []) {
        self.nodeSelectorTerms = nodeSelectorTerms
    }

    enum CodingKeys: String, CodingKey { case nodeSelectorTerms }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        nodeSelectorTerms = try c.decodeIfPresent([NodeSelectorTerm].self, forKey: .nodeSelectorTerms) ?? []
    }
}

/// core/v1 `NodeSelectorTerm`: the requirements are ANDed.
public struct NodeSelectorTerm: Codable, Sendable, Hashable {
    public var matchExpressions: [NodeSelectorRequirement]?
    public var matchFields: [NodeSelectorRequirement]?

    public init(matchExpressions: [NodeSelectorRequirement]? = nil, matchFields: [NodeSelectorRequirement]? = nil) {
        self.matchExpressions = matchExpressions
        self.matchFields = matchFields
    }
}

/// core/v1 `NodeSelectorRequirement`: `In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`.
public struct NodeSelectorRequirement: Codable, Sendable, Hashable {
    public var key: String
    public var `operator`: String
    public var values: [String]?

    public init(key: String, `operator`: String, values: [String]? = nil) {
        self.key = key
        self.`operator` = `operator`
        self.values = values
    }

    enum CodingKeys: String, CodingKey { case key, `operator`, values }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decodeIfPresent(String.self, forKey: .key) ?? ""
        `operator` = try c.decodeIfPresent(String.self, forKey: .`operator`) ?? ""
        values = try c.decodeIfPresent([String].self, forKey: .values)
    }
}

/// core/v1 `PreferredSchedulingTerm`: a weighted (1–100) node preference.
public struct PreferredSchedulingTerm: Codable, Sendable, Hashable {
    public var weight: Int32
    public var preference: NodeSelectorTerm

    public init(weight: Int32, preference: NodeSelectorTerm = NodeSelectorTerm()) {
        self.weight = weight
        self.preference = preference
    }

    enum CodingKeys: String, CodingKey { case weight, preference }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        weight = try c.decodeIfPresent(Int32.self, forKey: .weight) ?? 0
        preference = try c.decodeIfPresent(NodeSelectorTerm.self, forKey: .preference) ?? NodeSelectorTerm()
    }
}

/// core/v1 `PodAffinity`.
public struct PodAffinity: Codable, Sendable, Hashable {
    public var requiredDuringSchedulingIgnoredDuringExecution: [PodAffinityTerm]?
    public var preferredDuringSchedulingIgnoredDuringExecution: [WeightedPodAffinityTerm]?

    public init(requiredDuringSchedulingIgnoredDuringExecution: [PodAffinityTerm]? = nil, preferredDuringSchedulingIgnoredDuringExecution: [WeightedPodAffinityTerm]? = nil) {
        self.requiredDuringSchedulingIgnoredDuringExecution = requiredDuringSchedulingIgnoredDuringExecution
        self.preferredDuringSchedulingIgnoredDuringExecution = preferredDuringSchedulingIgnoredDuringExecution
    }
}

/// core/v1 `PodAntiAffinity`.
public struct PodAntiAffinity: Codable, Sendable, Hashable {
    public var requiredDuringSchedulingIgnoredDuringExecution: [PodAffinityTerm]?
    public var preferredDuringSchedulingIgnoredDuringExecution: [WeightedPodAffinityTerm]?

    public init(requiredDuringSchedulingIgnoredDuringExecution: [PodAffinityTerm]? = nil, preferredDuringSchedulingIgnoredDuringExecution: [WeightedPodAffinityTerm]? = nil) {
        self.requiredDuringSchedulingIgnoredDuringExecution = requiredDuringSchedulingIgnoredDuringExecution
        self.preferredDuringSchedulingIgnoredDuringExecution = preferredDuringSchedulingIgnoredDuringExecution
    }
}

/// core/v1 `PodAffinityTerm`: pods matching the selector in the same `topologyKey` domain.
public struct PodAffinityTerm: Codable, Sendable, Hashable {
    public var labelSelector: LabelSelector?
    public var namespaces: [String]?
    public var topologyKey: String
    public var namespaceSelector: LabelSelector?
    public var matchLabelKeys: [String]?
    public var mismatchLabelKeys: [String]?

    public init(
        labelSelector: LabelSelector? = nil,
        namespaces: [String]? = nil,
        topologyKey: String,
        namespaceSelector: LabelSelector? = nil,
        matchLabelKeys: [String]? = nil,
        mismatchLabelKeys: [String]? = nil
    ) {
        self.labelSelector = labelSelector
        self.namespaces = namespaces
        self.topologyKey = topologyKey
        self.namespaceSelector = namespaceSelector
        self.matchLabelKeys = matchLabelKeys
        self.mismatchLabelKeys = mismatchLabelKeys
    }

    enum CodingKeys: String, CodingKey { case labelSelector, namespaces, topologyKey, namespaceSelector, matchLabelKeys, mismatchLabelKeys }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        labelSelector = try c.decodeIfPresent(LabelSelector.self, forKey: .labelSelector)
        namespaces = try c.decodeIfPresent([String].self, forKey: .namespaces)
        topologyKey = try c.decodeIfPresent(String.self, forKey: .topologyKey) ?? ""
        namespaceSelector = try c.decodeIfPresent(LabelSelector.self, forKey: .namespaceSelector)
        matchLabelKeys = try c.decodeIfPresent([String].self, forKey: .matchLabelKeys)
        mismatchLabelKeys = try c.decodeIfPresent([String].self, forKey: .mismatchLabelKeys)
    }
}

/// core/v1 `WeightedPodAffinityTerm`.
public struct WeightedPodAffinityTerm: Codable, Sendable, Hashable {
    public var weight: Int32
    public var podAffinityTerm: PodAffinityTerm

    public init(weight: Int32, podAffinityTerm: PodAffinityTerm = PodAffinityTerm(topologyKey: "")) {
        self.weight = weight
        self.podAffinityTerm = podAffinityTerm
    }

    enum CodingKeys: String, CodingKey { case weight, podAffinityTerm }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        weight = try c.decodeIfPresent(Int32.self, forKey: .weight) ?? 0
        podAffinityTerm = try c.decodeIfPresent(PodAffinityTerm.self, forKey: .podAffinityTerm) ?? PodAffinityTerm(topologyKey: "")
    }
}

/// core/v1 `Toleration`: lets a pod land on (or stay on) a node with a matching taint.
public struct Toleration: Codable, Sendable, Hashable {
    public var key: String?
    /// `Exists` or `Equal` (the default).
    public var `operator`: String?
    public var value: String?
    public var effect: String?
    public var tolerationSeconds: Int64?

    public init(
        key: String? = nil,
        `operator`: String? = nil,
        value: String? = nil,
        effect: String? = nil,
        tolerationSeconds: Int64? = nil
    ) {
        self.key = key
        self.`operator` = `operator`
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }
}

/// core/v1 `TopologySpreadConstraint`.
public struct TopologySpreadConstraint: Codable, Sendable, Hashable {
    public var maxSkew: Int32
    public var topologyKey: String
    /// `DoNotSchedule` or `ScheduleAnyway`.
    public var whenUnsatisfiable: String
    public var labelSelector: LabelSelector?
    public var minDomains: Int32?
    public var nodeAffinityPolicy: String?
    public var nodeTaintsPolicy: String?
    public var matchLabelKeys: [String]?

    public init(
        maxSkew: Int32,
        topologyKey: String,
        whenUnsatisfiable: String,
        labelSelector: LabelSelector? = nil,
        minDomains: Int32? = nil,
        nodeAffinityPolicy: String? = nil,
        nodeTaintsPolicy: String? = nil,
        matchLabelKeys: [String]? = nil
    ) {
        self.maxSkew = maxSkew
        self.topologyKey = topologyKey
        self.whenUnsatisfiable = whenUnsatisfiable
        self.labelSelector = labelSelector
        self.minDomains = minDomains
        self.nodeAffinityPolicy = nodeAffinityPolicy
        self.nodeTaintsPolicy = nodeTaintsPolicy
        self.matchLabelKeys = matchLabelKeys
    }

    enum CodingKeys: String, CodingKey { case maxSkew, topologyKey, whenUnsatisfiable, labelSelector, minDomains, nodeAffinityPolicy, nodeTaintsPolicy, matchLabelKeys }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxSkew = try c.decodeIfPresent(Int32.self, forKey: .maxSkew) ?? 0
        topologyKey = try c.decodeIfPresent(String.self, forKey: .topologyKey) ?? ""
        whenUnsatisfiable = try c.decodeIfPresent(String.self, forKey: .whenUnsatisfiable) ?? ""
        labelSelector = try c.decodeIfPresent(LabelSelector.self, forKey: .labelSelector)
        minDomains = try c.decodeIfPresent(Int32.self, forKey: .minDomains)
        nodeAffinityPolicy = try c.decodeIfPresent(String.self, forKey: .nodeAffinityPolicy)
        nodeTaintsPolicy = try c.decodeIfPresent(String.self, forKey: .nodeTaintsPolicy)
        matchLabelKeys = try c.decodeIfPresent([String].self, forKey: .matchLabelKeys)
    }
}
