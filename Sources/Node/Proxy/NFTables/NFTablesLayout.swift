import NFTables

/// The fixed skeleton of the proxy's table, in upstream kube-proxy's nftables layout: base chains hooked
/// into filter and nat, the dispatch chains, and the named verdict maps services are added to. One table
/// per family (`ip`, `ip6`), with the same name, as upstream has.
///
///     services:             ip daddr . meta l4proto . th dport vmap @service-ips
///                           ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
///     service-endpoints-check: ip daddr . meta l4proto . th dport vmap @no-endpoint-services
///     masquerading:         ip saddr . ip daddr @hairpin-endpoints jump mark-for-masquerade
///                           meta mark & 0x4000 == 0 return; meta mark set meta mark xor 0x4000; masquerade fully-random
///
/// Where this deviates from upstream: a service chain picks its endpoint with one rule, `dnat to numgen
/// random mod 1048576 offset O map @service-endpoints-S`, from ranges in a shared interval map (see
/// ``endpointMap(shard:)``), instead of a `numgen … vmap` to per-endpoint chains, and pod-to-own-service
/// (hairpin) connections are marked for masquerade through the `hairpin-endpoints` set of `endpoint .
/// endpoint` address pairs instead of a rule per endpoint chain. An endpoint change is then only elements
/// of sets without verdicts: the kernel validates every chain of the table after any commit that adds a
/// jump, goto, NAT or reject rule or a verdict-map element, which cost hundreds of milliseconds per change
/// at ten thousand services. Services with ClientIP affinity keep upstream's per-endpoint chains.
public struct NFTablesLayout: Sendable {
    public let table: Table
    /// The masquerade mark (`0x4000` by default).
    public let mark: UInt32

    public init(tableName: String, family: Family = .ip, mark: UInt32 = 0x4000) {
        self.table = Table(tableName, family: family)
        self.mark = mark
    }

    // MARK: Names

    public static let services = "services"
    public static let masquerading = "masquerading"
    public static let markForMasquerade = "mark-for-masquerade"
    public static let rejectChain = "reject-chain"
    public static let serviceEndpointsCheck = "service-endpoints-check"
    public static let nodePortEndpointsCheck = "nodeport-endpoints-check"
    public static let firewallCheck = "firewall-check"

    public static let serviceIPs = "service-ips"
    public static let serviceNodePorts = "service-nodeports"
    public static let noEndpointServices = "no-endpoint-services"
    public static let noEndpointNodePorts = "no-endpoint-nodeports"
    public static let firewallIPs = "firewall-ips"
    public static let nodePortIPs = "nodeport-ips"
    public static let hairpinEndpoints = "hairpin-endpoints"
    /// Prefix of the shared endpoint maps (`service-endpoints-0`, `-1`, …).
    public static let endpointMapPrefix = "service-endpoints-"

    /// The range `numgen` draws from per service: an endpoint owns `slotsPerService / N` consecutive
    /// numbers (±1), so shares differ from 1/N by less than N/2²⁰.
    public static let slotsPerService: UInt32 = 1 << 20
    /// Dispatches (a service port's cluster or external endpoint choice) per endpoint map. Each dispatch
    /// rule binds the map, and the kernel checks every element it adds against every binding, so the maps
    /// stay small; the table's sets are found by name in a list, so there are not too many either.
    public static let dispatchesPerMap = 128

    /// The shared endpoint map `shard`: `type mark : ipv4_addr . inet_service; flags interval` (listed by `nft` as
    /// `typeof numgen random mod 1048576 : ip daddr . th dport`), holding
    /// for dispatch `d` of the map the ranges `d << 21 + [lo, hi]` of each endpoint.
    public func endpointMap(shard: Int) -> NamedSet { endpointMap(named: Self.endpointMapPrefix + String(shard)) }

    /// The shared endpoint map called `name`. Its user data is what `nft` writes for `typeof numgen random mod
    /// 1048576 : ip daddr . th dport` (see ``endpointMapUserData(family:)``), so `nft list` shows that instead of `mark`.
    public func endpointMap(named name: String) -> NamedSet {
        var map = NamedSet(name, in: table, key: [.mark], data: .concatenation([addressType, .inetService]), flags: [.interval])
        map.userData = Self.endpointMapUserData(family: table.family)
        return map
    }

    /// The set user data `nft` 1.0 writes for `map … { typeof numgen random mod 1048576 : ip daddr . th dport;
    /// flags interval; }` (`ip6 daddr` for ip6), read off `nft --debug=mnl`: type-length-value records
    /// (`NFTNL_UDATA_SET_*`, native-endian u32s) — key byte order host (1), data byte order none (0, a
    /// concatenation), the key's `typeof` (expression type 23, numgen: random, modulus, offset 0), the data's
    /// (13, a concatenation of two payload expressions, 7: protocol description and field — ip 12/12, ip6 13/9,
    /// th 11/2), data interval 0. `nft` then lists the map's key as that expression with its range
    /// elements as numbers, and the listing loads back with `nft -f`.
    static func endpointMapUserData(family: Family) -> [UInt8] {
        func u32(_ type: UInt8, _ value: UInt32) -> [UInt8] { [type, 4] + withUnsafeBytes(of: value) { Array($0) } }
        func nest(_ type: UInt8, _ body: [UInt8]) -> [UInt8] { [type, UInt8(body.count)] + body }
        func typeof(_ expression: UInt32, _ data: [UInt8]) -> [UInt8] { u32(0, expression) + nest(1, data) }
        let numgen = typeof(23, u32(0, 1) + u32(1, slotsPerService) + u32(2, 0))
        let (description, field): (UInt32, UInt32) = family == .ip6 ? (13, 9) : (12, 12)
        let address = typeof(7, u32(0, description) + u32(1, field))
        let port = typeof(7, u32(0, 11) + u32(1, 2))
        let concatenation = typeof(13, nest(0, address) + nest(1, port))
        return u32(0, 1) + u32(1, 0) + nest(3, numgen) + nest(4, concatenation) + u32(6, 0)
    }

    /// Whether `name` is one of the shared endpoint maps.
    public static func isEndpointMap(_ name: String) -> Bool { name.hasPrefix(endpointMapPrefix) }

    /// The address family's data type (`ipv4_addr` / `ipv6_addr`).
    public var addressType: DataType { table.family == .ip6 ? .ipv6Address : .ipv4Address }
    /// `ip saddr` / `ip6 saddr`.
    public var sourceAddress: PayloadField { table.family == .ip6 ? .ip6Saddr : .ipSaddr }
    /// `ip daddr` / `ip6 daddr`.
    public var destinationAddress: PayloadField { table.family == .ip6 ? .ip6Daddr : .ipDaddr }
    /// Whether `address` (text) belongs to this table's family.
    public func holds(_ address: String) -> Bool { address.contains(":") == (table.family == .ip6) }
    /// `address` as a key or NAT value of this family; `nil` for the other family or unparsable text.
    public func value(_ address: String) -> Value? {
        guard holds(address) else { return nil }
        return table.family == .ip6 ? try? Value.ipv6(address) : try? Value.ipv4(address)
    }

    /// Base chains, hooked as upstream hooks them (filter checks at priority -110, before DNAT).
    public var baseChains: [Chain] {
        [
            Chain("filter-prerouting-pre-dnat", in: table, hook: .init(.filter, .prerouting, priority: Chain.Priority.dstnat - 10)),
            Chain("filter-input", in: table, hook: .init(.filter, .input, priority: Chain.Priority.dstnat - 10)),
            Chain("filter-forward", in: table, hook: .init(.filter, .forward, priority: Chain.Priority.dstnat - 10)),
            Chain("filter-output", in: table, hook: .init(.filter, .output, priority: Chain.Priority.dstnat - 10)),
            Chain("nat-prerouting", in: table, hook: .init(.nat, .prerouting, priority: Chain.Priority.dstnat)),
            Chain("nat-output", in: table, hook: .init(.nat, .output, priority: Chain.Priority.dstnat)),
            Chain("nat-postrouting", in: table, hook: .init(.nat, .postrouting, priority: Chain.Priority.srcnat)),
        ]
    }

    /// The base chain named `name`, if it is one.
    public func baseChain(named name: String) -> Chain? {
        baseChains.first { $0.name == name }
    }

    /// The chain object for `name` (base or regular).
    public func chain(named name: String) -> Chain {
        baseChain(named: name) ?? Chain(name, in: table)
    }

    /// The named sets and maps.
    public var sets: [NamedSet] {
        let serviceKey: KeyType = [addressType, .inetProto, .inetService]
        let portKey: KeyType = [.inetProto, .inetService]
        return [
            NamedSet(Self.serviceIPs, in: table, key: serviceKey, data: .verdict),
            NamedSet(Self.noEndpointServices, in: table, key: serviceKey, data: .verdict),
            NamedSet(Self.firewallIPs, in: table, key: serviceKey, data: .verdict),
            NamedSet(Self.serviceNodePorts, in: table, key: portKey, data: .verdict),
            NamedSet(Self.noEndpointNodePorts, in: table, key: portKey, data: .verdict),
            NamedSet(Self.nodePortIPs, in: table, key: [addressType]),
            NamedSet(Self.hairpinEndpoints, in: table, key: [addressType, addressType]),
        ]
    }

    /// The set named `name`.
    public func set(named name: String) -> NamedSet? { sets.first { $0.name == name } }

    /// The fixed chains and their rules: everything but the per-service chains.
    public var fixedChains: [String: [NFTablesModel.RuleSpec]] {
        typealias R = NFTablesModel.RuleSpec
        let serviceKey: [Selector] = [.payload(destinationAddress), .meta(.l4proto), .payload(.destinationPort)]
        let portKey: [Selector] = [.meta(.l4proto), .payload(.destinationPort)]
        let nodePortAddress = Expr.inSet([.payload(destinationAddress)], set: .named(Self.nodePortIPs))
        let new = Expr.ctState(.new)
        return [
            "filter-prerouting-pre-dnat": [R(new + [.verdict(.jump(Self.firewallCheck))])],
            "filter-input": [
                R(new + [.verdict(.jump(Self.nodePortEndpointsCheck))]),
                R(new + [.verdict(.jump(Self.serviceEndpointsCheck))]),
            ],
            "filter-forward": [R(new + [.verdict(.jump(Self.serviceEndpointsCheck))])],
            "filter-output": [
                R(new + [.verdict(.jump(Self.serviceEndpointsCheck))]),
                R(new + [.verdict(.jump(Self.firewallCheck))]),
            ],
            "nat-prerouting": [R([.verdict(.jump(Self.services))])],
            "nat-output": [R([.verdict(.jump(Self.services))])],
            "nat-postrouting": [R([.verdict(.jump(Self.masquerading))])],
            Self.services: [
                R(Expr.vmap(serviceKey, set: .named(Self.serviceIPs))),
                R(nodePortAddress + Expr.vmap(portKey, set: .named(Self.serviceNodePorts))),
            ],
            Self.serviceEndpointsCheck: [R(Expr.vmap(serviceKey, set: .named(Self.noEndpointServices)))],
            Self.nodePortEndpointsCheck: [R(nodePortAddress + Expr.vmap(portKey, set: .named(Self.noEndpointNodePorts)))],
            Self.firewallCheck: [R(Expr.vmap(serviceKey, set: .named(Self.firewallIPs)))],
            Self.markForMasquerade: [R(Expr.setMarkBits(mark))],
            Self.masquerading: [
                R(Expr.inSet([.payload(sourceAddress), .payload(destinationAddress)], set: .named(Self.hairpinEndpoints))
                  + [.verdict(.jump(Self.markForMasquerade))]),
                R([.meta(.mark, into: .r1), .bitwise(from: .r1, into: .r1, mask: .mark(mark), xor: .mark(0)),
                   .compare(.equal, .r1, .mark(0)), .verdict(.return)]),
                R([.meta(.mark, into: .r1), .bitwise(from: .r1, into: .r1, mask: .mark(~0), xor: .mark(mark)),
                   .metaSet(.mark, from: .r1)]),
                R([.masquerade([.fullyRandom])]),
            ],
            Self.rejectChain: [
                R(Expr.l4proto(.tcp) + [.reject(.tcpReset)]),
                // Plain `reject`: ICMP port unreachable (code 3), ICMPv6 port unreachable (code 4) in ip6.
                R([.reject(table.family == .ip6 ? .icmp(code: 4) : .portUnreachable)]),
            ],
        ]
    }
}
