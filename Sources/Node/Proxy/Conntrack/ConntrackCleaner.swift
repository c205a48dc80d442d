import LinuxSystem
import Logging
import Netlink
import Synchronization

/// Deletes the UDP conntrack entries that would keep clients on endpoints or services that are gone
/// (upstream's `conntrack.CleanStaleEntries`), through ctnetlink: UDP has no connection end, so without
/// this a client that keeps sending from one port stays on its old entry (and the removed endpoint)
/// for as long as it keeps sending.
///
/// Each call compares the state just programmed with the previous one, then deletes, in one pass over
/// the UDP entries:
/// - entries whose original destination is a cluster IP, external IP or load-balancer IP and port (or,
///   on any address, the node port) of a UDP service port that went away or just got its first endpoint;
/// - DNATed entries whose reply source is a UDP endpoint no longer used by its service port.
///
///     let cleaner = try ConntrackCleaner(namespace: node, logger: logger)
///     cleaner.cleanUp(services: services, endpoints: endpoints)   // after each successful sync
public final class ConntrackCleaner: Sendable {
    private struct State: ~Copyable {
        var netlink: ConntrackNetlink
        var services: ServicePortMap?
        var endpoints: [ServicePortName: [EndpointInfo]] = [:]
    }

    /// What went stale in one sync.
    struct Stale: Hashable, Sendable {
        /// Original destinations (address, port) of service ports gone or newly served.
        var destinations: Set<Destination> = []
        /// Node ports of those service ports.
        var nodePorts: Set<UInt16> = []
        /// Reply sources (endpoint address, port) no longer in use.
        var endpoints: Set<Destination> = []

        var isEmpty: Bool { destinations.isEmpty && nodePorts.isEmpty && endpoints.isEmpty }
    }

    struct Destination: Hashable, Sendable {
        var ip: String
        var port: UInt16
    }

    private let state: Mutex<State>
    private let metrics: ProxyMetrics
    private let logger: Logger

    /// Opens a ctnetlink socket in `namespace` (the calling thread's namespace when `nil`).
    public init(namespace: NetworkNamespace? = nil, metrics: ProxyMetrics = ProxyMetrics(), logger: Logger) throws(ProxyError) {
        let netlink: ConntrackNetlink
        do {
            netlink = try namespace.map { try ConntrackNetlink(in: $0) } ?? ConntrackNetlink()
        } catch {
            throw ProxyError(.kernel, "could not open a ctnetlink socket", cause: error)
        }
        state = Mutex(State(netlink: netlink))
        self.metrics = metrics
        self.logger = logger
    }

    /// Deletes the entries the change from the previous call's state to this one left stale; returns how
    /// many. Failures are logged and counted, never thrown: the rules are already programmed.
    @discardableResult
    public func cleanUp(services: ServicePortMap, endpoints: EndpointsMap) -> Int {
        cleanUp(services: services, endpoints: endpoints, changed: nil)
    }

    /// The same, told which service ports may differ from the previous call's state (as a partial sync
    /// knows them): only those are compared, so the cost follows the change, not the number of services.
    /// `nil` compares every UDP service port.
    @discardableResult
    public func cleanUp(services: ServicePortMap, endpoints: EndpointsMap, changed: Set<ServicePortName>?) -> Int {
        state.withLock { state in
            let stale: Stale
            if let changed, let previous = state.services {
                var used = state.endpoints
                var before: [ServicePortName: ServicePortInfo] = [:], after: [ServicePortName: ServicePortInfo] = [:]
                var usedBefore: [ServicePortName: [EndpointInfo]] = [:]
                for name in changed where name.protocol == .udp {
                    before[name] = previous[name]
                    after[name] = services[name]
                    usedBefore[name] = used[name]
                    used[name] = services[name].map { EndpointSelection(service: $0, endpoints: endpoints[name]).all }
                }
                stale = Self.stale(from: (ServicePortMap(ports: before), usedBefore), to: (ServicePortMap(ports: after), used))
                state.endpoints = used
            } else {
                var used: [ServicePortName: [EndpointInfo]] = [:]
                for (name, service) in services.ports where name.protocol == .udp {
                    used[name] = EndpointSelection(service: service, endpoints: endpoints[name]).all
                }
                stale = state.services.map { Self.stale(from: ($0, state.endpoints), to: (services, used)) } ?? Stale()
                state.endpoints = used
            }
            state.services = services
            guard !stale.isEmpty else { return 0 }
            do {
                var deleted = 0
                for family in [IPFamily.v4, .v6] {
                    deleted += try state.netlink.deleteEntries(family: family, protocolNumber: L4Protocol.udp.number) {
                        Self.matches($0, stale)
                    }
                }
                metrics.recordConntrackDeleted(deleted)
                if deleted > 0 { logger.debug("deleted stale UDP conntrack entries", metadata: ["count": "\(deleted)"]) }
                return deleted
            } catch {
                metrics.recordConntrackFailure()
                logger.error("could not delete stale UDP conntrack entries", metadata: ["error": "\(error)"])
                return 0
            }
        }
    }

    /// What changed from `old` to `new` (UDP service ports and the endpoints their rules use).
    static func stale(from old: (ServicePortMap, [ServicePortName: [EndpointInfo]]),
                      to new: (ServicePortMap, [ServicePortName: [EndpointInfo]])) -> Stale {
        var stale = Stale()
        for (name, service) in old.0.ports where name.protocol == .udp {
            let before = old.1[name] ?? []
            let now = new.0[name] == nil ? [] : new.1[name] ?? []
            // Gone (or no longer served): entries towards the service go.
            if new.0[name] == nil || (!before.isEmpty && now.isEmpty) { stale.add(service) }
            let remaining = Set(now.map { Destination(ip: $0.ip, port: $0.port) })
            for endpoint in before where !remaining.contains(Destination(ip: endpoint.ip, port: endpoint.port)) {
                stale.endpoints.insert(Destination(ip: endpoint.ip, port: endpoint.port))
            }
        }
        // Newly served: entries created while it rejected must not linger.
        for (name, service) in new.0.ports where name.protocol == .udp && !(new.1[name] ?? []).isEmpty && (old.1[name] ?? []).isEmpty {
            stale.add(service)
        }
        return stale
    }

    static func matches(_ entry: ConntrackEntry, _ stale: Stale) -> Bool {
        let original = entry.original
        if stale.destinations.contains(Destination(ip: original.destination.description, port: original.destinationPort)) { return true }
        if stale.nodePorts.contains(original.destinationPort) { return true }
        // DNATed towards a removed endpoint (direct traffic to the pod is left alone).
        let reply = entry.reply
        return reply.source != original.destination
            && stale.endpoints.contains(Destination(ip: reply.source.description, port: reply.sourcePort))
    }
}

extension ConntrackCleaner.Stale {
    mutating func add(_ service: ServicePortInfo) {
        for ip in service.clusterIPs + service.externalIPs + service.loadBalancerIPs {
            destinations.insert(ConntrackCleaner.Destination(ip: ip, port: service.port))
        }
        if let nodePort = service.nodePort { nodePorts.insert(nodePort) }
    }
}
