import LinuxSystem
import NFTables
import Testing

/// Named sets and maps: interval sets of CIDRs, element changes, timeouts, data maps, large batches.
@Suite struct NFTablesSetTests {
    let table = Table("sets", family: .ip)

    @Test func intervalSetHoldsNetworks() throws {
        try withNFTablesNamespace { socket, namespace in
            let cidrs = NamedSet("cidrs", in: table, key: [.ipv4Address], flags: [.interval])
            let filter = Chain("input", in: table, hook: .init(.filter, .input, priority: Chain.Priority.filter))
            var tx = Transaction()
            tx.add(table)
            tx.add(filter)
            tx.add(cidrs)
            tx.add(Rule(in: filter, Expr.inSet([.payload(.ipSaddr)], set: .named("cidrs")) + [.verdict(.drop)]))
            let networks = ["10.0.0.0/8", "172.16.0.5/32", "192.168.1.0/24"]
            tx.add(elements: try networks.flatMap { try SetElement.network($0) }, to: cidrs)
            try socket.commit(tx)

            let text = nftFlattened(try nftListRuleset(in: namespace))
            #expect(text.contains("set cidrs { type ipv4_addr flags interval elements = { 10.0.0.0/8, 172.16.0.5, 192.168.1.0/24 } }"), "\(text)")
            #expect(text.contains("ip saddr @cidrs drop"), "\(text)")
            let starts = try socket.elements(of: cidrs).filter { !$0.isIntervalEnd }.map(\.key)
            #expect(Set(starts) == Set([try .ipv4("10.0.0.0"), try .ipv4("172.16.0.5"), try .ipv4("192.168.1.0")]))

            var removal = Transaction()
            removal.delete(elements: try SetElement.network("192.168.1.0/24"), from: cidrs)
            try socket.commit(removal)
            let after = nftFlattened(try nftListRuleset(in: namespace))
            #expect(after.contains("elements = { 10.0.0.0/8, 172.16.0.5 }"), "\(after)")
        }
    }

    @Test func elementChangesBumpTheGeneration() throws {
        try withNFTablesNamespace { socket, _ in
            let ports = NamedSet("ports", in: table, key: [.inetProto, .inetService])
            var setup = Transaction()
            setup.add(table)
            setup.add(ports)
            try socket.commit(setup)
            let first = try socket.generation()

            let element = SetElement(key: .concat(.tcp, .inetService(443)))
            var add = Transaction()
            add.add(elements: [element], to: ports)
            try socket.commit(add)
            let second = try socket.generation()
            #expect(second != first)
            #expect(try socket.elements(of: ports) == [element])

            var delete = Transaction()
            delete.delete(elements: [element], from: ports)
            try socket.commit(delete)
            #expect(try socket.generation() != second)
            #expect(try socket.elements(of: ports).isEmpty)
        }
    }

    @Test func dynamicSetsWithTimeoutsAndDataMaps() throws {
        try withNFTablesNamespace { socket, namespace in
            let affinity = NamedSet("affinity", in: table, key: [.ipv4Address], flags: [.dynamic, .timeout], timeout: .seconds(10800))
            let marks = NamedSet("marks", in: table, key: [.ipv4Address], data: .mark)
            var tx = Transaction()
            tx.add(table)
            tx.add(affinity)
            tx.add(marks)
            tx.add(elements: [SetElement(key: try .ipv4("10.0.0.7"), timeout: .seconds(60))], to: affinity)
            tx.add(elements: [SetElement(key: try .ipv4("10.0.0.8"), value: .mark(0x4000))], to: marks)
            try socket.commit(tx)

            let text = nftFlattened(try nftListRuleset(in: namespace))
            #expect(text.contains("set affinity { type ipv4_addr size 65535 flags dynamic,timeout timeout 3h")
                    || text.contains("set affinity { type ipv4_addr flags dynamic,timeout timeout 3h"), "\(text)")
            #expect(text.contains("map marks { type ipv4_addr : mark elements = { 10.0.0.8 : 0x00004000 } }"), "\(text)")

            let sets = try socket.sets(in: table)
            let readAffinity = try #require(sets.first { $0.name == "affinity" })
            #expect(readAffinity.flags == [.dynamic, .timeout])
            #expect(readAffinity.timeout == .seconds(10800))
            #expect(try socket.elements(of: affinity).first?.timeout == .seconds(60))
            #expect(try socket.elements(of: marks) == [SetElement(key: try .ipv4("10.0.0.8"), value: .mark(0x4000))])
        }
    }

    @Test func largeTransactionsAreSplitIntoMessagesAndBatches() throws {
        try withNFTablesNamespace { socket, namespace in
            let splitting = try namespace.run { try NetfilterSocket(options: .init(maxBatchMessages: 4)) }
            let services = NamedSet("service-ips", in: table, key: [.ipv4Address, .inetProto, .inetService], data: .verdict)
            let chain = Chain("service-x", in: table)
            var setup = Transaction()
            setup.add(table)
            setup.add(chain)
            setup.add(services)
            try splitting.commit(setup)

            let elements = (0..<20_000).map { index in
                SetElement(key: .concat(Value([10, 0, UInt8(index >> 8), UInt8(index & 0xff)]), .tcp, .inetService(80)),
                           verdict: .goto("service-x"))
            }
            var tx = Transaction()
            tx.add(elements: elements, to: services)
            try splitting.commit(tx)
            #expect(try socket.elements(of: services).count == elements.count)
        }
    }

    @Test func flushAndDeleteEverything() throws {
        try withNFTablesNamespace { socket, namespace in
            let chain = Chain("work", in: table)
            let set = NamedSet("addresses", in: table, key: [.ipv4Address])
            var tx = Transaction()
            tx.add(table)
            tx.add(chain)
            tx.add(set)
            tx.add(Rule(in: chain, [.counter]))
            tx.add(Rule(in: chain, [.verdict(.accept)]))
            tx.add(elements: [SetElement(key: try .ipv4("10.0.0.1"))], to: set)
            try socket.commit(tx)
            #expect(try socket.rules(in: table).count == 2)

            var flush = Transaction()
            flush.flush(chain)
            flush.flush(set)
            try socket.commit(flush)
            #expect(try socket.rules(in: table).isEmpty)
            #expect(try socket.elements(of: set).isEmpty)

            var delete = Transaction()
            delete.delete(chain)
            delete.delete(set)
            try socket.commit(delete)
            #expect(try socket.chains(in: table).isEmpty)
            #expect(try socket.sets(in: table).isEmpty)

            var dropTable = Transaction()
            dropTable.delete(table)
            try socket.commit(dropTable)
            #expect(try socket.tables().isEmpty)
            #expect(nftFlattened(try nftListRuleset(in: namespace)).isEmpty)
        }
    }

    @Test func oneRuleIsDeletedByHandle() throws {
        try withNFTablesNamespace { socket, _ in
            let chain = Chain("work", in: table)
            var tx = Transaction()
            tx.add(table)
            tx.add(chain)
            tx.add(Rule(in: chain, comment: "keep", [.counter]))
            tx.add(Rule(in: chain, comment: "drop me", [.verdict(.drop)]))
            tx.insert(Rule(in: chain, comment: "first", [.verdict(.continue)]))
            try socket.commit(tx)
            let rules = try socket.rules(in: table)
            #expect(rules.map(\.comment) == ["first", "keep", "drop me"])

            var delete = Transaction()
            delete.delete(try #require(rules.last))
            try socket.commit(delete)
            #expect(try socket.rules(in: table).map(\.comment) == ["first", "keep"])
        }
    }
}
