import CNI
import Foundation
import LinuxSystem
import Netlink
import Testing
import TestSupport

/// Our portmap binary against Debian's reference portmap (iptables backend, through iptables-nft) on
/// the same topology, each in its own throwaway namespaces: a "host" with a bridge and a pod behind it
/// (set up by our bridge), and a "client" namespace routed to the host.
@Suite(.serialized, .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: TrafficProbe.python),
                             "needs root for network namespaces and python3"))
struct PortmapTrafficTests {
    static let mappings = """
        [{"hostPort":8080,"containerPort":80,"protocol":"tcp"},
         {"hostPort":8081,"containerPort":80,"protocol":"tcp","hostIP":"192.168.77.1"},
         {"hostPort":8082,"containerPort":80,"protocol":"tcp","hostIP":"10.99.0.1"}]
        """

    /// Who reached the pod through which host port, and which source address the pod saw.
    static let expected = [
        "client→192.168.77.1:8080": "pod 192.168.77.2",
        "client→192.168.77.1:8081": "pod 192.168.77.2",
        "client→192.168.77.1:8082": "ERR refused",
        "host→127.0.0.1:8080": "pod 10.99.0.1",
        "pod→192.168.77.1:8080": "pod 10.99.0.1",
    ]

    @Test func hostPortsReachThePodLikeTheReference() async throws {
        let ours = try await exercise(portmap: PluginBinaries.ours("swiftlet-portmap"))
        #expect(ours == Self.expected)
        if FileManager.default.isExecutableFile(atPath: PluginBinaries.reference("portmap")) {
            let reference = try await exercise(portmap: PluginBinaries.reference("portmap"))
            #expect(ours == reference)
        }
    }

    /// Builds the topology, runs portmap ADD with `portmap`, probes every path, runs DEL twice and
    /// returns the probe outcomes.
    func exercise(portmap: String) async throws -> [String: String] {
        let data = TemporaryDirectory("portmap")
        defer { data.remove() }
        return try await withThrowawayNetworkNamespace(prefix: "pm-host") { (host: NetworkNamespace) async throws in
            try await withThrowawayNetworkNamespace(prefix: "pm-pod") { (pod: NetworkNamespace) async throws in
                try await withThrowawayNetworkNamespace(prefix: "pm-cl") { (client: NetworkNamespace) async throws in
                    let bridgeConfig = BridgeTests.config(dataDir: data.path, ipam: "swiftlet-host-local")
                    let bridge = await PluginRunner(plugin: Bridge(hostNamespace: host), about: "bridge")
                        .run(environment: BridgeTests.environment("ADD", sandbox: pod), stdin: Data(bridgeConfig.utf8))
                    try #require(bridge.exitCode == 0, "\(String(decoding: bridge.stdout, as: UTF8.self))")
                    try TrafficProbe.attachClient(client, to: host, hostSide: "tocl",
                                                  hostAddress: IPNetwork("192.168.77.1/24")!, clientAddress: IPNetwork("192.168.77.2/24")!)
                    for namespace in [host, pod] { try namespace.run { try RouteNetlink().setUp("lo") } }

                    let config = """
                        {"cniVersion":"1.0.0","name":"bridgenet","type":"portmap","capabilities":{"portMappings":true},
                         "runtimeConfig":{"portMappings":\(Self.mappings)},"prevResult":\(String(decoding: bridge.stdout, as: UTF8.self))}
                        """
                    var environment = BridgeTests.environment("ADD", sandbox: pod)
                    environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
                    let added = await TrafficProbe.inNamespace(host, [portmap], environment: environment, stdin: config)
                    try #require(added.status == 0, "\(added.text) \(added.stderr)")

                    async let server = TrafficProbe.serve(in: pod, port: 80, connections: 4, timeout: 15)
                    var outcomes: [String: String] = [:]
                    for port in [8080, 8081, 8082] {
                        outcomes["client→192.168.77.1:\(port)"] = await TrafficProbe.connect(from: client, to: "192.168.77.1", port: port)
                    }
                    outcomes["host→127.0.0.1:8080"] = await TrafficProbe.connect(from: host, to: "127.0.0.1", port: 8080)
                    outcomes["pod→192.168.77.1:8080"] = await TrafficProbe.connect(from: pod, to: "192.168.77.1", port: 8080)
                    let served = await server
                    #expect(served.status == 0, "\(served.stderr)")

                    environment["CNI_COMMAND"] = "DEL"
                    for _ in 0..<2 {
                        let deleted = await TrafficProbe.inNamespace(host, [portmap], environment: environment, stdin: config)
                        #expect(deleted.status == 0, "\(deleted.text)")
                    }
                    let afterDelete = await TrafficProbe.connect(from: client, to: "192.168.77.1", port: 8080)
                    #expect(afterDelete.hasPrefix("ERR"))
                    return outcomes
                }
            }
        }
    }
}
