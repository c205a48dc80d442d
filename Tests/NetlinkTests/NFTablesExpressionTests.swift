import LinuxSystem
import NFTables
import Testing

/// Every kind of expression survives the trip through the kernel and reads back equal, and `nft` can
/// print it; plus an `ip6` table and a concatenated interval set.
@Suite struct NFTablesExpressionTests {
    @Test func expressionsRoundTrip() throws {
        try withNFTablesNamespace { socket, namespace in
            let table = Table("misc", family: .inet)
            let chain = Chain("filter", in: table, hook: .init(.filter, .forward, priority: Chain.Priority.filter, policy: .drop))
            let rules = [
                Rule(in: chain, [.limit(Limit(rate: 10, per: 60, burst: 5)), .counter, .verdict(.accept)]),
                Rule(in: chain, Expr.l4proto(.tcp) + [.reject(.tcpReset)]),
                Rule(in: chain, [.reject(.icmpx(code: 1))]),
                Rule(in: chain, [.immediate(.mark(0x10), into: .r1), .ctSet(.mark, from: .r1)]),
                Rule(in: chain, [.ct(.destinationIP, direction: .original, into: .r1), .compare(.equal, .r1, try .ipv4("10.0.0.1")), .verdict(.return)]),
                Rule(in: chain, [.numgen(.incremental, modulus: 4, offset: 100, into: .r1), .compare(.greaterOrEqual, .r1, .integer(102)), .verdict(.drop)]),
                Rule(in: chain, [.immediate(.inetService(8080), into: .r1), .payloadWrite(.destinationPort, from: .r1, checksum: PayloadChecksum(offset: 16, flags: 1))]),
                Rule(in: chain, Expr.match(.meta(.iifname), .equal, .ifname("eth0")) + [.verdict(.jump("other"))]),
            ]
            var tx = Transaction()
            tx.add(table)
            tx.add(chain)
            tx.add(Chain("other", in: table))
            for rule in rules { tx.add(rule) }
            try socket.commit(tx)

            let read = try socket.rules(in: table)
            #expect(read.map(\.expressions) == rules.map(\.expressions))
            #expect(try socket.chains(in: table).first?.hook?.policy == .drop)
            let text = try nftListRuleset(in: namespace)
            for fragment in ["limit rate 10/minute", "reject with tcp reset", "ct mark set 0x00000010", "ct original ip daddr 10.0.0.1 return",
                             "numgen inc mod 4 offset 100 >= 102 drop", "iifname \"eth0\" jump other"] {
                #expect(nftFlattened(text).contains(fragment), "missing \(fragment) in\n\(text)")
            }
            #expect(!text.contains("unknown"), "\(text)")
        }
    }

    @Test func ip6TableAndConcatenatedIntervals() throws {
        try withNFTablesNamespace { socket, namespace in
            let table = Table("kube-proxy", family: .ip6)
            let chain = Chain("filter", in: table, hook: .init(.filter, .input, priority: Chain.Priority.filter))
            let ranges = NamedSet("ranges", in: table, key: [.ipv6Address, .inetService], flags: [.interval])
            var tx = Transaction()
            tx.add(table)
            tx.add(chain)
            tx.add(ranges)
            tx.add(Rule(in: chain, try Expr.match(.ip6Saddr, network: "fd00::/64") + [.verdict(.accept)]))
            tx.add(Rule(in: chain, Expr.l4proto(.tcp) + Expr.inSet([.payload(.ip6Daddr), .payload(.destinationPort)], set: .named("ranges")) + [.verdict(.drop)]))
            let (network, _) = try Value.network("fd00:1::/64")
            let last = try Value.ipv6("fd00:1::ffff:ffff:ffff:ffff")
            tx.add(elements: [SetElement(key: .concat(network, .inetService(80)), keyEnd: .concat(last, .inetService(90)))], to: ranges)
            try socket.commit(tx)

            let text = nftFlattened(try nftListRuleset(in: namespace))
            #expect(text.contains("ip6 saddr fd00::/64 accept"), "\(text)")
            #expect(text.contains("type ipv6_addr . inet_service flags interval elements = { fd00:1::/64 . 80-90 }"), "\(text)")
            #expect(text.contains("ip6 daddr . tcp dport @ranges drop"), "\(text)")
            let readSet = try #require(try socket.sets(in: table).first)
            #expect(readSet.keyType == ranges.keyType)
            #expect(readSet.flags == [.interval])
        }
    }
}
