import NFTables

/// Builds the desired ``NFTablesModel`` of one family's table (the layout's: `ip` or `ip6`) from snapshots of
/// services, endpoints and the node, in upstream kube-proxy's layout; addresses of the other family are left
/// to the other table.
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
        for address in nodePortAddresses {
            if let key = layout.value(address) { model.insert(SetElement(key: key), into: NFTablesLayout.nodePortIPs) }
        }
        return model
    }

    /// The chains and elements of one service port alone.
    func fragment(for service: ServicePortInfo, endpoints: [EndpointInfo]) -> NFTablesModel {
        var model = NFTablesModel()
        add(service, endpoints: endpoints, to: &model)
        return model
    }

    private var clusterCIDR: String? { clusterCIDRs.first { layout.holds($0) } }

    private func add(_ service: ServicePortInfo, endpoints: [EndpointInfo], to model: inout NFTablesModel) {
        let name = service.name
        let proto = Value.inetProto(name.protocol.number)
        let selection = EndpointSelection(service: service, endpoints: endpoints.filter { layout.holds($0.ip) })
        let serviceChain = ChainName.service(name)
        let externalChain = ChainName.external(name)
        let (saddr, daddr) = (layout.sourceAddress, layout.destinationAddress)
        let clusterIPs = service.clusterIPs.compactMap(layout.value)
        let externalIPs = (service.externalIPs + service.loadBalancerIPs).compactMap(layout.value)
        let port = Value.inetService(service.port)

        for endpoint in selection.all {
            guard let address = layout.value(endpoint.ip) else { continue }
            var rules = [R(Expr.match(.payload(saddr), .equal, address) + [.verdict(.jump(NFTablesLayout.markForMasquerade))])]
            if let timeout = service.affinityTimeout {
                // Remember the client: `ip saddr @affinity-…` in the dispatch sends it back here until the timeout.
                let set = ChainName.affinity(name, endpoint)
                model.sets[set] = NamedSet(set, in: layout.table, key: [layout.addressType], flags: [.dynamic, .timeout], timeout: .seconds(timeout))
                rules.append(R(Expr.update(set: set, with: [.payload(saddr)])))
            }
            rules.append(R(Expr.l4proto(proto) + Expr.dnat(to: address, port: endpoint.port)))
            model.chains[ChainName.endpoint(name, endpoint)] = rules
        }

        // Cluster IP.
        if !selection.cluster.isEmpty {
            var rules: [R] = []
            if let cidr = clusterCIDR, let first = clusterIPs.first,
               let notFromPods = try? Expr.match(saddr, network: cidr, .notEqual) {
                rules.append(R(Expr.match(.payload(daddr), .equal, first) + Expr.destinationPort(service.port, proto: proto)
                               + notFromPods + [.verdict(.jump(NFTablesLayout.markForMasquerade))]))
            }
            rules += dispatch(service, over: selection.cluster)
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
                if let cidr = clusterCIDR, !selection.cluster.isEmpty, let fromPods = try? Expr.match(saddr, network: cidr) {
                    rules.append(R(fromPods + [.verdict(.goto(serviceChain))], comment: "short-circuit pod traffic"))
                }
                rules += dispatch(service, over: selection.external)
            } else {
                rules.append(R([.verdict(.jump(NFTablesLayout.markForMasquerade))], comment: "masquerade traffic from outside"))
                rules += selection.external == selection.cluster ? [R([.verdict(.goto(serviceChain))])] : dispatch(service, over: selection.external)
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
        let ranges = service.loadBalancerSourceRanges.filter { layout.holds($0) }
        let loadBalancerIPs = service.loadBalancerIPs.compactMap(layout.value)
        if !ranges.isEmpty, !loadBalancerIPs.isEmpty {
            let firewallChain = ChainName.firewall(name)
            var rules = ranges.compactMap { range in
                (try? Expr.match(saddr, network: range)).map { R($0 + [.verdict(.return)]) }
            }
            rules.append(R([.verdict(.drop)], comment: "other sources are not allowed"))
            model.chains[firewallChain] = rules
            for ip in loadBalancerIPs {
                model.insert(SetElement(key: .concat(ip, proto, port), verdict: .goto(firewallChain)), into: NFTablesLayout.firewallIPs)
            }
        }
    }

    /// The rules choosing one of `endpoints`: with ClientIP affinity first `ip saddr @affinity-… goto
    /// endpoint-…` per endpoint (a client seen within the timeout goes back to its endpoint), then
    /// `numgen random mod N-i 0 goto endpoint-…` per endpoint, so each is chosen with probability 1/N.
    ///
    /// Upstream writes the random choice as one `numgen random mod N vmap { 0 : goto …, … }` rule; each
    /// such rule carries an anonymous set, and the kernel names and finds anonymous sets by scanning every
    /// set of the table (and the pending transaction), so loading ten thousand services took minutes
    /// (quadratic). Rules with `numgen` compares cost the kernel the same at any service count; the choice
    /// is evaluated only for a connection's first packet.
    private func dispatch(_ service: ServicePortInfo, over endpoints: [EndpointInfo]) -> [R] {
        var rules: [R] = []
        if service.affinityTimeout != nil {
            for endpoint in endpoints {
                rules.append(R(Expr.inSet([.payload(layout.sourceAddress)], set: .named(ChainName.affinity(service.name, endpoint)))
                               + [.verdict(.goto(ChainName.endpoint(service.name, endpoint)))]))
            }
        }
        return rules + Expr.randomGotoRules(endpoints.map { ChainName.endpoint(service.name, $0) }).map { R($0) }
    }
}
