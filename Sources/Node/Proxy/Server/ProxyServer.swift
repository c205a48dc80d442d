import Foundation
import KubeAPI
import KubeClient
import LinuxSystem
import Logging
import NFTables

/// The service proxy as a long-running component: informers for Services, EndpointSlices and this Node
/// feed the change trackers, a ``SyncRunner`` coalesces the changes, and the proxier programs them.
///
///     let proxy = try ProxyServer(client: client, nodeName: "node-1", mode: .iptables,
///                                 configuration: ProxyConfiguration(minSyncPeriod: .seconds(1)), logger: logger)
///     try await proxy.run()          // until the task is cancelled
///     proxy.isHealthy                // for /healthz
public final class ProxyServer: Sendable {
    public let nodeName: String
    public let mode: ProxyMode
    public let configuration: ProxyConfiguration
    public let services: ServiceChangeTracker
    public let endpoints: EndpointsChangeTracker
    public let node: NodeTracker
    public let health: ProxyHealth
    /// The `healthCheckNodePort` servers of `externalTrafficPolicy: Local` load balancers.
    public let serviceHealth: ServiceHealthServer
    public let metrics: ProxyMetrics
    /// The backend ``mode`` selects.
    public let proxier: any Proxier
    private let client: KubeClient
    let namespace: NetworkNamespace?
    let logger: Logger

    /// - Parameters:
    ///   - namespace: the network namespace to program (its netfilter and ctnetlink sockets are opened
    ///     there, iptables commands run there); `nil`: the calling thread's.
    public init(client: KubeClient, nodeName: String, mode: ProxyMode = .nftables,
                configuration: ProxyConfiguration = ProxyConfiguration(), namespace: NetworkNamespace? = nil,
                logger: Logger) throws(ProxyError) {
        self.client = client
        self.namespace = namespace
        self.nodeName = nodeName
        self.mode = mode
        self.configuration = configuration
        self.logger = logger
        services = ServiceChangeTracker()
        endpoints = EndpointsChangeTracker(nodeName: nodeName)
        node = NodeTracker(nodeName: nodeName, addresses: configuration.nodePortAddresses)
        health = ProxyHealth(timeout: configuration.healthTimeout)
        serviceHealth = ServiceHealthServer(addresses: configuration.nodePortAddresses, health: health, namespace: namespace, logger: logger)
        metrics = ProxyMetrics()
        let conntrack = try ConntrackCleaner(namespace: namespace, metrics: metrics, logger: logger)
        switch mode {
        case .nftables:
            let netfilter: NetfilterSocket
            do {
                netfilter = try namespace.map { try $0.run { try NetfilterSocket(options: NFTablesProxier.socketOptions) } }
                    ?? NetfilterSocket(options: NFTablesProxier.socketOptions)
            } catch {
                throw ProxyError(.kernel, "could not open a netfilter socket", cause: error)
            }
            if Self.hasIPv6(namespace) {
                // Dual-stack: an ip6 table beside the ip one, on the same socket and generation.
                let generation = RulesetGeneration()
                proxier = DualStackProxier([
                    NFTablesProxier(socket: netfilter, family: .ip, configuration: configuration, metrics: metrics, health: health,
                                    conntrack: conntrack, generation: generation, logger: logger),
                    NFTablesProxier(socket: netfilter, family: .ip6, configuration: configuration, metrics: metrics, health: health,
                                    generation: generation, logger: logger),
                ])
            } else {
                proxier = NFTablesProxier(socket: netfilter, family: .ip, configuration: configuration, metrics: metrics, health: health,
                                          conntrack: conntrack, logger: logger)
            }
        case .iptables:
            let ipv4 = IPTablesProxier(iptables: IPTables(namespace: namespace), configuration: configuration, metrics: metrics,
                                       health: health, conntrack: conntrack, logger: logger)
            // Dual-stack: ip6tables beside iptables.
            proxier = Self.hasIPv6(namespace)
                ? DualStackProxier([ipv4, IPTablesProxier(iptables: IPTables(namespace: namespace, command: "ip6tables"), configuration: configuration,
                                                          metrics: metrics, health: health, logger: logger)])
                : ipv4
        }
    }

    /// Whether syncs keep up (see ``ProxyHealth``).
    public var isHealthy: Bool { health.isHealthy() }

    /// Whether the kernel has IPv6 in `namespace` (the caller's when `nil`): then the proxy is dual-stack.
    static func hasIPv6(_ namespace: NetworkNamespace?) -> Bool {
        let check = { FileManager.default.fileExists(atPath: "/proc/net/if_inet6") }
        return (try? namespace.map { try $0.run(check) } ?? check()) ?? false
    }

    /// Watches and programs until the calling task is cancelled. The first sync waits for the first
    /// LIST of Services and EndpointSlices, so a restart never programs an empty table over good rules.
    public func run() async throws {
        let serviceInformer = Informer<Service>(client: client, logger: logger)
        let sliceInformer = Informer<EndpointSlice>(client: client, logger: logger)
        let nodeInformer = Informer<Node>(client: client, logger: logger)
        let (services, endpoints, node, health, metrics, proxier) = (self.services, self.endpoints, self.node, self.health, self.metrics, self.proxier)
        let serviceHealth = self.serviceHealth
        let logger = self.logger
        let runner = SyncRunner(minInterval: configuration.minSyncPeriod, maxInterval: configuration.syncPeriod, logger: logger) {
            do {
                let triggers = endpoints.takeTriggerTimes()
                // The snapshots with the service ports changed since the previous sync: a partial sync compares
                // only those. (A failed sync makes the next one full, so changes taken here are never lost.)
                let (serviceMap, changedPorts) = services.takeChanges()
                let (endpointsMap, changedEndpoints) = endpoints.takeChanges()
                let changed = changedPorts.union(changedEndpoints)
                let result = try await proxier.syncRules(services: serviceMap, endpoints: endpointsMap, node: node.snapshot(), changed: changed)
                for trigger in triggers { metrics.recordNetworkProgramming(since: trigger) }
                await serviceHealth.sync(services: serviceMap, endpoints: endpointsMap, changed: changed)
                return !result.programmed ? .unchanged : result.incremental ? .programmedIncrementally : .programmed
            } catch {
                // The changes taken above never reached the health-check listeners: their next sync looks at everything.
                serviceHealth.requestFullSync()
                return .failed
            }
        }
        let changed: @Sendable (Bool) -> Void = { changed in
            guard changed else { return }
            health.queued()
            runner.requestSync()
        }
        serviceInformer.addHandler(InformerHandler(
            onAdd: { changed(services.update(old: nil, new: $0)); metrics.recordServiceChange() },
            onUpdate: { old, new in
                let didChange = services.update(old: old, new: new)
                if didChange { metrics.recordServiceChange() }
                changed(didChange)
            },
            onDelete: { changed(services.update(old: $0, new: nil)); metrics.recordServiceChange() }))
        sliceInformer.addHandler(InformerHandler(
            onAdd: { changed(endpoints.update(old: nil, new: $0)); metrics.recordEndpointChange() },
            onUpdate: { old, new in
                let didChange = endpoints.update(old: old, new: new)
                if didChange { metrics.recordEndpointChange() }
                changed(didChange)
            },
            onDelete: { changed(endpoints.update(old: $0, new: nil)); metrics.recordEndpointChange() }))
        let nodeName = self.nodeName
        let eligibility: @Sendable (Node?) -> Void = { object in
            guard let object, object.metadata.name == nodeName else {
                if object == nil { health.syncNode(deleting: true, taintKeys: []) }
                return
            }
            health.syncNode(deleting: object.metadata.deletionTimestamp != nil, taintKeys: (object.spec?.taints ?? []).map(\.key))
        }
        nodeInformer.addHandler(InformerHandler(
            onAdd: { eligibility($0); changed(node.update(old: nil, new: $0)) },
            onUpdate: { eligibility($1); changed(node.update(old: $0, new: $1)) },
            onDelete: { if $0.metadata.name == nodeName { eligibility(nil) }; changed(node.update(old: $0, new: nil)) }))

        logger.info("starting service proxy", metadata: ["node": "\(nodeName)", "mode": "\(mode.rawValue)"])
        var healthz: HealthHTTPServer?
        if let address = configuration.healthzBindAddress {
            healthz = try await ProxyHealthServer(host: address.host, port: address.port, health: health, namespace: namespace, logger: logger).start()
        }
        await withDiscardingTaskGroup { group in
            group.addTask { await serviceInformer.run() }
            group.addTask { await sliceInformer.run() }
            group.addTask { await nodeInformer.run() }
            group.addTask {
                do {
                    try await serviceInformer.waitForSync()
                    try await sliceInformer.waitForSync()
                } catch {
                    return
                }
                // The handlers may still be replaying the first LIST: take the caches as they are now.
                for service in serviceInformer.list() { services.update(old: nil, new: service) }
                for slice in sliceInformer.list() { endpoints.update(old: nil, new: slice) }
                await self.cleanUpOtherMode()
                runner.requestSync()
                await runner.run()
            }
        }
        await healthz?.close()
        await serviceHealth.close()
        logger.info("service proxy stopped", metadata: ["node": "\(nodeName)"])
    }
}
