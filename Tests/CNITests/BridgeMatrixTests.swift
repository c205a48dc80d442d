import CNI
import Foundation
import LinuxSystem
import Netlink
import Testing
import TestSupport

/// The issue's scenario matrix: Debian's reference bridge + host-local and ours run the same
/// scenario, each in fresh namespaces (a host, two pods, an "outside" network behind the host). What
/// they leave behind must match (MACs, link-local addresses and generated names aside), CHECK after
/// ADD and DEL twice must succeed, and traffic must flow pod→gateway, pod→pod and, with ipMasq,
/// pod→outside masqueraded. A scenario this kernel cannot do (`vlan` without bridge VLAN filtering)
/// must fail alike: the same error code and message, nothing left in the host, the pods or IPAM.
@Suite(.serialized, .enabled(if: geteuid() == 0 && PluginBinaries.referenceAvailable, "needs root and the reference plugins"))
struct BridgeMatrixTests {
    struct Scenario: Sendable, CustomTestStringConvertible {
        var name: String
        /// `ipam.ranges`.
        var ranges: String
        /// Extra top-level bridge keys, each starting with a comma.
        var keys: String
        var ipamRoutes = ""
        var existingBridge = false
        var testDescription: String { name }
        var masquerades: Bool { keys.contains(#""ipMasq":true"#) }
        var hasGateway: Bool { keys.contains(#""isGateway":true"#) || keys.contains(#""isDefaultGateway":true"#) }
        var hasVLANs: Bool { keys.contains("vlan") }
    }

    static let scenarios: [Scenario] = [
        Scenario(name: "IPv4", ranges: #"[[{"subnet":"10.99.0.0/24"}]]"#, keys: #","isGateway":true,"hairpinMode":true"#),
        Scenario(name: "IPv6", ranges: #"[[{"subnet":"fd99::/64"}]]"#, keys: #","isDefaultGateway":true"#),
        Scenario(name: "dual-stack with ipMasq", ranges: #"[[{"subnet":"10.99.0.0/24"}],[{"subnet":"fd99::/64"}]]"#,
                 keys: #","isDefaultGateway":true,"ipMasq":true,"hairpinMode":true"#),
        // Two IPv4 gateways on one bridge fail in both (the reference's ensureAddr allows one per
        // bridge), so the three subnets are one IPv4 and two IPv6 ones.
        Scenario(name: "three subnets", ranges: #"[[{"subnet":"10.98.0.0/24"}],[{"subnet":"fd97::/64"}],[{"subnet":"fd98::/64"}]]"#,
                 keys: #","isGateway":true"#),
        Scenario(name: "existing bridge, IPAM default route", ranges: #"[[{"subnet":"10.99.0.0/24","gateway":"10.99.0.1"}]]"#,
                 keys: #","isGateway":true"#, ipamRoutes: #","routes":[{"dst":"0.0.0.0/0"}]"#, existingBridge: true),
        Scenario(name: "ipMasq and MTU", ranges: #"[[{"subnet":"10.99.0.0/24"}]]"#, keys: #","isDefaultGateway":true,"ipMasq":true,"mtu":1400"#),
        Scenario(name: "no gateway", ranges: #"[[{"subnet":"10.99.0.0/24"}]]"#, keys: ""),
        // Both pods on access VLAN 100 (the bridge itself stays on VLAN 1, so no gateway): where the
        // kernel has VLAN filtering both tag the ports alike and the pods talk; where it lacks it (this
        // machine) both refuse the bridge with the same error.
        Scenario(name: "vlan", ranges: #"[[{"subnet":"10.99.0.0/24"}]]"#, keys: #","vlan":100,"preserveDefaultVlan":false"#),
    ]

    /// What one implementation left behind and how its pods could talk.
    struct Observed: Equatable, CustomStringConvertible {
        /// The first ADD's error (`code N: msg`) when it failed; nothing else runs then.
        var failure: String?
        var results: [String] = []
        var host: [String] = []
        var pods: [String] = []
        var checks: [Int32] = []
        var traffic: [String] = []
        var afterDelete: [String] = []
        var description: String {
            "failure: \(failure ?? "-")\nresults: \(results)\nhost: \(host)\npods: \(pods)\nchecks: \(checks)\ntraffic: \(traffic)\nafterDelete: \(afterDelete)"
        }
    }

    struct Implementation: Sendable {
        var bridge: String
        var ipam: String
        var path: String
        static let ours = Implementation(bridge: PluginBinaries.ours("swiftlet-bridge"), ipam: "swiftlet-host-local",
                                         path: PluginBinaries.buildDirectory + ":/usr/lib/cni")
        static let reference = Implementation(bridge: PluginBinaries.reference("bridge"), ipam: "host-local", path: "/usr/lib/cni")
    }

    @Test(arguments: scenarios)
    func oursMatchesTheReference(_ scenario: Scenario) async throws {
        let ours = try await run(scenario, .ours)
        let reference = try await run(scenario, .reference)
        #expect(ours == reference, "ours:\n\(ours)\nreference:\n\(reference)")
        if ours.failure != nil {
            #expect(ours.afterDelete == ["lo", "toout"], "nothing half-configured")
            #expect(ours.pods == ["lo", "lo"])
            return
        }
        #expect(ours.checks.allSatisfy { $0 == 0 })
        #expect(!ours.traffic.isEmpty)
        #expect(ours.traffic.allSatisfy { $0.hasSuffix(": ok") }, "\(ours.traffic)")
    }

    func run(_ scenario: Scenario, _ implementation: Implementation) async throws -> Observed {
        let data = TemporaryDirectory("matrix")
        defer { data.remove() }
        return try await withThrowawayNamespaces(["mx-host", "mx-pod", "mx-pod", "mx-out"]) { namespaces in
            let (host, pods, outside) = (namespaces[0], [namespaces[1], namespaces[2]], namespaces[3])
            for namespace in namespaces { try namespace.run { try RouteNetlink().setUp("lo") } }
            if scenario.existingBridge { try host.run { try RouteNetlink().createBridge(named: "swt0") } }
            try TrafficProbe.attachClient(outside, to: host, hostSide: "toout",
                                          hostAddress: IPNetwork("192.168.77.1/24")!, clientAddress: IPNetwork("192.168.77.2/24")!)
            let config = """
                {"cniVersion":"1.0.0","name":"matrix","type":"bridge","bridge":"swt0"\(scenario.keys),
                 "ipam":{"type":"\(implementation.ipam)","dataDir":"\(data.path)","ranges":\(scenario.ranges)\(scenario.ipamRoutes)}}
                """
            var observed = Observed()
            var results: [CNIResult] = []
            for (index, pod) in pods.enumerated() {
                let added = await invoke(implementation, "ADD", host: host, pod: pod, container: "c\(index)", config: config)
                if added.status != 0, index == 0, let code = added.json?["code"] as? Int {
                    observed.failure = "code \(code): \(added.json?["msg"] as? String ?? added.text)"
                    observed.pods = try pods.flatMap { pod in try pod.run { try RouteNetlink().links().map(\.name).sorted() } }
                    observed.afterDelete = try host.run { try RouteNetlink().links().map(\.name).sorted() } + data.files("matrix")
                    return observed
                }
                try #require(added.status == 0, "\(added.text) \(added.stderr)")
                let result = try CNIResult.decode(from: added.stdout, fallbackVersion: .current)
                results.append(result)
                observed.results.append("ips \(result.ips.map { "\($0.address) gw \($0.gateway?.description ?? "-") if \($0.interface ?? -1)" }) "
                    + "routes \(result.routes.map { "\($0.destination) via \($0.gateway?.description ?? "-")" }) "
                    + "interfaces \(result.interfaces.map { "\($0.name.prefix(4)) sandbox:\($0.sandbox != nil)" })")
                let withPrevious = String(config.dropLast()) + #","prevResult":\#(added.text)}"#
                observed.checks.append(await invoke(implementation, "CHECK", host: host, pod: pod, container: "c\(index)", config: withPrevious).status)
            }
            observed.host = try Self.hostState(host, vlans: scenario.hasVLANs)
            observed.pods = try pods.flatMap { try Self.podState($0) }
            observed.traffic = await traffic(scenario, pods: pods, results: results, outside: outside)
            for (index, pod) in pods.enumerated() {
                for _ in 0..<2 {
                    let deleted = await invoke(implementation, "DEL", host: host, pod: pod, container: "c\(index)", config: config)
                    #expect(deleted.status == 0, "\(deleted.text)")
                }
            }
            observed.afterDelete = try host.run { try RouteNetlink().links().map(\.name).sorted() }
                + data.files("matrix").filter { $0.contains(".") && !$0.hasPrefix("last_reserved") }
            return observed
        }
    }

    func invoke(_ implementation: Implementation, _ command: String, host: NetworkNamespace, pod: NetworkNamespace, container: String, config: String) async -> PluginProcess.Output {
        var environment = cniEnvironment(command, container: container)
        environment["CNI_NETNS"] = pod.path
        environment["CNI_PATH"] = implementation.path
        return await TrafficProbe.inNamespace(host, [implementation.bridge], environment: environment, stdin: config)
    }

    /// pod0→each gateway, pod0→each of pod1's addresses, and with ipMasq pod0→outside (the outside
    /// network has no route back, so only masquerading makes it work).
    func traffic(_ scenario: Scenario, pods: [NetworkNamespace], results: [CNIResult], outside: NetworkNamespace) async -> [String] {
        var outcomes: [String] = []
        if scenario.hasGateway {
            for gateway in Set(results[0].ips.compactMap(\.gateway)).sorted(by: { $0.description < $1.description }) {
                outcomes.append("pod→gateway \(gateway): \(await Self.ping(from: pods[0], gateway.description))")
            }
        }
        for ip in results[1].ips {
            outcomes.append("pod→pod \(ip.address.address): \(await Self.ping(from: pods[0], ip.address.address.description))")
        }
        if scenario.masquerades {
            async let server = TrafficProbe.serve(in: outside, port: 9000, connections: 1, name: "outside", timeout: 8)
            let answer = await TrafficProbe.connect(from: pods[0], to: "192.168.77.2", port: 9000)
            _ = await server
            outcomes.append("pod→outside: \(answer == "outside 192.168.77.1" ? "ok" : answer)")
        }
        return outcomes
    }

    /// Pings until an answer or three seconds (IPv6 gateways answer once DAD on the bridge is done).
    static func ping(from namespace: NetworkNamespace, _ address: String) async -> String {
        for _ in 0..<6 {
            if await TrafficProbe.inNamespace(namespace, ["/bin/busybox", "ping", "-c", "1", "-W", "1", address]).status == 0 { return "ok" }
            try? await Task.sleep(for: .milliseconds(500))
        }
        return "no answer"
    }

    static func hostState(_ host: NetworkNamespace, vlans: Bool) throws -> [String] {
        try host.run {
            let netlink = try RouteNetlink()
            let bridge = try netlink.link(named: "swt0")
            var state = ["bridge up:\(bridge.isUp) mtu:\(bridge.mtu) addresses:\(try globalAddresses(netlink, bridge.index))"]
            for port in try netlink.links().filter({ $0.masterIndex == bridge.index }) {
                state.append("port up:\(port.isUp) mtu:\(port.mtu) hairpin:\(port.bridgePort?.hairpin ?? false) "
                    + "accept_ra:\((try? Sysctl.read("net/ipv6/conf/\(port.name)/accept_ra")) ?? "-")"
                    + (vlans ? " vlans:\(try netlink.bridgeVLANs(.index(port.index)).map { "\($0.id)\($0.isPVID ? " pvid" : "")\($0.isUntagged ? " untagged" : "")" })" : ""))
            }
            for key in ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding", "net/ipv6/conf/swt0/accept_ra"] {
                state.append("\(key)=\(try Sysctl.read(key))")
            }
            return state
        }
    }

    static func podState(_ pod: NetworkNamespace) throws -> [String] {
        try pod.run {
            let netlink = try RouteNetlink()
            let eth0 = try netlink.link(named: "eth0")
            let routes = try [IPFamily.v4, .v6].flatMap { try netlink.routes(family: $0) }
                .filter { !$0.destination.description.hasPrefix("fe80") }
                .map { "\($0.destination) via \($0.gateway?.description ?? "-") scope \($0.scope.rawValue) metric \($0.priority ?? 0)" }
            var state = ["eth0 up:\(eth0.isUp) mtu:\(eth0.mtu) addresses:\(try globalAddresses(netlink, eth0.index))", "routes \(routes.sorted())"]
            for key in ["net/ipv6/conf/eth0/accept_dad", "net/ipv4/conf/eth0/arp_notify", "net/ipv6/conf/eth0/disable_ipv6"] {
                state.append("\(key)=\(try Sysctl.read(key))")
            }
            return state
        }
    }

    static func globalAddresses(_ netlink: RouteNetlink, _ index: Int32) throws -> [String] {
        try netlink.addresses(on: .index(index)).map(\.address.description).filter { !$0.hasPrefix("fe80") }.sorted()
    }
}
