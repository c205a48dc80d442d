import NFTables

/// Builds the desired ``NFTablesModel`` from snapshots of services, endpoints and the node, in upstream
/// kube-proxy's layout (IPv4).
///
/// Per service port with endpoints: `service-…` (masquerade off-cluster sources, pick an endpoint),
/// `endpoint-…` (hairpin masquerade mark, DNAT), `external-…` for NodePort/externalIPs/load-balancer
/// traffic, `firewall-…` for loadBalancerSourceRanges; elements in the verdict maps point at them.
/// Ports without endpoints get `no-endpoint-*` elements that reject.
struct NFTablesRuleBuilder: Sendable {
    typealias R = NFTablesModel.RuleSpec

    let layout: NFTablesLayout
    /// Pod networks: sources outside them are masqueraded; empty means no off-cluster masquerade rule.
    let clusterCIDRs: [String]
    /// Addresses NodePorts answer on.
    let nodePortAddresses: [String]

    func build(services: ServicePortMap, endpoints: EndpointsMap) -> NFTablesModel {
        var model = fixedPart()
        for service in services.sorted {
            add(service, endpoints: endpoints[service.name], to: &model)
        }
        return model
    }

    /// The chains and elements every table has: the layout's fixed chains, empty maps, the node-port addresses.
    func fixedPart() -> NFTablesModel {
        var model = NFTablesModel(chains: layout.fixedChains, elements: [:])
        for set in layout.sets { model.elements[set.name] = [:] }
        for address in nodePortAddresses where !address.contains(":") {
            if let key = try? Value.ipv4(address) { model.insert(SetElement(key: key), into: NFTablesLayout.nodePortIPs) }
        }
        return model
    }

    /// The chains and elements of one service port alone.
    func fragment(for service: ServicePortInfo, endpoints: [EndpointInfo]) -> NFTablesModel {
        var model = NFTablesModel()
        add(service, endpoints: endpoints, to: &model)
        return model
    }

    private var clusterCIDR: String? { clusterCIDRs.first { !$0.contains(":") } }

    private func add(_ service: ServicePortInfo, endpoints: [EndpointInfo], to model: inout NFTablesModel) {
        let name = service.name
        let proto = Value.inetProto(name.protocol.number)
        let selection = EndpointSelection(service: service, endpoints: endpoints.filter { !$0.isIPv6 })
        let serviceChain = ChainName.service(name)
        let externalChain = ChainName.external(name)
        let clusterIPs = service.clusterIPs.compactMap { ip in ip.contains(":") ? nil : try? Value.ipv4(ip) }
        let externalIPs = (service.externalIPs + service.loadBalancerIPs).compactMap { ip in ip.contains(":") ? nil : try? Value.ipv4(ip) }
        let port = Value.inetService(service.port)

        for endpoint in selection.all {
            guard let address = try? Value.ipv4(endpoint.ip) else { continue }
            model.chains[ChainName.endpoint(name, endpoint)] = [
                R(Expr.match(.payload(.ipSaddr), .equal, address) + [.verdict(.jump(NFTablesLayout.markForMasquerade))]),
                R(Expr.l4proto(proto) + Expr.dnat(to: address, port: endpoint.port)),
            ]
        }

        // Cluster IP.
        if !selection.cluster.isEmpty {
            var rules: [R] = []
            if let cidr = clusterCIDR, let first = clusterIPs.first,
               let notFromPods = try? Expr.match(.ipSaddr, network: cidr, .notEqual) {
                rules.append(R(Expr.match(.payload(.ipDaddr), .equal, first) + Expr.destinationPort(service.port, proto: proto)
                               + notFromPods + [.verdict(.jump(NFTablesLayout.markForMasquerade))]))
            }
            rules.append(dispatch(service, over: selection.cluster))
            model.chains[serviceChain] = rules
            for ip in clusterIPs {
                model.insert(SetElement(key: .concat(ip, proto, port), verdict: .goto(serviceChain)), into: NFTablesLayout.serviceIPs)
            }
        } else {
            for ip in clusterIPs {
                model.insert(SetElement(key: .concat(ip, proto, port), verdict: .goto(NFTablesLayout.rejectChain)),
                             into: NFTablesLayout.noEndpointServices)
            }
        }

        // NodePort, external IPs, load-balancer IPs.
        guard service.isExternallyAccessible else { return }
        let externalVerdict: Verdict
        if !selection.external.isEmpty {
            var rules: [R] = []
            if service.externalPolicyLocal {
                // Pods reaching the node port are internal traffic: the cluster policy applies, no masquerade.
                if let cidr = clusterCIDR, !selection.cluster.isEmpty, let fromPods = try? Expr.match(.ipSaddr, network: cidr) {
                    rules.append(R(fromPods + [.verdict(.goto(serviceChain))], comment: "short-circuit pod traffic"))
                }
                rules.append(dispatch(service, over: selection.external))
            } else {
                rules.append(R([.verdict(.jump(NFTablesLayout.markForMasquerade))], comment: "masquerade traffic from outside"))
                rules.append(selection.external == selection.cluster ? R([.verdict(.goto(serviceChain))]) : dispatch(service, over: selection.external))
            }
            model.chains[externalChain] = rules
            externalVerdict = .goto(externalChain)
        } else {
            // No endpoint at all: reject. Endpoints, but none local for externalTrafficPolicy Local: drop.
            externalVerdict = selection.all.isEmpty ? .goto(NFTablesLayout.rejectChain) : .drop
        }
        let hasEndpoints = !selection.external.isEmpty
        for ip in externalIPs {
            let element = SetElement(key: .concat(ip, proto, port), verdict: externalVerdict)
            model.insert(element, into: hasEndpoints ? NFTablesLayout.serviceIPs : NFTablesLayout.noEndpointServices)
        }
        if let nodePort = service.nodePort {
            let element = SetElement(key: .concat(proto, .inetService(nodePort)), verdict: externalVerdict)
            model.insert(element, into: hasEndpoints ? NFTablesLayout.serviceNodePorts : NFTablesLayout.noEndpointNodePorts)
        }

        // loadBalancerSourceRanges: only listed sources may reach the load-balancer IPs.
        let ranges = service.loadBalancerSourceRanges.filter { !$0.contains(":") }
        let loadBalancerIPs = service.loadBalancerIPs.compactMap { ip in ip.contains(":") ? nil : try? Value.ipv4(ip) }
        if !ranges.isEmpty, !loadBalancerIPs.isEmpty {
            let firewallChain = ChainName.firewall(name)
            var rules = ranges.compactMap { range in
                (try? Expr.match(.ipSaddr, network: range)).map { R($0 + [.verdict(.return)]) }
            }
            rules.append(R([.verdict(.drop)], comment: "other sources are not allowed"))
            model.chains[firewallChain] = rules
            for ip in loadBalancerIPs {
                model.insert(SetElement(key: .concat(ip, proto, port), verdict: .goto(firewallChain)), into: NFTablesLayout.firewallIPs)
            }
        }
    }

    /// The rule choosing one of `endpoints`: `numgen random mod N vmap { … }`, or with ClientIP affinity
    /// a choice by the client address so one client keeps reaching the same endpoint.
    private func dispatch(_ service: ServicePortInfo, over endpoints: [EndpointInfo]) -> R {
        let chains = endpoints.map { ChainName.endpoint(service.name, $0) }
        switch service.sessionAffinity {
        case .none:
            return R(Expr.randomGoto(chains))
        case .clientIP:
            return R(Self.sourceHashGoto(chains), comment: "ClientIP affinity")
        }
    }

    /// `ip saddr & 0.0.0.255 vmap { 0.0.0.0 : goto c0, 0.0.0.1 : goto c1, … }`: every client address maps
    /// to one endpoint chain, the same for as long as the endpoints stay the same.
    ///
    /// Upstream keeps per-endpoint dynamic sets (`update @affinity-… { ip saddr }`) with the affinity
    /// timeout; the `NFTables` module has no `dynset` expression yet, so affinity here is a stable hash of
    /// the client address (no timeout; clients move only when the endpoints change).
    static func sourceHashGoto(_ chains: [String]) -> [Expr] {
        let elements = (0..<256).map { byte in
            SetElement(key: Value([0, 0, 0, UInt8(byte)]), verdict: .goto(chains[byte % chains.count]))
        }
        let map = AnonymousSet(key: [.ipv4Address], data: .verdict, elements: elements)
        return [
            .payload(.ipSaddr, into: .r1),
            .bitwise(from: .r1, into: .r1, mask: Value([0, 0, 0, 255]), xor: Value([0, 0, 0, 0])),
            .lookup(.anonymous(map), from: .r1, into: .verdict, inverted: false),
        ]
    }
}
