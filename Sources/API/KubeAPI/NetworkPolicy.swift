import Foundation

/// networking.k8s.io/v1 `NetworkPolicy`: which traffic may reach (ingress) and leave (egress) the pods a selector
/// picks. The API server stores and validates policies as upstream's does; enforcing them is the network plugin's
/// job, a separate component.
public struct NetworkPolicy: KubeObject {
    public static let resource = ResourceInfo(group: "networking.k8s.io", version: "v1", plural: "networkpolicies", singular: "networkpolicy",
                                              kind: "NetworkPolicy", namespaced: true, shortNames: ["netpol"])

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: NetworkPolicySpec?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: NetworkPolicySpec? = nil) {
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
        spec = try c.decodeIfPresent(NetworkPolicySpec.self, forKey: .spec)
    }
}

/// networking.k8s.io/v1 `NetworkPolicySpec`: the pods it applies to (an empty selector: every pod of the namespace),
/// the allowed ingress and egress, and which of the two it restricts (`policyTypes`, defaulted from the rules).
public struct NetworkPolicySpec: Codable, Sendable, Hashable {
    /// Always present upstream (`json:"podSelector"`), so it is always encoded.
    public var podSelector: LabelSelector
    public var ingress: [NetworkPolicyIngressRule]?
    public var egress: [NetworkPolicyEgressRule]?
    /// `Ingress` and/or `Egress`.
    public var policyTypes: [String]?

    public init(podSelector: LabelSelector = LabelSelector(), ingress: [NetworkPolicyIngressRule]? = nil,
                egress: [NetworkPolicyEgressRule]? = nil, policyTypes: [String]? = nil) {
        self.podSelector = podSelector
        self.ingress = ingress
        self.egress = egress
        self.policyTypes = policyTypes
    }

    enum CodingKeys: String, CodingKey { case podSelector, ingress, egress, policyTypes }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        podSelector = try c.decodeIfPresent(LabelSelector.self, forKey: .podSelector) ?? LabelSelector()
        ingress = try c.decodeIfPresent([NetworkPolicyIngressRule].self, forKey: .ingress)
        egress = try c.decodeIfPresent([NetworkPolicyEgressRule].self, forKey: .egress)
        policyTypes = try c.decodeIfPresent([String].self, forKey: .policyTypes)
    }
}

/// networking.k8s.io/v1 `NetworkPolicyIngressRule`: traffic from these peers to these ports is allowed (an empty
/// list matches everything).
public struct NetworkPolicyIngressRule: Codable, Sendable, Hashable {
    public var ports: [NetworkPolicyPort]?
    public var from: [NetworkPolicyPeer]?

    public init(ports: [NetworkPolicyPort]? = nil, from: [NetworkPolicyPeer]? = nil) {
        self.ports = ports
        self.from = from
    }
}

/// networking.k8s.io/v1 `NetworkPolicyEgressRule`: traffic to these peers on these ports is allowed.
public struct NetworkPolicyEgressRule: Codable, Sendable, Hashable {
    public var ports: [NetworkPolicyPort]?
    public var to: [NetworkPolicyPeer]?

    public init(ports: [NetworkPolicyPort]? = nil, to: [NetworkPolicyPeer]? = nil) {
        self.ports = ports
        self.to = to
    }
}

/// networking.k8s.io/v1 `NetworkPolicyPort`: a protocol (TCP by default) and a port, a named port, or a range
/// `port`…`endPort`.
public struct NetworkPolicyPort: Codable, Sendable, Hashable {
    public var `protocol`: String?
    public var port: IntOrString?
    public var endPort: Int32?

    public init(protocol: String? = nil, port: IntOrString? = nil, endPort: Int32? = nil) {
        self.protocol = `protocol`
        self.port = port
        self.endPort = endPort
    }
}

/// networking.k8s.io/v1 `NetworkPolicyPeer`: pods (by pod and/or namespace selector) or an IP block, not both.
public struct NetworkPolicyPeer: Codable, Sendable, Hashable {
    public var podSelector: LabelSelector?
    public var namespaceSelector: LabelSelector?
    public var ipBlock: IPBlock?

    public init(podSelector: LabelSelector? = nil, namespaceSelector: LabelSelector? = nil, ipBlock: IPBlock? = nil) {
        self.podSelector = podSelector
        self.namespaceSelector = namespaceSelector
        self.ipBlock = ipBlock
    }
}

/// networking.k8s.io/v1 `IPBlock`: a CIDR, less the CIDRs in `except` (each a strict subset of it).
public struct IPBlock: Codable, Sendable, Hashable {
    /// Required upstream (`json:"cidr"`), so it is always encoded.
    public var cidr: String
    public var except: [String]?

    public init(cidr: String = "", except: [String]? = nil) {
        self.cidr = cidr
        self.except = except
    }

    enum CodingKeys: String, CodingKey { case cidr, except }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cidr = try c.decodeIfPresent(String.self, forKey: .cidr) ?? ""
        except = try c.decodeIfPresent([String].self, forKey: .except)
    }
}
