import FoundationEssentials
import LinuxSystem
import Netlink
import NFTables
#if canImport(Glibc)
import Glibc
#endif

/// The `portmap` plugin: forwards host ports to the pod, chained after an interface plugin whose
/// `prevResult` names the pod's addresses.
///
/// ADD installs, per family with a container address, the DNAT rules of ``PortmapRules`` (one nf_tables
/// transaction) and, with `snat` (the default), the hairpin and localhost masquerading plus
/// `route_localnet` on the host interface that routes to the pod, so `127.0.0.1:hostPort` works.
/// It returns `prevResult` unchanged. Without port mappings it does nothing; without `prevResult` it
/// fails with code 7. After the rules are in place it deletes the UDP conntrack entries towards the
/// mapped UDP host ports, as the reference does, so a client that was already sending to the port
/// (refused, or to a pod that is gone) is not held on its stale entry.
///
/// DEL deletes this attachment's rules in both families (none is fine) and the UDP conntrack entries
/// towards its UDP host ports (the reference leaves those until the next ADD of the port); CHECK verifies they are
/// present; GC deletes the rules of the network's attachments that are not in
/// `cni.dev/valid-attachments`; STATUS reports whether nf_tables can be programmed.
///
///     {"type": "swiftlet-portmap", "capabilities": {"portMappings": true}, "snat": true,
///      "runtimeConfig": {"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]}}
public struct Portmap: Plugin {
    private let hostNamespace: NetworkNamespace?

    /// `hostNamespace` is where the rules go: the plugin's own namespace unless a test passes one.
    public init(hostNamespace: NetworkNamespace? = nil) {
        self.hostNamespace = hostNamespace
    }

    public func add(_ request: PluginRequest) async throws(CNIError) -> CNIResult {
        let config = try PortmapConfig(request.config)
        guard let previous = config.previous else {
            throw CNIError(.invalidNetworkConfig, "portmap: must be called as chained plugin")
        }
        guard !config.mappings.isEmpty else { return previous }
        let comment = PortmapRules.comment(containerID: request.containerID, network: config.network)
        let addresses = config.containerAddresses(ifName: request.ifName)
        var additions = Transaction()
        for address in addresses {
            additions.append(contentsOf: try PortmapRules.plan(config, container: address, comment: comment).transaction)
        }
        let localnet = config.snat ? addresses.first { $0.isIPv4 } : nil
        let prepared = additions
        try await inHost("set up port mappings") { () throws in
            let socket = try NetfilterSocket()
            // Rules of an earlier ADD of this attachment go in the same transaction as the new ones.
            var transaction = try Self.deleting(socket, comment: comment)
            transaction.append(contentsOf: prepared)
            try socket.commit(transaction)
            if let localnet { try Self.enableLocalnetRouting(to: localnet) }
            Self.deleteStaleUDPEntries(config.mappings, families: addresses.map(\.family))
        }
        return previous
    }

    public func delete(_ request: PluginRequest) async throws(CNIError) {
        let config = try PortmapConfig(request.config)
        let comment = PortmapRules.comment(containerID: request.containerID, network: config.network)
        try await inHost("remove port mappings") { () throws in
            let socket = try NetfilterSocket()
            let transaction = try Self.deleting(socket, comment: comment)
            if !transaction.isEmpty { try socket.commit(transaction) }
            Self.deleteStaleUDPEntries(config.mappings, families: [.v4, .v6])
        }
    }

    public func check(_ request: PluginRequest) async throws(CNIError) {
        let config = try PortmapConfig(request.config)
        guard config.previous != nil else {
            throw CNIError(.invalidNetworkConfig, "portmap: Required prevResult missing")
        }
        let comment = PortmapRules.comment(containerID: request.containerID, network: config.network)
        guard !config.mappings.isEmpty else { return }
        var expected: [String: Int] = [:]
        for address in config.containerAddresses(ifName: request.ifName) {
            for rule in try PortmapRules.plan(config, container: address, comment: comment).containerRules {
                expected["\(rule.family) \(rule.chain)", default: 0] += 1
            }
        }
        let present = try await inHost("read port mappings") { () throws in
            let socket = try NetfilterSocket()
            var counts: [String: Int] = [:]
            for family in [IPFamily.v4, .v6] {
                for rule in try PortmapRules.rules(socket, family, where: { $0 == comment }) {
                    counts["\(rule.family) \(rule.chain)", default: 0] += 1
                }
            }
            return counts
        }
        // As the reference: every chain holds at least as many of the attachment's rules as ADD made.
        for (chain, count) in expected.sorted(by: { $0.key < $1.key }) where present[chain, default: 0] < count {
            throw CNIError(.networkSetupFailure, "portmap: missing hostport rules in \"\(chain)\" chain",
                           details: "\(present[chain, default: 0]) of \(count) rules for \(comment) present")
        }
    }

    public func garbageCollect(_ request: PluginRequest) async throws(CNIError) {
        let network = request.config.name
        let valid = Set(try request.config.requiredValidAttachments().map {
            PortmapRules.comment(containerID: $0.containerID, network: network)
        })
        let suffix = PortmapRules.comment(containerID: "", network: network)
        try await inHost("collect port mappings") { () throws in
            let socket = try NetfilterSocket()
            var transaction = Transaction()
            for family in [IPFamily.v4, .v6] {
                for rule in try PortmapRules.rules(socket, family, where: { $0.hasSuffix(suffix) && !valid.contains($0) }) {
                    transaction.delete(rule)
                }
            }
            if !transaction.isEmpty { try socket.commit(transaction) }
        }
    }

    public func status(_ request: PluginRequest) async throws(CNIError) {
        do throws(CNIError) {
            try await inHost("reach nf_tables") { () throws in _ = try NetfilterSocket().generation() }
        } catch {
            throw CNIError(.pluginNotAvailable, error.msg, details: error.details)
        }
    }

    /// Deletes the rules commented `comment` in both families.
    private static func deleting(_ socket: NetfilterSocket, comment: String) throws(NFTablesError) -> Transaction {
        var transaction = Transaction()
        for family in [IPFamily.v4, .v6] {
            for rule in try PortmapRules.rules(socket, family, where: { $0 == comment }) { transaction.delete(rule) }
        }
        return transaction
    }

    /// The reference's `deletePortmapStaleConnections`: deletes the `family` UDP conntrack entries whose
    /// original destination port is one of the UDP host ports of `mappings`. Failures are only logged
    /// (on stderr, as the reference's `log.Printf`): the rules are already in place.
    static func deleteStaleUDPEntries(_ mappings: [PortMapping], families: [IPFamily]) {
        let ports = Set(mappings.filter { $0.protocol.lowercased() == "udp" }.map { UInt16(clamping: $0.hostPort) })
        guard !ports.isEmpty, !families.isEmpty else { return }
        do {
            let conntrack = try ConntrackNetlink()
            for family in families {
                try conntrack.deleteEntries(family: family, protocolNumber: UInt8(IPPROTO_UDP)) {
                    ports.contains($0.original.destinationPort)
                }
            }
        } catch {
            StandardStreams.write(2, "portmap: failed to delete stale UDP conntrack entries: \(error)\n")
        }
    }

    /// The reference's `enableLocalnetRouting`: sets `route_localnet` on the interface the host routes
    /// `container` through, so DNAT'ed packets from 127.0.0.1 may leave `lo`.
    private static func enableLocalnetRouting(to container: IPAddress) throws {
        let routes = try RouteNetlink().routes(family: .v4)
        let best = routes.filter { $0.destination.contains(container) && $0.outputInterface != nil }
            .max { $0.destination.prefixLength < $1.destination.prefixLength }
        guard let index = best?.outputInterface else { return }
        let name = try RouteNetlink().link(.index(index)).name
        try Sysctl.write("net/ipv4/conf/\(name)/route_localnet", "1")
    }

    /// Runs `body` in the host namespace on a dedicated thread; failures are code 103.
    private func inHost<R: Sendable>(_ what: String, _ body: @escaping @Sendable () throws -> R) async throws(CNIError) -> R {
        do {
            if let hostNamespace { return try await hostNamespace.perform(body) }
            return try body()
        } catch let error as CNIError {
            throw error
        } catch {
            throw CNIError(.networkSetupFailure, "portmap: failed to \(what)", details: String(describing: error))
        }
    }
}
