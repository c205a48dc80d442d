@testable import CNI
import Foundation
import LinuxSystem
import Netlink
import NFTables
import Testing
import TestSupport

/// The bridge keys beyond addressing: VLANs, port isolation, promiscuous mode, MAC spoof check,
/// a fixed MAC, DAD and layer-2-only attachments, each in throwaway host and sandbox namespaces.
@Suite(.serialized, .enabled(if: geteuid() == 0, "needs root for network namespaces")) struct BridgeOptionsTests {
    static let spoofMAC = "0a:58:0a:63:00:99"

    /// Runs one ADD of our bridge with `extra` keys in fresh namespaces and hands `body` the outcome.
    func withAdd(
        extra: String, ipam: Bool = true, environment extraEnvironment: [String: String] = [:],
        _ body: (PluginRunner<Bridge>.Outcome, NetworkNamespace, NetworkNamespace, Data, [String: String]) async throws -> Void
    ) async throws {
        let data = TemporaryDirectory("bridge-opt")
        defer { data.remove() }
        try await withThrowawayNetworkNamespace(prefix: "cni-host") { (host: NetworkNamespace) async throws in
            try await withThrowawayNetworkNamespace(prefix: "cni-sb") { (sandbox: NetworkNamespace) async throws in
                let ipamKey = ipam ? #","ipam":{"type":"swiftlet-host-local","dataDir":"\#(data.path)","ranges":[[{"subnet":"10.99.0.0/24"}]]}"# : ""
                let config = Data(#"{"cniVersion":"1.0.0","name":"optnet","type":"bridge","bridge":"swt0","isGateway":\#(ipam)\#(extra)\#(ipamKey)}"#.utf8)
                let environment = BridgeTests.environment("ADD", sandbox: sandbox).merging(extraEnvironment) { _, new in new }
                let outcome = await PluginRunner(plugin: Bridge(hostNamespace: host), about: "bridge").run(environment: environment, stdin: config)
                try await body(outcome, host, sandbox, config, environment)
            }
        }
    }

    static func json(_ outcome: PluginRunner<Bridge>.Outcome) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: outcome.stdout) as? [String: Any]) ?? [:]
    }

    static func vlanFilteringSupported() throws -> Bool {
        try withThrowawayNetworkNamespace(prefix: "cni-vlan") { namespace in
            try namespace.run {
                do {
                    try RouteNetlink().createBridge(named: "probe0", vlanFiltering: true)
                    return true
                } catch let error as NetlinkError where error.errno == EOPNOTSUPP {
                    return false
                }
            }
        }
    }

    @Test func vlanFailsAsTheReferenceDoesWhereFilteringIsMissing() async throws {
        let supported = try Self.vlanFilteringSupported()
        try await withAdd(extra: #","vlan":100,"preserveDefaultVlan":false"#) { outcome, host, sandbox, _, _ in
            let links = try host.run { try RouteNetlink().links().map(\.name) }
            if supported {
                #expect(outcome.exitCode == 0)
                let port = try #require(links.first { $0.hasPrefix("veth") })
                let vlans = try host.run { try RouteNetlink().bridgeVLANs(.name(port)) }
                #expect(vlans == [BridgeVLAN(id: 100, isPVID: true, isUntagged: true)])
            } else {
                #expect(outcome.exitCode == 1)
                #expect(Self.json(outcome)["code"] as? Int == 999)
                #expect(Self.json(outcome)["msg"] as? String == #"failed to create bridge "swt0": could not add "swt0": operation not supported"#)
                #expect((Self.json(outcome)["details"] as? String)?.contains("Operation not supported") == true)
                #expect(links == ["lo"], "nothing half-configured")
                let inside = try sandbox.run { try RouteNetlink().links().map(\.name) }
                #expect(inside == ["lo"])
            }
        }
    }

    @Test func conflictingOrInvalidKeysAreCode7() async throws {
        for extra in [#","hairpinMode":true,"promiscMode":true"#, #","runtimeConfig":{"mac":"zz"}"#] {
            let config = Data(#"{"cniVersion":"1.0.0","name":"n","type":"bridge"\#(extra)}"#.utf8)
            let error = #expect(throws: CNIError.self, "\(extra)") { _ = try BridgeConfig(NetworkConfig(json: config)) }
            #expect(error?.code == .invalidNetworkConfig, "\(extra)")
        }
        // The reference's (containernetworking/plugins bridge.go) words for each VLAN mistake.
        let vlanMistakes = [
            #","vlan":5000"#: "invalid VLAN ID 5000 (must be between 0 and 4094)",
            #","vlan":-1"#: "invalid VLAN ID -1 (must be between 0 and 4094)",
            #","vlan":10,"vlanTrunk":[{"id":20}]"#: "cannot set vlan and vlanTrunk at the same time",
            #","vlanTrunk":[{"minID":30,"maxID":20}]"#: "minID is greater than maxID in trunk parameter",
            #","vlanTrunk":[{"minID":0,"maxID":20}]"#: "incorrect trunk minID parameter",
            #","vlanTrunk":[{"minID":1,"maxID":4095}]"#: "incorrect trunk maxID parameter",
            #","vlanTrunk":[{"maxID":20}]"#: "minID and maxID should be configured simultaneously, minID is missing",
            #","vlanTrunk":[{"minID":20}]"#: "minID and maxID should be configured simultaneously, maxID is missing",
            #","vlanTrunk":[{"id":4095}]"#: "incorrect trunk id parameter",
        ]
        for (extra, message) in vlanMistakes {
            let config = Data(#"{"cniVersion":"1.0.0","name":"n","type":"bridge"\#(extra)}"#.utf8)
            #expect(throws: CNIError(.invalidNetworkConfig, message), "\(extra)") { _ = try BridgeConfig(NetworkConfig(json: config)) }
        }
        let fine = Data(#"{"cniVersion":"1.0.0","name":"n","type":"bridge","vlanTrunk":[{"id":20},{"minID":30,"maxID":32,"id":31},{}]}"#.utf8)
        let trunk = try BridgeConfig(NetworkConfig(json: fine)).vlans
        #expect(trunk.trunk == [20, 30, 31, 32])
        #expect(trunk.filtering && trunk.preserveDefault)
        // An empty trunk list still asks for a VLAN-filtering bridge (the reference checks for a
        // non-nil list); `vlan: 0` does not.
        let empty = try BridgeConfig(NetworkConfig(json: Data(#"{"cniVersion":"1.0.0","name":"n","type":"bridge","vlanTrunk":[],"preserveDefaultVlan":false}"#.utf8))).vlans
        #expect(empty.filtering && !empty.isEnabled && !empty.preserveDefault)
        let none = try BridgeConfig(NetworkConfig(json: Data(#"{"cniVersion":"1.0.0","name":"n","type":"bridge","vlan":0}"#.utf8))).vlans
        #expect(!none.filtering)
        let both = Data(#"{"cniVersion":"1.0.0","name":"n","type":"bridge","disableContainerInterface":true,"ipam":{"type":"host-local"}}"#.utf8)
        #expect(throws: CNIError(.invalidNetworkConfig, "bridge: cannot use IPAM when DisableContainerInterface flag is set")) {
            _ = try BridgeConfig(NetworkConfig(json: both))
        }
    }

    @Test func isolationPromiscuityAndMACFromArgs() async throws {
        try await withAdd(extra: #","portIsolation":true,"promiscMode":true,"enabledad":true"#,
                          environment: ["CNI_ARGS": "IgnoreUnknown=1;MAC=\(Self.spoofMAC)"]) { outcome, host, sandbox, _, _ in
            #expect(outcome.exitCode == 0, "\(String(decoding: outcome.stdout, as: UTF8.self))")
            let (bridge, port) = try host.run {
                let netlink = try RouteNetlink()
                return (try netlink.link(named: "swt0"), try #require(try netlink.links().first { $0.name.hasPrefix("veth") }))
            }
            #expect(bridge.flags & UInt32(IFF_PROMISC) != 0)
            #expect(port.bridgePort?.isolated == true)
            let (mac, dad) = try sandbox.run { (try RouteNetlink().link(named: "eth0").macAddress?.description, try Sysctl.read("net/ipv6/conf/eth0/accept_dad")) }
            #expect(mac == Self.spoofMAC)
            #expect(dad == "1")
        }
    }

    @Test func layer2OnlyLeavesADisabledContainerInterfaceDown() async throws {
        try await withAdd(extra: #","disableContainerInterface":true"#, ipam: false) { outcome, _, sandbox, _, _ in
            #expect(outcome.exitCode == 0, "\(String(decoding: outcome.stdout, as: UTF8.self))")
            let result = try CNIResult.decode(from: outcome.stdout, fallbackVersion: .current)
            #expect(result.ips.isEmpty)
            #expect(result.interfaces.count == 3)
            let up = try sandbox.run { try RouteNetlink().link(named: "eth0").isUp }
            #expect(!up)
        }
        try await withAdd(extra: "", ipam: false) { outcome, _, sandbox, _, _ in
            #expect(outcome.exitCode == 0)
            let up = try sandbox.run { try RouteNetlink().link(named: "eth0").isUp }
            #expect(up)
        }
    }

    @Test func macSpoofCheckDropsForeignSourcesAndDeleteRemovesIt() async throws {
        try await withAdd(extra: #","macspoofchk":true"#) { outcome, host, sandbox, config, environment in
            #expect(outcome.exitCode == 0, "\(String(decoding: outcome.stdout, as: UTF8.self))")
            let ping = ["/bin/busybox", "ping", "-c", "1", "-W", "1", "10.99.0.1"]
            #expect(await TrafficProbe.inNamespace(sandbox, ping).status == 0, "the container's own MAC passes")
            try sandbox.run {
                let netlink = try RouteNetlink()
                try netlink.setDown(.name("eth0"))
                try netlink.setMACAddress(.name("eth0"), MACAddress(Self.spoofMAC)!)
                try netlink.setUp(.name("eth0"))
            }
            #expect(await TrafficProbe.inNamespace(sandbox, ping).status != 0, "a spoofed MAC is dropped")
            let chains = try host.run { try NetfilterSocket().chains(in: MacSpoofCheck.table).map(\.name) }
            #expect(chains.count == 2)

            var delete = environment
            delete["CNI_COMMAND"] = "DEL"
            let deleted = await PluginRunner(plugin: Bridge(hostNamespace: host), about: "bridge").run(environment: delete, stdin: config)
            #expect(deleted.exitCode == 0)
            let left = try host.run { try NetfilterSocket().chains(in: MacSpoofCheck.table).map(\.name) }
            #expect(left == ["PREROUTING"])
        }
    }
}
