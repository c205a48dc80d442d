import Foundation
import KubeAPI

/// networking.k8s.io/v1 NetworkPolicies: upstream's defaults (`policyTypes` Ingress, plus Egress when there are
/// egress rules; port protocol TCP) and validation (`ValidateNetworkPolicySpec`: selectors, protocols, port numbers
/// and names, `endPort` ranges, one kind of peer, IP blocks whose exceptions lie strictly inside them, policy
/// types). Enforcing policies is the network plugin's job, a separate component, as upstream.
struct NetworkPolicyStrategy: ResourceStrategy {
    typealias Object = NetworkPolicy
    var tracksGeneration: Bool { true }

    func prepareForCreate(_ policy: inout NetworkPolicy, context: AdmissionContext) async throws { Self.applyDefaults(&policy) }
    func prepareForUpdate(_ policy: inout NetworkPolicy, old: NetworkPolicy, context: AdmissionContext) async throws { Self.applyDefaults(&policy) }

    static func applyDefaults(_ policy: inout NetworkPolicy) {
        var spec = policy.spec ?? NetworkPolicySpec()
        func defaulted(_ ports: [NetworkPolicyPort]?) -> [NetworkPolicyPort]? {
            ports?.map { port in
                var port = port
                if port.protocol == nil { port.protocol = "TCP" }
                return port
            }
        }
        spec.ingress = spec.ingress?.map { NetworkPolicyIngressRule(ports: defaulted($0.ports), from: $0.from) }
        spec.egress = spec.egress?.map { NetworkPolicyEgressRule(ports: defaulted($0.ports), to: $0.to) }
        if (spec.policyTypes ?? []).isEmpty {
            spec.policyTypes = ["Ingress"] + ((spec.egress ?? []).isEmpty ? [] : ["Egress"])
        }
        policy.spec = spec
    }

    func validate(_ policy: NetworkPolicy, old: NetworkPolicy?) -> [StatusCause] {
        let spec = policy.spec ?? NetworkPolicySpec()
        var causes = Self.validate(selector: spec.podSelector, field: "spec.podSelector")
        // CIDRs the old policy had stay allowed, as upstream lets existing objects keep values it no longer accepts.
        var existing = Set<String>()
        let oldPeers: [NetworkPolicyPeer] = (old?.spec?.ingress ?? []).flatMap { $0.from ?? [] } + (old?.spec?.egress ?? []).flatMap { $0.to ?? [] }
        for block in oldPeers.compactMap(\.ipBlock) { existing.formUnion([block.cidr] + (block.except ?? [])) }
        for (i, rule) in (spec.ingress ?? []).enumerated() {
            for (j, port) in (rule.ports ?? []).enumerated() { causes += Self.validate(port, field: "spec.ingress[\(i)].ports[\(j)]") }
            for (j, peer) in (rule.from ?? []).enumerated() { causes += Self.validate(peer, field: "spec.ingress[\(i)].from[\(j)]", existing: existing) }
        }
        for (i, rule) in (spec.egress ?? []).enumerated() {
            for (j, port) in (rule.ports ?? []).enumerated() { causes += Self.validate(port, field: "spec.egress[\(i)].ports[\(j)]") }
            for (j, peer) in (rule.to ?? []).enumerated() { causes += Self.validate(peer, field: "spec.egress[\(i)].to[\(j)]", existing: existing) }
        }
        let types = spec.policyTypes ?? []
        if types.count > 2 {
            let printed = "[]networking.PolicyType{" + types.map(GoQuoted.string).joined(separator: ", ") + "}"
            return causes + [StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(printed): may not specify more than two policyTypes", field: "spec.policyTypes")]
        }
        for (i, type) in types.enumerated() where !["Ingress", "Egress"].contains(type) {
            causes.append(NetworkingValidation.notSupported("spec.policyTypes[\(i)]", type, ["Ingress", "Egress"]))
        }
        return causes
    }

    static func validate(selector: LabelSelector, field: String) -> [StatusCause] {
        do {
            _ = try LabelSelectorExpression(selector)
            return []
        } catch {
            return [StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"object\": \(error)", field: field)]
        }
    }

    /// `ValidateNetworkPolicyPort`.
    static func validate(_ port: NetworkPolicyPort, field: String) -> [StatusCause] {
        var causes: [StatusCause] = []
        if let proto = port.protocol, !["TCP", "UDP", "SCTP"].contains(proto) {
            causes.append(NetworkingValidation.notSupported("\(field).protocol", proto, ["TCP", "UDP", "SCTP"]))
        }
        switch port.port {
        case .int(let number)?:
            causes += NetworkingValidation.portNumberErrors(Int64(number)).map { NetworkingValidation.invalid("\(field).port", Int64(number), $0) }
            if let end = port.endPort {
                if end < number {
                    causes.append(NetworkingValidation.invalid("\(field).endPort", Int64(end), "must be greater than or equal to `port`"))
                }
                causes += NetworkingValidation.portNumberErrors(Int64(end)).map { NetworkingValidation.invalid("\(field).endPort", Int64(end), $0) }
            }
        case .string(let name)?:
            if let end = port.endPort {
                causes.append(NetworkingValidation.invalid("\(field).endPort", Int64(end), "may not be specified when `port` is non-numeric"))
            }
            causes += NetworkingValidation.portNameErrors(name).map { NetworkingValidation.invalid("\(field).port", name, $0) }
        case nil:
            if let end = port.endPort {
                causes.append(NetworkingValidation.invalid("\(field).endPort", Int64(end), "may not be specified when `port` is not specified"))
            }
        }
        return causes
    }

    /// `ValidateNetworkPolicyPeer` and `ValidateIPBlock`.
    static func validate(_ peer: NetworkPolicyPeer, field: String, existing: Set<String>) -> [StatusCause] {
        var causes: [StatusCause] = []
        if let selector = peer.podSelector { causes += validate(selector: selector, field: "\(field).podSelector") }
        if let selector = peer.namespaceSelector { causes += validate(selector: selector, field: "\(field).namespaceSelector") }
        if let block = peer.ipBlock {
            causes += validate(block, field: "\(field).ipBlock", existing: existing)
        }
        let count = [peer.podSelector != nil, peer.namespaceSelector != nil, peer.ipBlock != nil].filter { $0 }.count
        if count == 0 {
            causes.append(NetworkingValidation.required(field, "must specify a peer"))
        } else if count > 1, peer.ipBlock != nil {
            causes.append(NetworkingValidation.forbidden(field, "may not specify both ipBlock and another peer"))
        }
        return causes
    }

    static func validate(_ block: IPBlock, field: String, existing: Set<String>) -> [StatusCause] {
        if block.cidr.isEmpty { return [NetworkingValidation.required("\(field).cidr")] }
        guard let outer = NetworkingValidation.cidr(block.cidr) else {
            return existing.contains(block.cidr) ? [] : [NetworkingValidation.invalid("\(field).cidr", block.cidr, NetworkingValidation.cidrMessage)]
        }
        var causes: [StatusCause] = []
        for (i, text) in (block.except ?? []).enumerated() {
            guard let inner = NetworkingValidation.cidr(text) else {
                if !existing.contains(text) { causes.append(NetworkingValidation.invalid("\(field).except[\(i)]", text, NetworkingValidation.cidrMessage)) }
                continue
            }
            if !NetworkingValidation.isStrictSubset(inner, of: outer) {
                causes.append(NetworkingValidation.invalid("\(field).except[\(i)]", text, "must be a strict subset of `cidr`"))
            }
        }
        return causes
    }

    var table: TableConverter<NetworkPolicy> { Printers.networkPolicy }
}

extension Printers {
    /// NAME, POD-SELECTOR, AGE.
    static var networkPolicy: TableConverter<NetworkPolicy> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Pod-Selector", type: "string", description: "podSelector selects the pods to which this NetworkPolicy object applies. The array of rules is applied to any pods selected by this field. An empty selector matches all pods in the policy's namespace. Multiple network policies can select the same set of pods. In this case, the ingress rules for each are combined additively. This field is optional. If it is not specified, it defaults to an empty selector."),
            .init(name: "Age", type: "string", description: ageDescription),
        ]) { policy, now in
            [.string(policy.metadata.name ?? ""), .string(labelSelectorString(policy.spec?.podSelector)), ageCell(policy.metadata.creationTimestamp, now: now)]
        }
    }
}
