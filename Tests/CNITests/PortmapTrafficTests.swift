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

    /// A client that sent to a UDP host port before it was mapped holds a conntrack entry that is not
    /// DNATed; ADD deletes it (as the reference's `deletePortmapStaleConnections` does) so the client's
    /// next datagram from the same port reaches the pod. Ours also deletes the port's entries on DEL.
    @Test func udpHostPortMappingDeletesStaleConntrackEntries() async throws {
        let ours = try await exerciseUDP(portmap: PluginBinaries.ours("swiftlet-portmap"))
        #expect(ours == ["stale entries before ADD": "1", "stale entries after ADD": "0",
                         "client→192.168.77.1:9053/udp": "pod 192.168.77.2", "entries after DEL": "0"])
        if FileManager.default.isExecutableFile(atPath: PluginBinaries.reference("portmap")) {
            var reference = try await exerciseUDP(portmap: PluginBinaries.reference("portmap"))
            reference["entries after DEL"] = nil  // the reference leaves them to the next ADD of the port
            var compared = ours
            compared["entries after DEL"] = nil
            #expect(compared == reference)
        }
    }

    /// Sends one datagram from the client's port 40000 to the unmapped host port 9053 (refused: a
    /// plain conntrack entry), maps 9053/udp to the pod's 5353 with `portmap`, sends again from the same
    /// port and runs DEL; returns what the host's conntrack table and the client saw at each step.
    func exerciseUDP(portmap: String) async throws -> [String: String] {
        let data = TemporaryDirectory("portmap-udp")
        defer { data.remove() }
        return try await withThrowawayNetworkNamespace(prefix: "pmu-host") { (host: NetworkNamespace) async throws in
            try await withThrowawayNetworkNamespace(prefix: "pmu-pod") { (pod: NetworkNamespace) async throws in
                try await withThrowawayNetworkNamespace(prefix: "pmu-cl") { (client: NetworkNamespace) async throws in
                    // ipMasq puts a nat chain in the host namespace, so conntrack tracks it from the start.
                    let bridgeConfig = BridgeTests.config(dataDir: data.path, ipam: "swiftlet-host-local", extra: #","ipMasq":true"#)
                    let bridge = await PluginRunner(plugin: Bridge(hostNamespace: host), about: "bridge")
                        .run(environment: BridgeTests.environment("ADD", sandbox: pod), stdin: Data(bridgeConfig.utf8))
                    try #require(bridge.exitCode == 0, "\(String(decoding: bridge.stdout, as: UTF8.self))")
                    try TrafficProbe.attachClient(client, to: host, hostSide: "tocl",
                                                  hostAddress: IPNetwork("192.168.77.1/24")!, clientAddress: IPNetwork("192.168.77.2/24")!)
                    let conntrack = try ConntrackNetlink(in: host)
                    func entries() throws -> [ConntrackEntry] {
                        try conntrack.entries(family: .v4, protocolNumber: 17).filter { $0.original.destinationPort == 9053 }
                    }
                    /// Entries towards the host port that no DNAT rewrote.
                    func stale() throws -> String { String(try entries().filter { $0.reply.source == $0.original.destination }.count) }

                    var outcomes: [String: String] = [:]
                    _ = await TrafficProbe.sendUDP(from: client, to: "192.168.77.1", port: 9053, sourcePort: 40000)
                    outcomes["stale entries before ADD"] = try stale()

                    let config = """
                        {"cniVersion":"1.0.0","name":"bridgenet","type":"portmap","capabilities":{"portMappings":true},
                         "runtimeConfig":{"portMappings":[{"hostPort":9053,"containerPort":5353,"protocol":"udp"}]},
                         "prevResult":\(String(decoding: bridge.stdout, as: UTF8.self))}
                        """
                    var environment = BridgeTests.environment("ADD", sandbox: pod)
                    environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
                    let added = await TrafficProbe.inNamespace(host, [portmap], environment: environment, stdin: config)
                    try #require(added.status == 0, "\(added.text) \(added.stderr)")
                    outcomes["stale entries after ADD"] = try stale()

                    async let server = TrafficProbe.serveUDP(in: pod, port: 5353, datagrams: 1, timeout: 15)
                    outcomes["client→192.168.77.1:9053/udp"] = await TrafficProbe.sendUDP(from: client, to: "192.168.77.1", port: 9053, sourcePort: 40000, retryFor: 5)
                    _ = await server

                    environment["CNI_COMMAND"] = "DEL"
                    let deleted = await TrafficProbe.inNamespace(host, [portmap], environment: environment, stdin: config)
                    #expect(deleted.status == 0, "\(deleted.text)")
                    outcomes["entries after DEL"] = String(try entries().count)
                    return outcomes
                }
            }
        }
    }
}
