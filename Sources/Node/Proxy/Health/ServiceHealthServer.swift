import KubeAPI
import LinuxSystem
import Logging
import Synchronization

/// The `healthCheckNodePort` servers of `LoadBalancer` Services with `externalTrafficPolicy: Local`
/// (upstream's `ServiceHealthServer`): one HTTP listener per Service on its health-check node port, on the
/// node-port addresses (all addresses when none are configured). Any path answers
///
///     {
///     	"service": {
///     		"namespace": "default",
///     		"name": "web"
///     	},
///     	"localEndpoints": 2,
///     	"serviceProxyHealthy": true
///     }
///
/// with 200 while the Service has ready endpoints on this node and the proxy is healthy, 503 otherwise,
/// so a cloud load balancer only sends traffic to nodes that can serve it without another hop.
public final class ServiceHealthServer: Sendable {
    /// A Service that needs a health check: `namespace/name`.
    public struct ServiceKey: Hashable, Sendable, Comparable {
        public var namespace: String
        public var name: String
        public init(namespace: String, name: String) {
            self.namespace = namespace
            self.name = name
        }
        public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name) }
    }

    private struct Instance {
        var port: UInt16
        var servers: [HealthHTTPServer]
    }

    private struct State {
        var instances: [ServiceKey: Instance] = [:]
        var localEndpoints: [ServiceKey: Int] = [:]
        /// Ports that failed to open, so the failure is logged once, not on every sync.
        var failed: [ServiceKey: UInt16] = [:]
        /// The service ports with a health check at the last sync; `nil` before the first and after
        /// ``requestFullSync()`` (the next sync looks at every service).
        var checked: Set<ServicePortName>?
    }

    /// Addresses the listeners bind to.
    public let addresses: [String]
    private let health: ProxyHealth
    private let namespace: NetworkNamespace?
    private let logger: Logger
    private let state = Mutex(State())

    /// - Parameter addresses: the node-port addresses; empty: every IPv4 address (`0.0.0.0`).
    public init(addresses: [String] = [], health: ProxyHealth, namespace: NetworkNamespace? = nil, logger: Logger) {
        self.addresses = addresses.isEmpty ? ["0.0.0.0"] : addresses
        self.health = health
        self.namespace = namespace
        self.logger = logger
    }

    /// The health-check ports that are open, by Service.
    public var openPorts: [ServiceKey: UInt16] { state.withLock { $0.instances.mapValues(\.port) } }

    /// Whether `service` gets a health-check listener.
    private static func hasHealthCheck(_ service: ServicePortInfo) -> Bool {
        service.externalPolicyLocal && service.healthCheckNodePort != nil
    }

    /// Makes the next sync look at every service (the caller lost track of what changed since the last one).
    public func requestFullSync() {
        state.withLock { $0.checked = nil }
    }

    /// Opens and closes listeners for the Services that need one and records their local ready endpoints.
    /// Call it from one task at a time (the proxy's sync loop).
    ///
    /// - Parameter changed: the service ports that may differ from the maps of the previous call (the change
    ///   trackers' `takeChanges()`, accumulated over syncs that did not get here); when none of them has or had
    ///   a health check, and no listener is waiting to be retried, there is nothing to do and the services
    ///   are not walked. `nil`: not known, look at every service.
    public func sync(services: ServicePortMap, endpoints: EndpointsMap, changed: Set<ServicePortName>? = nil) async {
        if let changed {
            let unaffected = state.withLock { s in
                guard let checked = s.checked, s.failed.isEmpty else { return false }
                return !changed.contains { checked.contains($0) || services[$0].map(Self.hasHealthCheck) == true }
            }
            if unaffected { return }
        }
        var wanted: [ServiceKey: UInt16] = [:]
        var counts: [ServiceKey: Set<String>] = [:]
        var checked = Set<ServicePortName>()
        for service in services.ports.values where service.externalPolicyLocal {
            guard let port = service.healthCheckNodePort else { continue }
            checked.insert(service.name)
            let key = ServiceKey(namespace: service.name.namespace, name: service.name.name)
            wanted[key] = port
            var local = counts[key] ?? []
            for endpoint in endpoints[service.name] where endpoint.isLocal && endpoint.ready { local.insert(endpoint.ip) }
            counts[key] = local
        }
        do {
            let (stale, missing) = state.withLock { s -> ([HealthHTTPServer], [(ServiceKey, UInt16)]) in
                s.localEndpoints = counts.mapValues(\.count)
                s.checked = checked
                var stale: [HealthHTTPServer] = []
                for (key, instance) in s.instances where wanted[key] != instance.port {
                    stale += instance.servers
                    s.instances[key] = nil
                }
                let missing = wanted.filter { s.instances[$0.key] == nil }.sorted { $0.key < $1.key }
                return (stale, missing.map { ($0.key, $0.value) })
            }
            for server in stale { await server.close() }
            for (key, port) in missing {
                do {
                    var servers: [HealthHTTPServer] = []
                    do {
                        for address in addresses {
                            servers.append(try await HealthHTTPServer.start(host: address, port: Int(port), namespace: namespace) {
                                [weak self] _ in self?.answer(key) ?? .init(status: 503, body: "")
                            })
                        }
                    } catch {
                        for server in servers { await server.close() }
                        throw error
                    }
                    logger.info("opened healthcheck", metadata: ["service": "\(key.namespace)/\(key.name)", "port": "\(port)"])
                    state.withLock {
                        $0.instances[key] = Instance(port: port, servers: servers)
                        $0.failed[key] = nil
                    }
                } catch {
                    let first = state.withLock { s in
                        defer { s.failed[key] = port }
                        return s.failed[key] != port
                    }
                    if first {
                        logger.error("failed to start healthcheck", metadata: ["service": "\(key.namespace)/\(key.name)", "port": "\(port)",
                                                                               "error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Closes every listener.
    public func close() async {
        let servers = state.withLock { s in
            defer { s.instances = [:] }
            return s.instances.values.flatMap(\.servers)
        }
        for server in servers { await server.close() }
    }

    /// The answer for `key` right now.
    func answer(_ key: ServiceKey) -> HealthHTTPServer.Answer {
        let count = state.withLock { $0.localEndpoints[key] ?? 0 }
        let healthy = health.isHealthy()
        let body = """
            {
            \t"service": {
            \t\t"namespace": \(GoQuoted.string(key.namespace)),
            \t\t"name": \(GoQuoted.string(key.name))
            \t},
            \t"localEndpoints": \(count),
            \t"serviceProxyHealthy": \(healthy)
            }
            """
        return HealthHTTPServer.Answer(status: count != 0 && healthy ? 200 : 503,
                                       headers: [("Content-Type", "application/json"), ("X-Content-Type-Options", "nosniff")], body: body)
    }
}
