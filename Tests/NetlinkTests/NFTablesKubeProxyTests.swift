import LinuxSystem
import NFTables
import Testing

/// A kube-proxy-shaped ruleset programmed in one transaction, checked against `nft list ruleset`
/// and against our own read-back.
@Suite(.serialized) struct NFTablesKubeProxyTests {
    let table = Table("kube-proxy", family: .ip)

    var chains: [Chain] {
        [
            Chain("nat-prerouting", in: table, hook: .init(.nat, .prerouting, priority: Chain.Priority.dstnat)),
            Chain("nat-output", in: table, hook: .init(.nat, .output, priority: Chain.Priority.dstnat)),
            Chain("nat-postrouting", in: table, hook: .init(.nat, .postrouting, priority: Chain.Priority.srcnat)),
            Chain("filter-forward", in: table, hook: .init(.filter, .forward, priority: Chain.Priority.filter)),
            Chain("filter-input", in: table, hook: .init(.filter, .input, priority: Chain.Priority.filter)),
            Chain("services", in: table),
            Chain("masquerading", in: table),
            Chain("reject-chain", in: table),
            Chain("service-web", in: table),
            Chain("endpoint-1", in: table),
            Chain("endpoint-2", in: table),
        ]
    }

    var serviceIPs: NamedSet {
        NamedSet("service-ips", in: table, key: [.ipv4Address, .inetProto, .inetService], data: .verdict)
    }

    var noEndpointServices: NamedSet {
        NamedSet("no-endpoint-services", in: table, key: [.ipv4Address, .inetProto, .inetService], data: .verdict)
    }

    func chain(_ name: String) -> Chain { chains.first { $0.name == name }! }

    func rules() throws -> [Rule] {
        let serviceKey: [Selector] = [.payload(.ipDaddr), .meta(.l4proto), .payload(.destinationPort)]
        return [
            Rule(in: chain("nat-prerouting"), [.verdict(.jump("services"))]),
            Rule(in: chain("nat-output"), [.verdict(.jump("services"))]),
            Rule(in: chain("nat-postrouting"), [.verdict(.jump("masquerading"))]),
            Rule(in: chain("filter-forward"), Expr.ctState(.invalid) + [.verdict(.drop)]),
            Rule(in: chain("filter-input"), Expr.ctState(.new) + Expr.vmap(serviceKey, set: .named("no-endpoint-services"))),
            Rule(in: chain("services"), comment: "ClusterIP dispatch", Expr.vmap(serviceKey, set: .named("service-ips"))),
            Rule(in: chain("masquerading"), Expr.hasMarkBits(0x4000) + [.masquerade([.fullyRandom])]),
            Rule(in: chain("reject-chain"), [.reject(.portUnreachable)]),
            Rule(in: chain("service-web"), [.counter] + Expr.randomGoto(["endpoint-1", "endpoint-2"])),
            Rule(in: chain("endpoint-1"), try Expr.match(.ipSaddr, network: "10.180.0.1/32") + Expr.setMarkBits(0x4000)),
            Rule(in: chain("endpoint-1"), Expr.l4proto(.tcp) + Expr.dnat(to: try .ipv4("10.180.0.1"), port: 8080)),
            Rule(in: chain("endpoint-2"), Expr.l4proto(.tcp) + Expr.dnat(to: try .ipv4("10.180.0.2"), port: 8080)),
        ]
    }

    func transaction() throws -> Transaction {
        var tx = Transaction()
        tx.add(table)
        for chain in chains { tx.add(chain) }
        tx.add(serviceIPs)
        tx.add(noEndpointServices)
        for rule in try rules() { tx.add(rule) }
        tx.add(elements: [SetElement(key: .concat(try .ipv4("172.30.0.41"), .tcp, .inetService(80)), verdict: .goto("service-web"))],
               to: serviceIPs)
        tx.add(elements: [SetElement(key: .concat(try .ipv4("172.30.0.42"), .tcp, .inetService(80)), verdict: .goto("reject-chain"))],
               to: noEndpointServices)
        return tx
    }

    @Test func nftListsTheLayout() throws {
        try withNFTablesNamespace { socket, namespace in
            try socket.commit(try transaction())
            let text = try nftListRuleset(in: namespace)
            let flat = nftFlattened(text)
            for fragment in [
                "table ip kube-proxy {",
                "map service-ips { type ipv4_addr . inet_proto . inet_service : verdict elements = { 172.30.0.41 . tcp . 80 : goto service-web } }",
                "chain nat-prerouting { type nat hook prerouting priority dstnat; policy accept; jump services }",
                "chain nat-postrouting { type nat hook postrouting priority srcnat; policy accept; jump masquerading }",
                "chain filter-forward { type filter hook forward priority filter; policy accept; ct state invalid drop }",
                "ct state new ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
                "ip daddr . meta l4proto . th dport vmap @service-ips comment \"ClusterIP dispatch\"",
                "masquerade fully-random",
                "chain reject-chain { reject }",
                "counter packets 0 bytes 0 numgen random mod 2 vmap { 0 : goto endpoint-1, 1 : goto endpoint-2 }",
                "ip saddr 10.180.0.1 meta mark set meta mark | 0x00004000",
                "meta l4proto tcp dnat to 10.180.0.1:8080",
            ] {
                #expect(flat.contains(fragment), "missing \(fragment) in\n\(text)")
            }
        }
    }

    @Test func readBackMatchesWhatWasSent() throws {
        try withNFTablesNamespace { socket, _ in
            try socket.commit(try transaction())
            #expect(try socket.tables(family: .ip).map(\.name) == ["kube-proxy"])

            let chains = try socket.chains(in: table)
            #expect(Set(chains.map { $0.name }) == Set(self.chains.map(\.name)))
            for chain in chains {
                #expect(chain.hook == self.chain(chain.name).hook, "\(chain.name)")
            }

            let sets = try socket.sets(in: table)
            #expect(sets.map { $0.name }.sorted() == ["no-endpoint-services", "service-ips"])
            let readMap = try #require(sets.first { $0.name == "service-ips" })
            #expect(readMap.keyType == serviceIPs.keyType)
            #expect(readMap.dataType == .verdict)

            let read = try socket.rules(in: table)
            let sent = try rules()
            #expect(read.count == sent.count)
            for rule in sent {
                let match = read.first { $0.chain == rule.chain && $0.expressions.map(\.canonical) == rule.expressions.map(\.canonical) }
                #expect(match != nil, "rule in \(rule.chain) not read back: \(rule.expressions)\nread: \(read.filter { $0.chain == rule.chain }.map(\.expressions))")
                #expect(match?.comment == rule.comment)
            }
            #expect(try socket.rules(in: table, chain: "endpoint-1").count == 2)

            let elements = try socket.elements(of: serviceIPs)
            #expect(elements == [SetElement(key: .concat(try .ipv4("172.30.0.41"), .tcp, .inetService(80)), verdict: .goto("service-web"))])
        }
    }
}
