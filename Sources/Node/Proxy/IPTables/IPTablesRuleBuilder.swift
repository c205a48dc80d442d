import Foundation

/// Builds the rules of upstream kube-proxy's iptables mode from snapshots of services, endpoints and the node,
/// for `iptables` (IPv4) or `ip6tables` (IPv6, ``ipv6``): addresses of the other family are left to the other
/// family's proxier.
///
/// nat: `KUBE-SERVICES` matches each cluster IP / external IP and jumps to the service's `KUBE-SVC-…`
/// (or `KUBE-EXT-…`); its last rule sends node addresses to `KUBE-NODEPORTS`. `KUBE-SVC-…` marks
/// off-cluster sources for masquerade and picks an endpoint with `-m statistic --mode random
/// --probability 1/n` (after `-m recent --rcheck` rules with ClientIP affinity); `KUBE-SEP-…` marks hairpin
/// traffic and DNATs. `KUBE-EXT-…` masquerades external traffic (or, with externalTrafficPolicy Local,
/// keeps the client address and goes to `KUBE-SVL-…`, the local endpoints). `KUBE-POSTROUTING`
/// masquerades what carries the mark `KUBE-MARK-MASQ` sets.
/// filter: `KUBE-SERVICES` / `KUBE-EXTERNAL-SERVICES` reject traffic to services without endpoints,
/// `KUBE-FORWARD` accepts marked and established forwarded traffic, `KUBE-PROXY-FIREWALL` drops
/// load-balancer traffic from sources outside `loadBalancerSourceRanges`.
struct IPTablesRuleBuilder: Sendable {
    typealias Table = IPTablesModel.Table

    /// What one service port contributes: its own chains (nat) and its lines in the shared chains.
    struct Fragment: Hashable, Sendable {
        /// `KUBE-SVC-…`, `KUBE-SEP-…`, `KUBE-EXT-…`, `KUBE-SVL-…`, `KUBE-FW-…` (all in nat).
        var chains: [String: [String]] = [:]
        /// Lines in shared chains, keyed by table and chain.
        var shared: [SharedChain: [String]] = [:]
    }

    /// A chain every service port may add lines to.
    struct SharedChain: Hashable, Sendable {
        var table: Table
        var name: String
    }

    static let natServices = SharedChain(table: .nat, name: "KUBE-SERVICES")
    static let natNodePorts = SharedChain(table: .nat, name: "KUBE-NODEPORTS")
    static let filterServices = SharedChain(table: .filter, name: "KUBE-SERVICES")
    static let filterExternalServices = SharedChain(table: .filter, name: "KUBE-EXTERNAL-SERVICES")
    static let filterFirewall = SharedChain(table: .filter, name: "KUBE-PROXY-FIREWALL")
    static let sharedChains = [natServices, natNodePorts, filterServices, filterExternalServices, filterFirewall]

    /// The fixed chains every table of ours has.
    static let fixedChainNames: Set<String> = [
        "KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ", "KUBE-EXTERNAL-SERVICES", "KUBE-FORWARD",
        "KUBE-PROXY-FIREWALL", "KUBE-FIREWALL",
    ]

    static let markMasqChain = "KUBE-MARK-MASQ"
    static let postroutingChain = "KUBE-POSTROUTING"
    static let forwardChain = "KUBE-FORWARD"
    static let healthCheckChain = "KUBE-NODEPORTS"
    /// Drops outside traffic to `127.0.0.0/8` when localhost NodePorts are on (upstream's, from CVE-2020-8558).
    static let localnetFirewallChain = "KUBE-FIREWALL"

    /// A rule in a built-in chain that leads into the proxy's chains (ensured with `iptables -C`/`-I`,
    /// never written by a restore, which would duplicate it).
    struct Jump: Hashable, Sendable {
        var table: Table
        var chain: String
        var arguments: [String]
    }

    /// Upstream's `iptablesJumpChains`.
    static let jumps: [Jump] = {
        func jump(_ table: Table, _ from: String, _ to: String, _ comment: String, new: Bool) -> Jump {
            Jump(table: table, chain: from,
                 arguments: (new ? ["-m", "conntrack", "--ctstate", "NEW"] : []) + ["-m", "comment", "--comment", comment, "-j", to])
        }
        return [
            jump(.filter, "INPUT", "KUBE-EXTERNAL-SERVICES", "kubernetes externally-visible service portals", new: true),
            jump(.filter, "FORWARD", "KUBE-EXTERNAL-SERVICES", "kubernetes externally-visible service portals", new: true),
            jump(.filter, "INPUT", "KUBE-NODEPORTS", "kubernetes health check service ports", new: false),
            jump(.filter, "FORWARD", "KUBE-SERVICES", "kubernetes service portals", new: true),
            jump(.filter, "OUTPUT", "KUBE-SERVICES", "kubernetes service portals", new: true),
            jump(.filter, "FORWARD", "KUBE-FORWARD", "kubernetes forwarding rules", new: false),
            jump(.filter, "INPUT", "KUBE-PROXY-FIREWALL", "kubernetes load balancer firewall", new: true),
            jump(.filter, "OUTPUT", "KUBE-PROXY-FIREWALL", "kubernetes load balancer firewall", new: true),
            jump(.filter, "FORWARD", "KUBE-PROXY-FIREWALL", "kubernetes load balancer firewall", new: true),
            jump(.nat, "OUTPUT", "KUBE-SERVICES", "kubernetes service portals", new: false),
            jump(.nat, "PREROUTING", "KUBE-SERVICES", "kubernetes service portals", new: false),
            jump(.nat, "POSTROUTING", "KUBE-POSTROUTING", "kubernetes postrouting rules", new: false),
        ]
    }()

    /// Upstream's jumps to `KUBE-FIREWALL` (no comment, no state match), present with localhost NodePorts.
    static let localnetFirewallJumps = ["INPUT", "OUTPUT"].map {
        Jump(table: .filter, chain: $0, arguments: ["-j", localnetFirewallChain])
    }

    /// The jumps this builder's rules need.
    var jumps: [Jump] { Self.jumps + (servesLocalhostNodePorts ? Self.localnetFirewallJumps : []) }

    /// Pod networks: sources outside them are masqueraded.
    let clusterCIDRs: [String]
    /// Addresses NodePorts answer on (empty: every local address).
    let nodePortAddresses: [String]
    /// The masquerade mark (`0x4000`).
    let mark: UInt32
    /// Rules for `ip6tables`.
    var ipv6 = false
    /// NodePorts on `127.0.0.0/8` too (IPv4 only; see ``ProxyConfiguration/localhostNodePorts``).
    var localhostNodePorts = false
    /// Upstream's large-cluster mode (more than ``largeClusterEndpointsThreshold`` endpoints in all): the
    /// per-endpoint rules (`KUBE-SEP-…` and the choice in `KUBE-SVC-…`) carry no `-m comment`, which cuts the
    /// restore input by about a third.
    var largeCluster = false
    /// The node's zone: cluster traffic prefers the endpoints hinted for it (see ``EndpointSelection``).
    var zone: String?

    /// Upstream's `largeClusterEndpointsThreshold`.
    static let largeClusterEndpointsThreshold = 1000

    /// `-m comment --comment TEXT ` (with the trailing space), or nothing in large-cluster mode
    /// (upstream's `appendServiceCommentLocked`).
    private func endpointComment(_ text: String) -> String {
        largeCluster ? "" : "-m comment --comment \(text) "
    }

    /// Whether NodePorts answer on localhost.
    var servesLocalhostNodePorts: Bool { localhostNodePorts && !ipv6 }

    /// Whether `address` belongs to this builder's family.
    private func holds(_ address: String) -> Bool { address.contains(":") == ipv6 }

    private var clusterCIDR: String? { clusterCIDRs.first(where: holds) }
    private var markText: String { "0x" + String(mark, radix: 16) }

    /// The whole model: fixed chains, every service's chains, the shared chains assembled in service order.
    func build(services: ServicePortMap, endpoints: EndpointsMap) -> IPTablesModel {
        let fragments = services.sorted.map { fragment(for: $0, endpoints: endpoints[$0.name]) }
        var model = fixedPart()
        for fragment in fragments {
            for (name, rules) in fragment.chains { model[.nat, name] = rules }
        }
        assembleShared(fragments, into: &model)
        return model
    }

    /// The chains that hold no per-service lines.
    func fixedPart() -> IPTablesModel {
        var model = IPTablesModel()
        model[.nat, Self.markMasqChain] = ["-A KUBE-MARK-MASQ -j MARK --or-mark \(markText)"]
        model[.nat, Self.postroutingChain] = [
            "-A KUBE-POSTROUTING -m mark ! --mark \(markText)/\(markText) -j RETURN",
            "-A KUBE-POSTROUTING -j MARK --xor-mark \(markText)",
            "-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully",
        ]
        model[.filter, Self.healthCheckChain] = []
        if servesLocalhostNodePorts {
            model[.filter, Self.localnetFirewallChain] = [
                "-A KUBE-FIREWALL -m comment --comment \"block incoming localnet connections\" -d 127.0.0.0/8 ! -s 127.0.0.0/8 "
                    + "-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP",
            ]
        }
        model[.filter, Self.forwardChain] = [
            "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP",
            "-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark \(markText)/\(markText) -j ACCEPT",
            "-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        ]
        return model
    }

    /// Writes the shared chains from `fragments` (in the order given) plus their fixed tails.
    func assembleShared(_ fragments: some Sequence<Fragment>, into model: inout IPTablesModel) {
        var lines: [SharedChain: [String]] = [:]
        for fragment in fragments {
            for (chain, rules) in fragment.shared { lines[chain, default: []] += rules }
        }
        for chain in Self.sharedChains {
            model[chain.table, chain.name] = (lines[chain] ?? []) + (chain == Self.natServices ? nodePortsJump() : [])
        }
    }

    /// The last rule of nat `KUBE-SERVICES`: traffic to a node address goes on to `KUBE-NODEPORTS`.
    private func nodePortsJump() -> [String] {
        let comment = "-m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\""
        let addresses = nodePortAddresses.filter(holds)
        if addresses.isEmpty { return ["-A KUBE-SERVICES \(comment) -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS"] }
        let loopback = servesLocalhostNodePorts && !addresses.contains { $0.hasPrefix("127.") } ? ["127.0.0.0/8"] : []
        return (addresses + loopback).map { "-A KUBE-SERVICES \(comment) -d \($0) -j KUBE-NODEPORTS" }
    }

    /// The chains and shared lines of one service port.
    func fragment(for service: ServicePortInfo, endpoints: [EndpointInfo]) -> Fragment {
        var fragment = Fragment()
        let name = service.name
        let spn = name.upstreamName
        let proto = name.protocol.lowercased
        let match = "-m \(proto) -p \(proto)"
        // TCP gets a reset, as the nftables mode sends: an ICMP port-unreachable to a host the node has not
        // answered before is held back by the kernel's per-host ICMP rate limit (a refused connection would
        // take a second or more), which a reset is not subject to.
        let reject = name.protocol == .tcp ? "REJECT --reject-with tcp-reset" : "REJECT"
        let selection = EndpointSelection(service: service, endpoints: endpoints.filter { holds($0.ip) }, zone: zone)
        let serviceChain = IPTablesChainName.service(name)
        let externalChain = IPTablesChainName.external(name)
        let localChain = IPTablesChainName.local(name)
        let clusterIPs = service.clusterIPs.filter(holds)
        let affinityTimeout = service.affinityTimeout

        for endpoint in selection.all {
            let chain = IPTablesChainName.endpoint(name, endpoint)
            let recent = affinityTimeout == nil ? "" : " -m recent --name \(chain) --set"
            let comment = endpointComment(spn)
            fragment.chains[chain] = [
                "-A \(chain) \(comment)-s \(endpoint.ip) -j KUBE-MARK-MASQ",
                "-A \(chain) \(comment)\(recent.isEmpty ? "" : String(recent.dropFirst()) + " ")\(match) -j DNAT --to-destination \(endpoint.description)",
            ]
        }

        // Cluster IPs.
        if !selection.cluster.isEmpty {
            var rules: [String] = []
            if let cidr = clusterCIDR, let first = clusterIPs.first {
                rules.append("-A \(serviceChain) -m comment --comment \"\(spn) cluster IP\" \(match) -d \(first) --dport \(service.port) ! -s \(cidr) -j KUBE-MARK-MASQ")
            }
            rules += dispatch(from: serviceChain, service, over: selection.cluster, timeout: affinityTimeout)
            fragment.chains[serviceChain] = rules
            for ip in clusterIPs {
                fragment.shared[Self.natServices, default: []].append(
                    "-A KUBE-SERVICES -m comment --comment \"\(spn) cluster IP\" \(match) -d \(ip) --dport \(service.port) -j \(serviceChain)")
            }
        } else {
            for ip in clusterIPs {
                fragment.shared[Self.filterServices, default: []].append(
                    "-A KUBE-SERVICES -m comment --comment \"\(spn) has no endpoints\" \(match) -d \(ip) --dport \(service.port) -j \(reject)")
            }
        }

        // NodePort, external IPs, load-balancer IPs.
        guard service.isExternallyAccessible else { return fragment }
        let externalIPs = service.externalIPs.filter(holds)
        let loadBalancerIPs = service.loadBalancerIPs.filter(holds)
        if selection.external.isEmpty {
            // No endpoint at all: reject. Endpoints, but none local for externalTrafficPolicy Local: drop.
            let (verdict, why) = selection.all.isEmpty ? (reject, "has no endpoints") : ("DROP", "has no local endpoints")
            for ip in externalIPs + loadBalancerIPs {
                fragment.shared[Self.filterExternalServices, default: []].append(
                    "-A KUBE-EXTERNAL-SERVICES -m comment --comment \"\(spn) \(why)\" \(match) -d \(ip) --dport \(service.port) -j \(verdict)")
            }
            if let nodePort = service.nodePort {
                fragment.shared[Self.filterExternalServices, default: []].append(
                    "-A KUBE-EXTERNAL-SERVICES -m comment --comment \"\(spn) \(why)\" -m addrtype --dst-type LOCAL \(match) --dport \(nodePort) -j \(verdict)")
            }
            return fragment
        }

        var external: [String] = []
        if service.externalPolicyLocal {
            if !selection.cluster.isEmpty {
                if let cidr = clusterCIDR {
                    external.append("-A \(externalChain) -m comment --comment \"pod traffic for \(spn) external destinations\" -s \(cidr) -j \(serviceChain)")
                }
                external.append("-A \(externalChain) -m comment --comment \"masquerade LOCAL traffic for \(spn) external destinations\" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ")
                external.append("-A \(externalChain) -m comment --comment \"route LOCAL traffic for \(spn) external destinations\" -m addrtype --src-type LOCAL -j \(serviceChain)")
            }
            external.append("-A \(externalChain) -j \(localChain)")
            fragment.chains[localChain] = dispatch(from: localChain, service, over: selection.external, timeout: affinityTimeout)
        } else {
            external.append("-A \(externalChain) -m comment --comment \"masquerade traffic for \(spn) external destinations\" -j KUBE-MARK-MASQ")
            if selection.external == selection.cluster {
                external.append("-A \(externalChain) -j \(serviceChain)")
            } else {
                external += dispatch(from: externalChain, service, over: selection.external, timeout: affinityTimeout)
            }
        }
        fragment.chains[externalChain] = external

        for ip in externalIPs {
            fragment.shared[Self.natServices, default: []].append(
                "-A KUBE-SERVICES -m comment --comment \"\(spn) external IP\" \(match) -d \(ip) --dport \(service.port) -j \(externalChain)")
        }
        let ranges = service.loadBalancerSourceRanges.filter(holds)
        let firewallChain = IPTablesChainName.firewall(name)
        if !ranges.isEmpty, !loadBalancerIPs.isEmpty {
            fragment.chains[firewallChain] = ranges.map {
                "-A \(firewallChain) -m comment --comment \"\(spn) loadbalancer IP\" -s \($0) -j \(externalChain)"
            } + ["-A \(firewallChain) -m comment --comment \"other traffic to \(spn) will be dropped by KUBE-PROXY-FIREWALL\""]
        }
        for ip in loadBalancerIPs {
            let target = ranges.isEmpty ? externalChain : firewallChain
            fragment.shared[Self.natServices, default: []].append(
                "-A KUBE-SERVICES -m comment --comment \"\(spn) loadbalancer IP\" \(match) -d \(ip) --dport \(service.port) -j \(target)")
            if !ranges.isEmpty {
                fragment.shared[Self.filterFirewall, default: []].append(
                    "-A KUBE-PROXY-FIREWALL -m comment --comment \"\(spn) traffic not accepted by \(firewallChain)\" \(match) -d \(ip) --dport \(service.port) -j DROP")
            }
        }
        if let nodePort = service.nodePort {
            fragment.shared[Self.natNodePorts, default: []].append(
                "-A KUBE-NODEPORTS -m comment --comment \(spn) \(match) --dport \(nodePort) -j \(externalChain)")
        }
        return fragment
    }

    /// Upstream's endpoint choice: with ClientIP affinity first one `-m recent --rcheck` rule per endpoint,
    /// then `-m statistic --mode random --probability 1/(n-i)` for every endpoint but the last.
    private func dispatch(from chain: String, _ service: ServicePortInfo, over endpoints: [EndpointInfo], timeout: Int?) -> [String] {
        let spn = service.name.upstreamName
        let chains = endpoints.map { IPTablesChainName.endpoint(service.name, $0) }
        var rules: [String] = []
        if let timeout {
            for (endpoint, target) in zip(endpoints, chains) {
                rules.append("-A \(chain) \(endpointComment("\"\(spn) -> \(endpoint.description)\""))-m recent --name \(target) --rcheck --seconds \(timeout) --reap -j \(target)")
            }
        }
        for (index, (endpoint, target)) in zip(endpoints, chains).enumerated() {
            let remaining = endpoints.count - index
            let statistic = remaining > 1 ? " -m statistic --mode random --probability \(Self.probability(remaining))" : ""
            rules.append("-A \(chain) \(endpointComment("\"\(spn) -> \(endpoint.description)\""))\(statistic.isEmpty ? "" : String(statistic.dropFirst()) + " ")-j \(target)")
        }
        return rules
    }

    /// `1/n` as upstream's `computeProbability` prints it (`%0.10f`).
    static func probability(_ n: Int) -> String { String(format: "%0.10f", 1.0 / Double(n)) }
}
