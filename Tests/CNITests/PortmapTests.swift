@testable import CNI
import Foundation
import LinuxSystem
import NFTables
import Testing
import TestSupport

/// Configuration handling and the nf_tables rules of our portmap, in throwaway namespaces.
@Suite struct PortmapTests {
    static let mappings = #"[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":5353,"containerPort":53,"protocol":"UDP","hostIP":"192.0.2.1"}]"#

    /// A prevResult as the bridge returns it: host bridge, host veth, sandbox eth0 holding `addresses`.
    static func previousResult(_ addresses: [String], sandbox: String = "/var/run/netns/pod") -> String {
        let ips = addresses.map { #"{"interface":2,"address":"\#($0)"}"# }.joined(separator: ",")
        return #"{"cniVersion":"1.0.0","interfaces":[{"name":"swt0"},{"name":"veth1"},{"name":"eth0","sandbox":"\#(sandbox)"}],"ips":[\#(ips)]}"#
    }

    static func config(mappings: String = mappings, previous: String? = previousResult(["10.99.0.2/24"]), extra: String = "") -> Data {
        let prev = previous.map { #","prevResult":\#($0)"# } ?? ""
        return Data(#"{"cniVersion":"1.0.0","name":"pmnet","type":"swiftlet-portmap","capabilities":{"portMappings":true},"runtimeConfig":{"portMappings":\#(mappings)}\#(prev)\#(extra)}"#.utf8)
    }

    static func environment(_ command: String, container: String = "c1") -> [String: String] {
        var environment = cniEnvironment(command, container: container)
        environment["CNI_NETNS"] = "/var/run/netns/pod"
        return environment
    }

    static func code(_ outcome: PluginRunner<Portmap>.Outcome) -> Int? {
        (try? JSONSerialization.jsonObject(with: outcome.stdout) as? [String: Any])?["code"] as? Int
    }

    @Test(arguments: [
        (#"[{"hostPort":0,"containerPort":80}]"#, "", 7),
        (#"[{"hostPort":80,"containerPort":70000}]"#, "", 7),
        (#"[{"hostPort":80,"containerPort":80,"protocol":"icmp"}]"#, "", 7),
        (#"[{"hostPort":80,"containerPort":80,"hostIP":"nope"}]"#, "", 7),
        (mappings, #","markMasqBit":14,"externalSetMarkChain":"KUBE-MARK-MASQ""#, 7),
        (mappings, #","markMasqBit":32"#, 7),
        (mappings, #","conditionsV4":["-m","addrtype"]"#, 2),
        (mappings, #","conditionsV4":["ip6 saddr ::1"]"#, 2),
    ])
    func invalidConfigurationsFailBeforeTouchingAnything(mappings: String, extra: String, code: Int) async {
        let outcome = await PluginRunner(plugin: Portmap(), about: "portmap").run(
            environment: Self.environment("ADD"), stdin: Self.config(mappings: mappings, extra: extra))
        #expect(outcome.exitCode == 1)
        #expect(Self.code(outcome) == code, "\(String(decoding: outcome.stdout, as: UTF8.self))")
    }

    @Test func addWithoutPrevResultIsCode7AndWithoutMappingsPassesThrough() async throws {
        let runner = PluginRunner(plugin: Portmap(), about: "portmap")
        let unchained = await runner.run(environment: Self.environment("ADD"), stdin: Self.config(previous: nil))
        #expect(Self.code(unchained) == 7)
        let idle = await runner.run(environment: Self.environment("ADD"), stdin: Self.config(mappings: "[]"))
        #expect(idle.exitCode == 0)
        let result = try CNIResult.decode(from: idle.stdout, fallbackVersion: .current)
        #expect(result.ips.map(\.address.description) == ["10.99.0.2/24"])
    }

    @Test func conditionsAcceptBothSpellings() throws {
        let nft = try PortmapConditions.expressions(["ip saddr != 10.0.0.0/8", "iifname \"eth0\""], family: .v4)
        let iptables = try PortmapConditions.expressions(["!", "-s", "10.0.0.0/8", "-i", "eth0"], family: .v4)
        #expect(nft == iptables)
        #expect(nft.count == 5)
        #expect(try PortmapConditions.expressions(["ip6 daddr fd00::1"], family: .v6).count == 2)
    }

    /// How many of each attachment's rules each chain holds, keyed `family chain c<N>`.
    static func counts(_ host: NetworkNamespace) throws -> [String: Int] {
        try host.run {
            let socket = try NetfilterSocket()
            var counts: [String: Int] = [:]
            for family in [IPFamily.v4, .v6] {
                for rule in try PortmapRules.rules(socket, family, where: { !$0.isEmpty }) {
                    counts["\(rule.family) \(rule.chain) \(rule.comment!.prefix(2))", default: 0] += 1
                }
            }
            return counts
        }
    }

    @Test(.enabled(if: geteuid() == 0, "needs root for network namespaces"))
    func rulesArePerAttachmentAndDeleteCheckGCKeepToThem() async throws {
        try await withThrowawayNetworkNamespace(prefix: "cni-pm") { (host: NetworkNamespace) async throws in
            let runner = PluginRunner(plugin: Portmap(hostNamespace: host), about: "portmap")
            let dual = Self.config(previous: Self.previousResult(["10.99.0.2/24", "fd99::2/64"]), extra: #","masqAll":true"#)
            let single = Self.config(previous: Self.previousResult(["10.99.0.3/24"]))
            let first = await runner.run(environment: Self.environment("ADD"), stdin: dual)
            #expect(first.exitCode == 0, "\(String(decoding: first.stdout, as: UTF8.self))")
            #expect(await runner.run(environment: Self.environment("ADD", container: "c2"), stdin: single).exitCode == 0)
            // A repeated ADD replaces the attachment's rules instead of doubling them.
            #expect(await runner.run(environment: Self.environment("ADD", container: "c2"), stdin: single).exitCode == 0)

            #expect(try Self.counts(host) == [
                "ip hostports c1": 1, "ip hostip_hostports c1": 1, "ip masquerading c1": 4,
                "ip6 hostports c1": 1, "ip6 masquerading c1": 2,
                "ip hostports c2": 1, "ip hostip_hostports c2": 1, "ip masquerading c2": 2,
            ])
            #expect(await runner.run(environment: Self.environment("CHECK"), stdin: dual).exitCode == 0)

            for _ in 0..<2 {
                #expect(await runner.run(environment: Self.environment("DEL"), stdin: dual).exitCode == 0)
            }
            #expect(try Self.counts(host) == ["ip hostports c2": 1, "ip hostip_hostports c2": 1, "ip masquerading c2": 2])
            let check = await runner.run(environment: Self.environment("CHECK"), stdin: dual)
            #expect(Self.code(check) == 103)

            var gc = Self.environment("GC")
            gc["CNI_CONTAINERID"] = nil
            let keepNothing = Data(#"{"cniVersion":"1.1.0","name":"pmnet","type":"swiftlet-portmap","cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"}]}"#.utf8)
            #expect(await runner.run(environment: gc, stdin: keepNothing).exitCode == 0)
            #expect(try Self.counts(host) == [:])
            gc["CNI_COMMAND"] = "STATUS"
            #expect(await runner.run(environment: gc, stdin: keepNothing).exitCode == 0)
        }
    }
}
