#if canImport(Glibc)
import Glibc
#endif
import LinuxSystem
import NFTables
import Testing

/// Failed transactions: typed errors naming the failed request, and nothing of the batch left behind.
@Suite struct NFTablesErrorTests {
    let table = Table("kube-proxy", family: .ip)

    @Test func ruleInMissingChainRollsBackTheWholeBatch() throws {
        try withNFTablesNamespace { socket, namespace in
            var tx = Transaction()
            tx.add(table)
            tx.add(Chain("services", in: table))
            tx.add(NamedSet("service-ips", in: table, key: [.ipv4Address, .inetProto, .inetService], data: .verdict))
            tx.add(Rule(family: .ip, table: "kube-proxy", chain: "missing", [.counter]))
            tx.add(Chain("after", in: table))

            let error = try #require(throws: NFTablesError.self) { try socket.commit(tx) }
            #expect(error.errno == ENOENT)
            #expect(error.operation == "add rule to")
            #expect(error.object == "chain ip kube-proxy/missing")
            #expect(error.description.hasPrefix("add rule to chain ip kube-proxy/missing: No such file or directory"))

            #expect(try socket.tables().isEmpty)
            #expect(nftFlattened(try nftListRuleset(in: namespace)).isEmpty)
        }
    }

    @Test func failureInAnExistingTableKeepsItAsItWas() throws {
        try withNFTablesNamespace { socket, _ in
            var setup = Transaction()
            setup.add(table)
            setup.add(Chain("services", in: table))
            try socket.commit(setup)

            var tx = Transaction()
            let extra = Chain("extra", in: table)
            tx.add(extra)
            tx.add(Rule(in: extra, [.verdict(.jump("nowhere"))]))
            let error = try #require(throws: NFTablesError.self) { try socket.commit(tx) }
            #expect(error.errno == ENOENT)
            #expect(error.object == "chain ip kube-proxy/extra")
            #expect(try socket.chains(in: table).map(\.name) == ["services"])
        }
    }

    @Test func deletingWhatDoesNotExist() throws {
        try withNFTablesNamespace { socket, _ in
            var tx = Transaction()
            tx.delete(Table("nope", family: .inet))
            let error = try #require(throws: NFTablesError.self) { try socket.commit(tx) }
            #expect(error.errno == ENOENT)
            #expect(error.description.hasPrefix("delete table inet nope: No such file or directory"))

            var unidentified = Transaction()
            unidentified.delete(Rule(family: .ip, table: "kube-proxy", chain: "services", [.counter]))
            let refused = try #require(throws: NFTablesError.self) { try socket.commit(unidentified) }
            #expect(refused.errno == EINVAL)

            let missing = NamedSet("nope", in: Table("nope", family: .ip), key: [.ipv4Address])
            let listing = try #require(throws: NFTablesError.self) { try socket.elements(of: missing) }
            #expect(listing.errno == ENOENT)
            #expect(listing.object == "set ip nope/nope")
        }
    }
}
