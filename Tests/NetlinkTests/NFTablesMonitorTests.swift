import LinuxSystem
import NFTables
import Testing

/// ``NetfilterMonitor``: changes to a watched table by another socket count, our own commits and other
/// tables' do not, and a quiet commit of our own is not announced.
@Suite struct NFTablesMonitorTests {
    let mine = Table("mine", family: .ip)
    let theirs = Table("theirs", family: .ip)

    func addChain(_ name: String, to table: Table, with socket: NetfilterSocket) throws {
        var tx = Transaction()
        tx.add(table)
        tx.add(Chain(name, in: table))
        try socket.commit(tx)
    }

    @Test func tellsOthersChangesToAWatchedTableApart() throws {
        try withNFTablesNamespace { other, namespace in
            let socket = try namespace.run { try NetfilterSocket(options: .init(monitorsChanges: true)) }
            let monitor = try #require(socket.monitor)
            monitor.watch(mine)

            // Our own commit: announced with our port, not a change by others.
            try addChain("a", to: mine, with: socket)
            #expect(try !monitor.takeChanges(to: mine, upTo: socket.generation()))
            // Another socket's commit to another table moves the generation but not our table.
            try addChain("x", to: theirs, with: other)
            #expect(try !monitor.takeChanges(to: mine, upTo: socket.generation()))
            // Another socket's commit to our table counts, once.
            try addChain("b", to: mine, with: other)
            #expect(try monitor.takeChanges(to: mine, upTo: socket.generation()))
            #expect(try !monitor.takeChanges(to: mine, upTo: socket.generation()))

            // A commit made without notifications; afterwards others are seen again.
            var tx = Transaction()
            tx.add(Chain("c", in: mine))
            try monitor.withoutNotifications(rewriting: mine, generation: socket.generation) { () throws(NFTablesError) in
                try socket.commit(tx)
            }
            #expect(try !monitor.takeChanges(to: mine, upTo: socket.generation()))
            var removal = Transaction()
            removal.delete(Chain("b", in: mine))
            try other.commit(removal)
            #expect(try monitor.takeChanges(to: mine, upTo: socket.generation()))
        }
    }
}
