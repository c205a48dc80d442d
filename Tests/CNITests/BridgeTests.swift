import CNI
import Foundation
import LinuxSystem
import Netlink
import NFTables
import Testing
import TestSupport

/// Our bridge against the reference, each in its own throwaway "host" namespace with its own sandbox
/// namespace, so the real host's interfaces are never touched.
@Suite(.serialized, .enabled(if: geteuid() == 0, "needs root for network namespaces")) struct BridgeTests {
    /// What a bridge ADD left behind, read back through netlink.
    struct Observed: Equatable {
        var bridgeAddresses: [String]
        var bridgeUp: Bool
        var portMastered: Bool
        var portUp: Bool
        var hairpin: Bool?
        var forwarding: String
        var sandboxAddresses: [String]
        var sandboxRoutes: [String]
        var sandboxUp: Bool
    }

    static func config(dataDir: String, ipam: String, extra: String = "") -> String {
        """
        {"cniVersion":"1.0.0","name":"bridgenet","type":"bridge","bridge":"swt0","isGateway":true,
         "isDefaultGateway":true,"hairpinMode":true\(extra),
         "ipam":{"type":"\(ipam)","dataDir":"\(dataDir)","ranges":[[{"subnet":"10.99.0.0/24"}]]}}
        """
    }

    static func environment(_ command: String, sandbox: NetworkNamespace, container: String = "c1") -> [String: String] {
        var environment = cniEnvironment(command, container: container)
        environment["CNI_NETNS"] = sandbox.path
        environment["CNI_PATH"] = PluginBinaries.buildDirectory + ":/usr/lib/cni"
        return environment
    }

    static func observe(host: NetworkNamespace, sandbox: NetworkNamespace, port: String) throws -> Observed {
        try host.run {
            let netlink = try RouteNetlink()
            let bridge = try netlink.link(named: "swt0")
            let veth = try netlink.link(named: port)
            let sandboxState = try sandbox.run {
                let inside = try RouteNetlink()
                let eth0 = try inside.link(named: "eth0")
                return (
                    try inside.addresses(on: .index(eth0.index), family: .v4).map(\.address.description),
                    try inside.routes(family: .v4).map { "\($0.destination) via \($0.gateway?.description ?? "-")" }.sorted(),
                    eth0.isUp)
            }
            return Observed(
                bridgeAddresses: try netlink.addresses(on: .index(bridge.index), family: .v4).map(\.address.description),
                bridgeUp: bridge.isUp, portMastered: veth.masterIndex == bridge.index, portUp: veth.isUp,
                hairpin: veth.bridgePort?.hairpin, forwarding: try Sysctl.read("net.ipv4.ip_forward"),
                sandboxAddresses: sandboxState.0, sandboxRoutes: sandboxState.1, sandboxUp: sandboxState.2)
        }
    }

    @Test func addMatchesTheReferenceAndDeleteCleansUp() async throws {
        let data = TemporaryDirectory("bridge")
        defer { data.remove() }
        try await withThrowawayNetworkNamespace(prefix: "cni-host") { oursHost in
            try await withThrowawayNetworkNamespace(prefix: "cni-sb") { oursSandbox in
                try await withThrowawayNetworkNamespace(prefix: "cni-host") { theirsHost in
                    try await withThrowawayNetworkNamespace(prefix: "cni-sb") { theirsSandbox in
                        let runner = PluginRunner(plugin: Bridge(hostNamespace: oursHost), about: "bridge")
                        let oursConfig = Self.config(dataDir: data.path + "/ours", ipam: "swiftlet-host-local")
                        let mine = await runner.run(environment: Self.environment("ADD", sandbox: oursSandbox), stdin: Data(oursConfig.utf8))
                        #expect(mine.exitCode == 0, "\(String(decoding: mine.stdout, as: UTF8.self))")

                        let theirsConfig = Self.config(dataDir: data.path + "/theirs", ipam: "host-local")
                        let reference = PluginProcess(path: "/usr/sbin/ip", arguments: ["netns", "exec", theirsHost.name!, PluginBinaries.reference("bridge")])
                        let theirs = await reference.run(Self.environment("ADD", sandbox: theirsSandbox), stdin: theirsConfig)
                        #expect(theirs.status == 0, "\(theirs.text)")

                        let ours = try CNIResult.decode(from: mine.stdout, fallbackVersion: .current)
                        let expected = try CNIResult.decode(from: theirs.stdout, fallbackVersion: .current)
                        #expect(ours.ips == expected.ips)
                        #expect(ours.routes == expected.routes)
                        #expect(ours.interfaces.map { $0.name.prefix(4) } == expected.interfaces.map { $0.name.prefix(4) })
                        #expect(ours.interfaces.map { $0.sandbox == nil } == expected.interfaces.map { $0.sandbox == nil })
                        #expect(ours.interfaces.allSatisfy { $0.mac?.count == 17 })

                        let observedOurs = try Self.observe(host: oursHost, sandbox: oursSandbox, port: ours.interfaces[1].name)
                        let observedTheirs = try Self.observe(host: theirsHost, sandbox: theirsSandbox, port: expected.interfaces[1].name)
                        #expect(observedOurs == observedTheirs)
                        #expect(observedOurs.bridgeAddresses == ["10.99.0.1/24"])
                        #expect(observedOurs.sandboxRoutes.contains("0.0.0.0/0 via 10.99.0.1"))
                        #expect(observedOurs.hairpin == true)

                        for _ in 0..<2 {
                            let deleted = await runner.run(environment: Self.environment("DEL", sandbox: oursSandbox), stdin: Data(oursConfig.utf8))
                            #expect(deleted.exitCode == 0, "\(String(decoding: deleted.stdout, as: UTF8.self))")
                        }
                        let remaining = try oursHost.run { try RouteNetlink().links().map(\.name) }
                        #expect(remaining.sorted() == ["lo", "swt0"])
                        #expect(!data.files("ours/bridgenet").contains("10.99.0.2"))
                    }
                }
            }
        }
    }

    @Test func secondAddOnTheSameInterfaceFailsWithoutLeaking() async throws {
        let data = TemporaryDirectory("bridge")
        defer { data.remove() }
        try await withThrowawayNetworkNamespace(prefix: "cni-host") { host in
            try await withThrowawayNetworkNamespace(prefix: "cni-sb") { sandbox in
                let runner = PluginRunner(plugin: Bridge(hostNamespace: host), about: "bridge")
                let config = Data(Self.config(dataDir: data.path, ipam: "swiftlet-host-local").utf8)
                #expect(await runner.run(environment: Self.environment("ADD", sandbox: sandbox), stdin: config).exitCode == 0)
                let again = await runner.run(environment: Self.environment("ADD", sandbox: sandbox, container: "c2"), stdin: config)
                #expect(again.exitCode == 1)
                #expect(data.files("bridgenet").filter { $0.hasPrefix("10.") } == ["10.99.0.2"])
                let links = try host.run { try RouteNetlink().links().filter { $0.name.hasPrefix("veth") }.count }
                #expect(links == 1)
            }
        }
    }

    @Test func deleteWithAVanishedNamespaceStillReleasesTheAddress() async throws {
        let data = TemporaryDirectory("bridge")
        defer { data.remove() }
        let path = try await withThrowawayNetworkNamespace(prefix: "cni-host") { host in
            try await withThrowawayNetworkNamespace(prefix: "cni-sb") { sandbox in
                let runner = PluginRunner(plugin: Bridge(hostNamespace: host), about: "bridge")
                let config = Data(Self.config(dataDir: data.path, ipam: "swiftlet-host-local").utf8)
                #expect(await runner.run(environment: Self.environment("ADD", sandbox: sandbox), stdin: config).exitCode == 0)
                return sandbox
            }
        }
        let runner = PluginRunner(plugin: Bridge(hostNamespace: try NetworkNamespace.current()), about: "bridge")
        let config = Data(Self.config(dataDir: data.path, ipam: "swiftlet-host-local").utf8)
        let deleted = await runner.run(environment: Self.environment("DEL", sandbox: path), stdin: config)
        #expect(deleted.exitCode == 0, "\(String(decoding: deleted.stdout, as: UTF8.self))")
        #expect(data.files("bridgenet") == ["last_reserved_ip.0", "lock"])
    }

    @Test func ipMasqInstallsAndRemovesPerContainerRules() async throws {
        let data = TemporaryDirectory("bridge")
        defer { data.remove() }
        try await withThrowawayNetworkNamespace(prefix: "cni-host") { host in
            try await withThrowawayNetworkNamespace(prefix: "cni-sb") { sandbox in
                let runner = PluginRunner(plugin: Bridge(hostNamespace: host), about: "bridge")
                let config = Data(Self.config(dataDir: data.path, ipam: "swiftlet-host-local", extra: #","ipMasq":true"#).utf8)
                let added = await runner.run(environment: Self.environment("ADD", sandbox: sandbox), stdin: config)
                #expect(added.exitCode == 0, "\(String(decoding: added.stdout, as: UTF8.self))")
                let table = Table("cni_plugins_masquerade", family: .inet)
                let rules = try host.run { try NetfilterSocket().rules(in: table) }
                let checks = rules.filter { $0.chain == "masq_checks" }
                #expect(checks.count == 1)
                #expect(checks.first?.comment?.hasSuffix(", net: bridgenet, if: eth0, id: c1") == true)
                #expect(rules.filter { $0.chain == "postrouting" }.count == 3)

                let deleted = await runner.run(environment: Self.environment("DEL", sandbox: sandbox), stdin: config)
                #expect(deleted.exitCode == 0, "\(String(decoding: deleted.stdout, as: UTF8.self))")
                let remaining = try host.run { try NetfilterSocket().rules(in: table, chain: "masq_checks") }
                #expect(remaining.isEmpty)
            }
        }
    }
}
