import NFTables

/// Builds the desired ``NFTablesModel`` of one family's table (the layout's: `ip` or `ip6`) from snapshots of
/// services, endpoints and the node, in upstream kube-proxy's layout; addresses of the other family are left
/// to the other table.
///
/// Per service port with endpoints: `service-…` (masquerade off-cluster sources, pick an endpoint and
/// DNAT to it through the ranges of a shared endpoint map), `external-…` for NodePort/externalIPs/
/// load-balancer traffic, `firewall-…` for loadBalancerSourceRanges; elements in the verdict maps point at
/// them, and each endpoint address is paired with itself in `hairpin-endpoints`. Services with ClientIP
/// affinity choose among `endpoint-…` chains (hairpin mark, affinity update, DNAT) as upstream does.
/// Ports without endpoints get `no-endpoint-*` elements that reject.
struct NFTablesRuleBuilder: Sendable {
    typealias R = NFTablesModel.RuleSpec

    let layout: NFTablesLayout
    /// Pod networks: sources outside them are masqueraded; empty means no off-cluster masquerade rule.
    let clusterCIDRs: [String]
    /// Addresses NodePorts answer on.
    let nodePortAddresses: [String]
    /// The node's zone: cluster traffic prefers the endpoints hinted for it (see ``EndpointSelection``).
    var zone: String?

    /// The whole model, with dispatch slots handed out in service order.
    func build(services: ServicePortMap, endpoints: EndpointsMap) -> NFTablesModel {
        let sorted = services.sorted
        var model = fixedPart(endpointMaps: (sorted.count + DispatchSlot.servicesPerMap - 1) / DispatchSlot.servicesPerMap)
        for (index, service) in sorted.enumerated() {
            add(service, endpoints: endpoints[service.name], slot: DispatchSlot(index), to: &model)
        }
        return model
    }

    /// The chains and elements every table has: the layout's fixed chains, empty maps, the node-port
    /// addresses, and the first `endpointMaps` shared endpoint maps.
    func fixedPart(endpointMaps: Int) -> NFTablesModel {
        var model = NFTablesModel(chains: layout.fixedChains, elements: [:])
        for set in layout.sets { model.elements[set.name] = [:] }
        for shard in 0..<endpointMaps { model.sets[layout.endpointMap(shard: shard).name] = layout.endpointMap(shard: shard) }
        for address in nodePortAddresses {
            if let key = layout.value(address) { model.insert(SetElement(key: key), into: NFTablesLayout.nodePortIPs) }
        }
        return model
    }

    /// Roughly how many elements the big sets of `services` hold (one service-ips element per service port,
    /// a hairpin pair per endpoint), so a first full sync can reserve room for them.
    func estimatedElementCounts(services: ServicePortMap, endpoints: EndpointsMap) -> [String: Int] {
        [NFTablesLayout.serviceIPs: services.count, NFTablesLayout.hairpinEndpoints: endpoints.endpoints.values.reduce(0) { $0 + $1.count }]
    }

    /// The chains and elements of one service port alone.
    func fragment(for service: ServicePortInfo, endpoints: [EndpointInfo], slot: DispatchSlot) -> NFTablesModel {
        var model = NFTablesModel()
        add(service, endpoints: endpoints, slot: slot, to: &model)
        return model
    }

    private var clusterCIDR: String? { clusterCIDRs.first { layout.holds($0) } }

    private func add(_ service: ServicePortInfo, endpoints: [EndpointInfo], slot: DispatchSlot, to model: inout NFTablesModel) {
        let name = service.name
        let proto = Value.inetProto(name.protocol.number)
        let selection = EndpointSelection(service: service, endpoints: endpoints.filter { layout.holds($0.ip) }, zone: zone)
        let serviceChain = ChainName.service(name)
        let externalChain = ChainName.external(name)
        let (saddr, daddr) = (layout.sourceAddress, layout.destinationAddress)
        let clusterIPs = service.clusterIPs.compactMap(layout.value)
        let externalIPs = (service.externalIPs + service.loadBalancerIPs).compactMap(layout.value)
        let port = Value.inetService(service.port)
        let allEndpoints = selection.all

        for endpoint in allEndpoints where service.affinityTimeout == nil {
            // Pod to its own service: masquerade, so the reply comes back through the node.
            guard let address = layout.value(endpoint.ip) else { continue }
            model.insert(SetElement(key: .concat(address, address)), into: NFTablesLayout.hairpinEndpoints)
        }
        for endpoint in allEndpoints where service.affinityTimeout != nil {
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
            rules += dispatch(service, over: selection.cluster, dispatch: slot.cluster, into: &model)
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
                rules += dispatch(service, over: selection.external, dispatch: slot.external, into: &model)
            } else {
                rules.append(R([.verdict(.jump(NFTablesLayout.markForMasquerade))], comment: "masquerade traffic from outside"))
                rules += selection.external == selection.cluster
                    ? [R([.verdict(.goto(serviceChain))])]
                    : dispatch(service, over: selection.external, dispatch: slot.external, into: &model)
            }
            model.chains[externalChain] = rules
            externalVerdict = .goto(externalChain)
        } else {
            // No endpoint at all: reject. Endpoints, but none local for externalTrafficPolicy Local: drop.
            externalVerdict = allEndpoints.isEmpty ? .goto(NFTablesLayout.rejectChain) : .drop
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

    /// The rules choosing one of `endpoints`. Without affinity one rule, `meta l4proto tcp dnat to numgen
    /// random mod 1048576 offset O map @service-endpoints-S`, and the endpoints as ranges of that map:
    /// endpoint i of N owns the numbers `O + [i·2²⁰/N, (i+1)·2²⁰/N)`, so changing endpoints changes only
    /// map elements. The map's key is dispatch `dispatch`'s offset (`dispatch << 21`, see ``DispatchSlot``).
    ///
    /// With ClientIP affinity first `ip saddr @affinity-… goto endpoint-…` per endpoint (a client seen within
    /// the timeout goes back to its endpoint), then `numgen random mod N-i 0 goto endpoint-…` per endpoint, so
    /// each is chosen with probability 1/N (upstream's one `numgen … vmap { … }` rule would need an anonymous
    /// set per service, and the kernel allocates and finds those by scanning every set of the table).
    private func dispatch(_ service: ServicePortInfo, over endpoints: [EndpointInfo], dispatch: DispatchSlot.Dispatch,
                          into model: inout NFTablesModel) -> [R] {
        guard service.affinityTimeout != nil else {
            let map = layout.endpointMap(shard: dispatch.shard).name
            let targets = endpoints.sorted().compactMap { endpoint in
                layout.value(endpoint.ip).map { Value.concat($0, .inetService(endpoint.port)) }
            }
            for element in Self.ranges(targets, offset: dispatch.offset) { model.insert(element, into: map) }
            let proto = Value.inetProto(service.name.protocol.number)
            return [R(Expr.l4proto(proto) + Expr.dnatRandom(modulus: NFTablesLayout.slotsPerService, offset: dispatch.offset,
                                                            map: map, family: layout.table.family))]
        }
        var rules: [R] = []
        for endpoint in endpoints {
            rules.append(R(Expr.inSet([.payload(layout.sourceAddress)], set: .named(ChainName.affinity(service.name, endpoint)))
                           + [.verdict(.goto(ChainName.endpoint(service.name, endpoint)))]))
        }
        return rules + Expr.randomGotoRules(endpoints.map { ChainName.endpoint(service.name, $0) }).map { R($0) }
    }

    /// The interval-map elements giving each of `targets` an equal share (±1) of `offset + [0, 2²⁰)`: a
    /// start element with the target and an interval-end element per range (adjacent ranges share a key).
    static func ranges(_ targets: [Value], offset: UInt32) -> [SetElement] {
        let count = UInt64(targets.count)
        let slots = UInt64(NFTablesLayout.slotsPerService)
        var elements: [SetElement] = []
        for (index, target) in targets.enumerated() {
            let low = UInt64(index) * slots / count, high = UInt64(index + 1) * slots / count
            guard high > low else { continue }  // more endpoints than numbers
            elements.append(SetElement(key: .bigEndian(offset + UInt32(low)), value: target))
            elements.append(SetElement(key: .bigEndian(offset + UInt32(high)), isIntervalEnd: true))
        }
        return elements
    }
}

/// Where a service port's endpoint choices live: its cluster and external dispatches are numbers
/// `2·index` and `2·index + 1` of shared endpoint map `shard`, each owning the keys `dispatch << 21 +
/// [0, 2²⁰)` of that map. The proxier hands slots out and keeps them while the service exists, so the
/// service's rules never change with its endpoints.
struct DispatchSlot: Hashable, Sendable {
    static let servicesPerMap = NFTablesLayout.dispatchesPerMap / 2

    var shard: Int
    var index: Int

    /// Slot number `number` (shard-major).
    init(_ number: Int) {
        shard = number / Self.servicesPerMap
        index = number % Self.servicesPerMap
    }

    var number: Int { shard * Self.servicesPerMap + index }

    struct Dispatch {
        var shard: Int
        var number: Int
        var offset: UInt32 { UInt32(number) << 21 }
    }

    var cluster: Dispatch { Dispatch(shard: shard, number: 2 * index) }
    var external: Dispatch { Dispatch(shard: shard, number: 2 * index + 1) }
}
