import CNI
import Foundation
import Testing

/// 1,000 ADDs (four in five followed by a DEL) from separate `swiftlet-host-local` processes, 16 at a
/// time, on one /24: the lock must keep every live address unique and leave no file behind.
@Suite struct HostLocalConcurrencyTests {
    /// Who holds which address, as the test observed it; an ADD returning a held address is a duplicate.
    actor Ledger {
        var owners: [String: String] = [:]
        var duplicates: [String] = []

        func assign(_ address: String, to container: String) {
            if let owner = owners[address] { duplicates.append("\(address) given to \(container) while held by \(owner)") }
            owners[address] = container
        }

        /// Called before DEL runs, while the file still guards the address.
        func release(_ address: String) { owners[address] = nil }
    }

    @Test func concurrentAddAndDeleteNeverDuplicateOrLeak() async throws {
        let directory = TemporaryDirectory("concurrency")
        defer { directory.remove() }
        let config = hostLocalConfig(dataDir: directory.path, ranges: #"[[{"subnet":"10.20.0.0/24"}]]"#)
        let plugin = PluginProcess(path: PluginBinaries.ours("swiftlet-host-local"))
        let ledger = Ledger()
        let operations = 1_000, width = 16
        let started = ContinuousClock.now

        let failures = await withTaskGroup(of: String?.self) { group in
            func operation(_ index: Int) async -> String? {
                let container = "pod-\(index)"
                let added = await plugin.run(cniEnvironment("ADD", container: container), stdin: config)
                guard added.status == 0, let ips = added.json?["ips"] as? [[String: Any]],
                      let cidr = ips.first?["address"] as? String else { return "ADD \(container): \(added.text)" }
                let address = String(cidr.split(separator: "/")[0])
                await ledger.assign(address, to: container)
                guard index % 5 != 0 else { return nil }
                await ledger.release(address)
                let deleted = await plugin.run(cniEnvironment("DEL", container: container), stdin: config)
                return deleted.status == 0 ? nil : "DEL \(container): \(deleted.text)"
            }
            var next = 0
            while next < min(width, operations) {
                let index = next
                group.addTask { await operation(index) }
                next += 1
            }
            var failures: [String] = []
            for await failure in group {
                if let failure { failures.append(failure) }
                if next < operations {
                    let index = next
                    group.addTask { await operation(index) }
                    next += 1
                }
            }
            return failures
        }
        let elapsed = ContinuousClock.now - started
        print("host-local: \(operations) ADD + \(operations * 4 / 5) DEL, \(width) at a time, took \(elapsed)")

        #expect(failures.isEmpty, "\(failures.prefix(5))")
        let duplicates = await ledger.duplicates
        #expect(duplicates.isEmpty, "\(duplicates.prefix(5))")
        let live = await ledger.owners
        #expect(live.count == operations / 5)
        let files = Set(directory.files("testnet")).subtracting(["lock", "last_reserved_ip.0"])
        #expect(files == Set(live.keys), "leaked: \(files.subtracting(live.keys).sorted().prefix(5))")
        for (address, container) in live {
            #expect(directory.contents("testnet/\(address)") == "\(container)\r\neth0")
        }

        let gcConfig = hostLocalConfig(
            dataDir: directory.path, ranges: #"[[{"subnet":"10.20.0.0/24"}]]"#, extraTop: #","cni.dev/valid-attachments":[]"#)
        let gc = await plugin.run(["CNI_COMMAND": "GC", "CNI_PATH": "/usr/lib/cni"], stdin: gcConfig)
        #expect(gc.status == 0, "\(gc.text)")
        #expect(directory.files("testnet") == ["last_reserved_ip.0", "lock"])
    }
}
