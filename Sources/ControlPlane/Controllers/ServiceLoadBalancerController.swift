import KubeAPI
import KubeClient
import Logging

/// A load balancer for `type: LoadBalancer` Services on nodes without a cloud provider, under upstream's
/// `service-lb-controller` name (alias `service`) and doing what k3s's ServiceLB does: every such Service without a
/// `loadBalancerClass` gets the addresses of the Ready nodes as `status.loadBalancer.ingress` (each node's
/// ExternalIP, else its InternalIP, of the Service's IP families; `ipMode: VIP`), so every node's proxy accepts the
/// Service's ports on those addresses and `kubectl get svc` shows them as EXTERNAL-IP.
///
/// A node's address serves a port and protocol for one Service only, as a host port does: the oldest Service (by
/// creation, then namespace and name) gets it, and a Service gets a node only where all its ports are free there —
/// one that gets no node at all stays `<pending>` with a `SyncLoadBalancerFailed` Warning. Nodes labelled
/// `node.kubernetes.io/exclude-from-external-load-balancers` are left out, as upstream's service controller leaves
/// them out. A Service that stops being a LoadBalancer loses its ingress. Events as upstream's `service-controller`:
/// `EnsuringLoadBalancer`, `EnsuredLoadBalancer`.
public struct ServiceLoadBalancerController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "service-lb-controller"
    static let excludeLabel = "node.kubernetes.io/exclude-from-external-load-balancers"
    /// The one work-queue key: every LoadBalancer Service is placed at once, since they compete for node ports.
    static let allServices = "*"

    public var name: String { Self.controllerName }
    let client: KubeClient
    let services: Informer<Service>
    let nodes: Informer<Node>
    let queue: WorkQueue
    /// The keys of the Services this controller places or releases: node events matter only while there are any.
    let interesting = Locked<Set<String>>([])
    let events: EventRecorder
    let logger: Logger
    let metrics: ControllerMetrics

    public init(context: ControllerContext) {
        client = context.client
        services = context.informers.informer(Service.self)
        nodes = context.informers.informer(Node.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "service-lb", logger: logger)
        events = EventRecorder(client: context.client, component: "service-controller", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        let queue = queue
        let enqueue: @Sendable () async -> Void = { await queue.add(Self.allServices) }
        let interesting = interesting
        let track: @Sendable (Service, Bool) -> Void = { service, present in
            let key = Informer<Service>.key(for: service)
            let relevant = present && (Self.isBalanced(service) || Self.isReleased(service))
            interesting.withLock { if relevant { $0.insert(key) } else { $0.remove(key) } }
        }
        services.addHandler(InformerHandler(onAdd: { track($0, true); await enqueue() }, onUpdate: { old, new in
            track(new, true)
            if Self.placementFacts(old) != Self.placementFacts(new) { await enqueue() }
        }, onDelete: { track($0, false); await enqueue() }))
        let nodeChanged: @Sendable () async -> Void = { if !interesting.withLock({ $0.isEmpty }) { await enqueue() } }
        nodes.addHandler(InformerHandler(onAdd: { _ in await nodeChanged() }, onUpdate: { old, new in
            if Self.nodeFacts(old) != Self.nodeFacts(new) { await nodeChanged() }
        }, onDelete: { _ in await nodeChanged() }))
    }

    public func run(workers: Int) async {
        // One key: one worker.
        await queue.processSyncs(workers: 1, metrics: metrics, logger: logger) { _ in try await sync() }
    }

    /// What of a Service its placement depends on.
    static func placementFacts(_ service: Service) -> [String] {
        let spec = service.spec
        return [spec?.type ?? "", spec?.loadBalancerClass ?? "", (spec?.ipFamilies ?? []).joined(separator: ","),
                ports(of: service).joined(separator: ","), ingress(of: service).joined(separator: ",")]
    }

    /// The Service's ports as `port/protocol`: what a node address serves for one Service only.
    static func ports(of service: Service) -> [String] {
        (service.spec?.ports ?? []).map { "\($0.port)/\($0.protocol ?? "TCP")" }
    }

    /// What of a node the placement depends on.
    static func nodeFacts(_ node: Node) -> [String] {
        [Self.isEligible(node) ? "eligible" : "", Self.addresses(of: node).joined(separator: ",")]
    }

    static func isEligible(_ node: Node) -> Bool {
        node.metadata.labels?[excludeLabel] == nil && node.metadata.deletionTimestamp == nil
            && node.status?.conditions?.first { $0.type == "Ready" }?.status == "True"
    }

    /// The node's load-balancer addresses: its ExternalIPs, else its InternalIPs.
    static func addresses(of node: Node) -> [String] {
        let all = node.status?.addresses ?? []
        let external = all.filter { $0.type == "ExternalIP" }.map(\.address)
        return external.isEmpty ? all.filter { $0.type == "InternalIP" }.map(\.address) : external
    }

    /// Places every LoadBalancer Service and writes the ingress of each whose placement changed.
    func sync() async throws {
        let all = services.list()
        let balanced = all.filter(Self.isBalanced).sorted(by: Self.placementOrder)
        let released = all.filter(Self.isReleased)
        // Node events come by the thousand on big clusters: without LoadBalancers there is nothing to look at.
        guard !balanced.isEmpty || !released.isEmpty else { return }
        let placement = Self.place(balanced, on: nodes.list().filter(Self.isEligible).sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") })
        for service in balanced {
            let addresses = placement[Informer<Service>.key(for: service)] ?? []
            if addresses.isEmpty {
                if Self.ingress(of: service) != [] { try await write([], to: service) }
                events.record(service, "Warning", reason: "SyncLoadBalancerFailed",
                              message: "Error syncing load balancer: failed to ensure load balancer: no Ready node has \(Self.ports(of: service).joined(separator: ", ")) free")
            } else if Self.ingress(of: service) != addresses {
                events.record(service, reason: "EnsuringLoadBalancer", message: "Ensuring load balancer")
                try await write(addresses, to: service)
                events.record(service, reason: "EnsuredLoadBalancer", message: "Ensured load balancer")
            }
        }
        // Services no longer of type LoadBalancer give their addresses back.
        for service in released { try await write([], to: service) }
    }

    static func isBalanced(_ service: Service) -> Bool {
        service.spec?.type == "LoadBalancer" && (service.spec?.loadBalancerClass ?? "").isEmpty
    }

    /// A Service no longer of type LoadBalancer that still holds ingress addresses: they are given back.
    static func isReleased(_ service: Service) -> Bool {
        service.spec?.type != "LoadBalancer" && !ingress(of: service).isEmpty
    }

    /// Oldest first, then by namespace and name: who keeps a contested node port.
    static func placementOrder(_ a: Service, _ b: Service) -> Bool {
        let (ta, tb) = (a.metadata.creationTimestamp?.date, b.metadata.creationTimestamp?.date)
        if ta != tb, let ta, let tb { return ta < tb }
        return Informer<Service>.key(for: a) < Informer<Service>.key(for: b)
    }

    /// The addresses each Service (by key) gets: the nodes' addresses of its families where every one of its ports
    /// and protocols is still free, taken in `services`' order.
    static func place(_ services: [Service], on nodes: [Node]) -> [String: [String]] {
        var taken: [String: Set<String>] = [:]  // node name → "port/protocol"
        var result: [String: [String]] = [:]
        for service in services {
            let ports = Set(Self.ports(of: service))
            let families = Set(service.spec?.ipFamilies ?? ["IPv4"])
            var addresses: [String] = []
            for node in nodes {
                let name = node.metadata.name ?? ""
                let own = Self.addresses(of: node).filter { families.contains($0.contains(":") ? "IPv6" : "IPv4") }
                guard !own.isEmpty, taken[name, default: []].isDisjoint(with: ports) else { continue }
                taken[name, default: []].formUnion(ports)
                addresses += own
            }
            result[Informer<Service>.key(for: service)] = addresses.sorted()
        }
        return result
    }

    static func ingress(of service: Service) -> [String] {
        (service.status?.loadBalancer?.ingress ?? []).compactMap(\.ip).sorted()
    }

    private func write(_ addresses: [String], to service: Service) async throws {
        let ingress: JSONValue = addresses.isEmpty ? .null : .array(addresses.map { ["ip": .string($0), "ipMode": "VIP"] })
        do {
            _ = try await client.patch(Service.self, name: service.metadata.name ?? "", namespace: service.metadata.namespace,
                                       patchType: .merge, ["status": ["loadBalancer": ["ingress": ingress]]], subresource: "status")
            logger.info("load balancer ingress", metadata: ["service": "\(Informer<Service>.key(for: service))", "ingress": "\(addresses)"])
        } catch let error where error.isNotFound {
            return
        } catch {
            throw ControllerError.api(error)
        }
    }
}
