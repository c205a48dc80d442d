import Foundation
import KubeAPI
import LinuxSystem
import Logging
import NFTables
import Proxy
import TestSupport

/// A logger for tests: warnings and worse on stderr.
func testLogger(_ label: String = "proxy-test") -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .warning
    return logger
}

/// The short name of a namespace created under /var/run/netns.
func shortName(_ namespace: NetworkNamespace) -> String {
    String(namespace.path.split(separator: "/").last ?? "")
}

/// `nft list table ip NAME` inside `namespace` (read-only; only tests run `nft`).
func nftListTable(_ table: String, in namespace: NetworkNamespace) async throws -> String {
    let result = try await runCommand("/usr/sbin/ip", ["netns", "exec", shortName(namespace), "nft", "list", "table", "ip", table])
    guard result.status == 0 else { throw TestSupportError("nft list failed: \(result)") }
    return result.stdout
}

/// Runs `nft` with `arguments` inside `namespace` (used to play the outside party changing the ruleset).
func nft(_ arguments: [String], in namespace: NetworkNamespace) async throws {
    let result = try await runCommand("/usr/sbin/ip", ["netns", "exec", shortName(namespace), "nft"] + arguments)
    guard result.status == 0 else { throw TestSupportError("nft \(arguments) failed: \(result)") }
}

/// Whitespace collapsed, so fragments match regardless of indentation.
func flattened(_ text: String) -> String {
    text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
}

/// A unique name for a throwaway namespace.
func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(String(UInt32.random(in: .min ... .max), radix: 16))"
}

/// Creates namespaces with unique names from `prefixes`, runs `body`, and always deletes them.
func withNamespaces<R>(
    _ prefixes: [String], isolation: isolated (any Actor)? = #isolation, _ body: ([NetworkNamespace]) async throws -> R
) async throws -> R {
    var created: [NetworkNamespace] = []
    defer { for namespace in created { try? NetworkNamespace.delete(path: namespace.path) } }
    for prefix in prefixes { created.append(try NetworkNamespace.create(named: uniqueName(prefix))) }
    return try await body(created)
}

/// A proxier whose socket lives in `namespace`.
func makeProxier(in namespace: NetworkNamespace, table: String = "swiftlet-proxy", clusterCIDRs: [String] = ["10.244.0.0/16"],
                 fullSyncPeriod: Duration = .seconds(3600)) throws -> NFTablesProxier {
    let socket = try namespace.run { try NetfilterSocket(options: NFTablesProxier.socketOptions) }
    return NFTablesProxier(socket: socket,
                           configuration: ProxyConfiguration(tableName: table, fullSyncPeriod: fullSyncPeriod, clusterCIDRs: clusterCIDRs),
                           logger: testLogger())
}

/// A proxier of `mode` programming `namespace`, with UDP conntrack cleanup unless `conntrackCleanup` is false.
func makeProxier(_ mode: ProxyMode, in namespace: NetworkNamespace, clusterCIDRs: [String] = ["10.244.0.0/16"],
                 conntrackCleanup: Bool = true) throws -> any Proxier {
    let configuration = ProxyConfiguration(clusterCIDRs: clusterCIDRs)
    let conntrack = try conntrackCleanup ? ConntrackCleaner(namespace: namespace, logger: testLogger()) : nil
    switch mode {
    case .nftables:
        let socket = try namespace.run { try NetfilterSocket(options: NFTablesProxier.socketOptions) }
        return NFTablesProxier(socket: socket, configuration: configuration, conntrack: conntrack, logger: testLogger())
    case .iptables:
        return IPTablesProxier(iptables: IPTables(namespace: namespace), configuration: configuration, conntrack: conntrack,
                               logger: testLogger())
    }
}

/// The proxiers of both families of `mode` (`ip` and `ip6` tables, or iptables and ip6tables) programming
/// `namespace`, as the proxy runs them on a dual-stack node.
func makeDualStackProxier(_ mode: ProxyMode, in namespace: NetworkNamespace,
                          clusterCIDRs: [String] = ["10.244.0.0/16", "fd00:10:244::/64"]) throws -> DualStackProxier {
    let configuration = ProxyConfiguration(clusterCIDRs: clusterCIDRs)
    let conntrack = try ConntrackCleaner(namespace: namespace, logger: testLogger())
    switch mode {
    case .nftables:
        let socket = try namespace.run { try NetfilterSocket(options: NFTablesProxier.socketOptions) }
        let generation = RulesetGeneration()
        return DualStackProxier([
            NFTablesProxier(socket: socket, family: .ip, configuration: configuration, conntrack: conntrack, generation: generation, logger: testLogger()),
            NFTablesProxier(socket: socket, family: .ip6, configuration: configuration, generation: generation, logger: testLogger()),
        ])
    case .iptables:
        return DualStackProxier([
            IPTablesProxier(iptables: IPTables(namespace: namespace), configuration: configuration, conntrack: conntrack, logger: testLogger()),
            IPTablesProxier(iptables: IPTables(namespace: namespace, command: "ip6tables"), configuration: configuration, logger: testLogger()),
        ])
    }
}

/// `nft list table ip6 NAME` inside `namespace`.
func nftListTable6(_ table: String, in namespace: NetworkNamespace) async throws -> String {
    let result = try await runCommand("/usr/sbin/ip", ["netns", "exec", shortName(namespace), "nft", "list", "table", "ip6", table])
    guard result.status == 0 else { throw TestSupportError("nft list failed: \(result)") }
    return result.stdout
}

/// `iptables-save` inside `namespace` (read-only; only tests run it).
func iptablesSave(in namespace: NetworkNamespace, table: String = "nat", command: String = "iptables-save") async throws -> String {
    let result = try await runCommand("/usr/sbin/ip", ["netns", "exec", shortName(namespace), command, "-t", table])
    guard result.status == 0 else { throw TestSupportError("iptables-save failed: \(result)") }
    return result.stdout
}

/// A TCP service port `default/NAME:http`.
func servicePort(_ name: String, clusterIP: String, port: UInt16 = 80, nodePort: UInt16? = nil,
                 affinity: ServicePortInfo.SessionAffinity = .none, externalPolicy: ServicePortInfo.TrafficPolicy = .cluster,
                 protocol proto: L4Protocol = .tcp) -> ServicePortInfo {
    ServicePortInfo(name: ServicePortName(namespace: "default", name: name, portName: "http", protocol: proto),
                    clusterIPs: [clusterIP], port: port, nodePort: nodePort, sessionAffinity: affinity,
                    externalTrafficPolicy: externalPolicy)
}

/// The changed-port tests' starting point in either mode: `web` (as given), `api` and `db` (NodePort 30021), each
/// with two local endpoints on port 8080 of `node-a`.
struct ThreeServicePorts {
    let web: ServicePortInfo
    let api = servicePort("api", clusterIP: "10.96.0.20")
    let db = servicePort("db", clusterIP: "10.96.0.21", nodePort: 30021)
    var services: ServicePortMap { ServicePortMap([web, api, db]) }
    var endpoints: EndpointsMap {
        func local(_ ips: [String]) -> [EndpointInfo] { ips.map { EndpointInfo(ip: $0, port: 8080, nodeName: "node-a", isLocal: true) } }
        return EndpointsMap([web.name: local(["10.244.0.11", "10.244.0.12"]), api.name: local(["10.244.0.21", "10.244.0.22"]),
                             db.name: local(["10.244.0.31", "10.244.0.32"])])
    }
}
