import KubeAPI
import KubeClient
import LinuxSystem
import Logging
import Netlink

/// The agent's host-gw routing: watches Nodes and keeps one route per other node's pod CIDR via that node's
/// InternalIP in the main table, so pods on different nodes reach each other without an overlay. Its routes
/// carry their own protocol number (``routeProtocol``), so it only ever replaces or deletes routes it made.
///
///     let routes = try PodRouteController(client: client, nodeName: "lab-1", logger: logger)
///     await routes.run()   // until cancelled; then `try await routes.removeAll()` on a throwaway node
public actor PodRouteController {
    /// `proto 167` in `ip route`: unassigned in iproute2's `rt_protos`, marks Swiftlet's pod routes.
    public static let routeProtocol = RouteProtocol(rawValue: 167)

    private let client: KubeClient
    private let nodeName: String
    private let netlink: RouteNetlink
    private let resyncPeriod: Duration
    private let logger: Logger
    /// Routes the last reconcile could not program (gateway not reachable yet …), retried on every change and resync.
    private var failing: Set<PodRoute> = []

    /// - Parameters:
    ///   - namespace: the network namespace to program (default: the calling thread's).
    ///   - resyncPeriod: how often the routes are re-checked against the Nodes even without a change.
    public init(client: KubeClient, nodeName: String, namespace: NetworkNamespace? = nil, resyncPeriod: Duration = .seconds(30),
                logger: Logger) throws {
        self.client = client
        self.nodeName = nodeName
        self.netlink = try namespace.map { try RouteNetlink(in: $0) } ?? RouteNetlink()
        self.resyncPeriod = resyncPeriod
        self.logger = logger
    }

    /// Watches Nodes and reconciles after every change and every `resyncPeriod`, until the calling task is cancelled.
    public func run() async {
        let nodes = Informer<Node>(client: client, logger: logger)
        let events = nodes.events()
        logger.info("programming pod routes (host-gw)", metadata: ["node": "\(nodeName)", "protocol": "\(Self.routeProtocol.rawValue)"])
        await withDiscardingTaskGroup { group in
            group.addTask { await nodes.run() }
            group.addTask {
                for await _ in events { await self.reconcile(nodes: nodes.list()) }
            }
            group.addTask {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: self.resyncPeriod) } catch { return }
                    if nodes.hasSynced { await self.reconcile(nodes: nodes.list()) }
                }
            }
        }
    }

    /// Makes the kernel's routes of our protocol exactly `PodRoute.desired(nodes:)`: missing or changed ones
    /// replaced, stale ones deleted. A route that cannot be programmed is logged and retried next time.
    @discardableResult
    public func reconcile(nodes: [Node]) -> Set<PodRoute> {
        let desired = PodRoute.desired(nodes: nodes, localNodeName: nodeName)
        let installed: [Route]
        do {
            installed = try ownRoutes()
        } catch {
            logger.error("cannot list routes", metadata: ["error": "\(error)"])
            return []
        }
        // A destination that stays gets its new gateway by a replace below (no moment without a route); the rest go.
        let destinations = Set(desired.map(\.destination))
        for route in installed where !destinations.contains(route.destination) {
            do {
                try netlink.deleteRoute(route)
                logger.info("pod route removed", metadata: ["route": "\(route.destination) via \(route.gateway.map { "\($0)" } ?? "-")"])
            } catch {
                logger.warning("cannot remove pod route", metadata: ["route": "\(route.destination)", "error": "\(error)"])
            }
        }
        let present = Set(installed.map { Hop(destination: $0.destination, gateway: $0.gateway) })
        var programmed: Set<PodRoute> = []
        var failing: Set<PodRoute> = []
        for route in desired {
            if present.contains(Hop(destination: route.destination, gateway: route.gateway)) {
                programmed.insert(route)
                continue
            }
            do {
                try netlink.replaceRoute(Route(destination: route.destination, gateway: route.gateway, routeProtocol: Self.routeProtocol))
                programmed.insert(route)
                logger.info("pod route programmed", metadata: ["route": "\(route)"])
            } catch {
                failing.insert(route)
                if !self.failing.contains(route) {
                    logger.warning("cannot program pod route", metadata: ["route": "\(route)", "error": "\(error)"])
                }
            }
        }
        self.failing = failing
        return programmed
    }

    /// What makes two routes the same for reconciling: where to and through whom.
    private struct Hop: Hashable {
        var destination: IPNetwork
        var gateway: IPAddress?
    }

    /// Deletes every route this controller made (a throwaway node shutting down).
    public func removeAll() throws {
        for route in try ownRoutes() { try netlink.deleteRoute(route) }
    }

    /// The routes of our protocol in the main table, both families.
    public func ownRoutes() throws -> [Route] {
        try (netlink.routes(family: .v4) + netlink.routes(family: .v6)).filter { $0.routeProtocol == Self.routeProtocol }
    }
}
