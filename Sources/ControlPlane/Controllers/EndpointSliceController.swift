import Foundation
import KubeAPI
import KubeClient
import Logging

/// Publishes the pods behind each Service with a selector as discovery.k8s.io/v1 EndpointSlices (upstream's
/// `endpointslice-controller`), which kube-proxy and DNS read.
///
/// Slices carry `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by`, hold at most
/// `maxEndpointsPerSlice` endpoints, group endpoints by address family and resolved ports (a named target port
/// can map to different numbers on different pods), and are owned by their Service, so the garbage collector
/// removes them with it. A Service without endpoints keeps one empty slice, as upstream does.
///
/// Each endpoint carries its node's `topology.kubernetes.io/zone` label as `zone`; for a Service with
/// `trafficDistribution: PreferClose` every ready endpoint with a zone is hinted for that zone (`hints.forZones`),
/// which proxies in the zone then prefer (upstream's `trafficdist` PreferClose heuristic); other Services' endpoints
/// carry no hints. A Service annotated `service.kubernetes.io/topology-mode: Auto` gets its hints from the zones'
/// shares of the nodes' CPU instead (``TopologyCache``), with upstream's Events on the Service.
public struct EndpointSliceController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "endpointslice-controller"
    /// The `endpointslice.kubernetes.io/managed-by` value of slices this controller owns.
    public static let managedBy = "endpointslice-controller.k8s.io"
    static let serviceNameLabel = "kubernetes.io/service-name"
    static let managedByLabel = "endpointslice.kubernetes.io/managed-by"

    public var name: String { Self.controllerName }
    let client: KubeClient
    let services: Informer<Service>
    let pods: Informer<Pod>
    let slices: Informer<EndpointSlice>
    let nodes: Informer<Node>
    let topology = TopologyCache()
    let events: EventRecorder
    let writer: EndpointSliceWriter
    let queue: WorkQueue
    let maxEndpointsPerSlice: Int
    let logger: Logger
    let metrics: ControllerMetrics

    /// - Parameter maxEndpointsPerSlice: upstream's `--max-endpoints-per-slice` (100).
    public init(context: ControllerContext, maxEndpointsPerSlice: Int = 100) {
        client = context.client
        services = context.informers.informer(Service.self)
        pods = context.informers.informer(Pod.self)
        slices = context.informers.informer(EndpointSlice.self)
        nodes = context.informers.informer(Node.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "endpointslice", logger: logger)
        events = EventRecorder(client: context.client, component: "endpoint-slice-controller", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        self.maxEndpointsPerSlice = maxEndpointsPerSlice
        writer = EndpointSliceWriter(client: context.client)
        services.addHandler(.enqueueing(into: queue))
        pods.addHandler(ServiceEndpoints.podHandler(services: services, queue: queue))
        slices.addHandler(EndpointSliceWriter.enqueueingService(of: Self.managedBy, into: queue))
        let queue = queue
        // A node moved to another zone: its endpoints' zones (and hints) follow. Nodes coming, going, changing
        // readiness, zone or CPU change the zones' shares for topology-mode Auto.
        let services = services, topology = topology
        services.addHandler(InformerHandler(
            onAdd: { topology.track(service: Informer<Service>.key(for: $0), auto: TopologyCache.isEnabled($0.metadata.annotations)) },
            onUpdate: { _, new in topology.track(service: Informer<Service>.key(for: new), auto: TopologyCache.isEnabled(new.metadata.annotations)) },
            onDelete: { topology.track(service: Informer<Service>.key(for: $0), auto: false) }))
        let distributionChanged: @Sendable () async -> Void = {
            topology.nodesChanged()
            for key in topology.autoServices { await queue.add(key) }
        }
        nodes.addHandler(InformerHandler(onAdd: { _ in await distributionChanged() }, onUpdate: { old, new in
            if old.metadata.labels?[Node.zoneLabel] != new.metadata.labels?[Node.zoneLabel] {
                for service in services.list() { await queue.add(Informer<Service>.key(for: service)) }
            }
            if TopologyCache.shareFacts(of: old) != TopologyCache.shareFacts(of: new) { await distributionChanged() }
        }, onDelete: { _ in await distributionChanged() }))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { key in try await syncService(key) }
    }

    /// Makes the Service's managed slices hold exactly its current endpoints.
    func syncService(_ key: String) async throws {
        let (namespace, name) = splitKey(key)
        let existing = slices.list(namespace: namespace).filter {
            $0.metadata.labels?[Self.serviceNameLabel] == name && $0.metadata.labels?[Self.managedByLabel] == Self.managedBy
        }
        guard let service = services.get(key), ServiceEndpoints.selector(of: service) != nil else {
            topology.removeHints(service: key)
            for slice in existing { try await writer.delete(slice) }
            return
        }
        var desired = desiredSlices(for: service)
        addHints(to: &desired, service: service, key: key)
        try await writer.write(desired, over: existing)
    }

    /// The slices the Service should have: endpoints grouped by address type and ports, chunked.
    func desiredSlices(for service: Service) -> [EndpointSlice] {
        var groups: [String: (addressType: String, ports: [EndpointSlicePort], endpoints: [Endpoint])] = [:]
        var order: [String] = []
        for pod in ServiceEndpoints.pods(of: service, in: pods) {
            let ip = pod.status?.podIP ?? ""
            let addressType = ip.contains(":") ? "IPv6" : "IPv4"
            let ports = (service.spec?.ports ?? []).compactMap { port -> EndpointSlicePort? in
                guard let target = ServiceEndpoints.targetPort(port, on: pod) else { return nil }
                return EndpointSlicePort(name: port.name ?? "", protocol: port.protocol ?? "TCP", port: target, appProtocol: port.appProtocol)
            }
            let terminating = pod.metadata.deletionTimestamp != nil
            let ready = ServiceEndpoints.publishesNotReady(service) || (pod.isReady && !terminating)
            let zone = pod.spec?.nodeName.flatMap { nodes.get(name: $0)?.metadata.labels?[Node.zoneLabel] }.flatMap { $0.isEmpty ? nil : $0 }
            let endpoint = Endpoint(addresses: [ip],
                                    conditions: EndpointConditions(ready: ready, serving: pod.isReady || ServiceEndpoints.publishesNotReady(service),
                                                                   terminating: terminating),
                                    hostname: ServiceEndpoints.hostname(of: pod, in: service),
                                    targetRef: ServiceEndpoints.reference(to: pod), nodeName: pod.spec?.nodeName, zone: zone)
            let groupKey = addressType + "|" + ports.map { "\($0.name ?? "")/\($0.protocol ?? "")/\($0.port ?? 0)" }.joined(separator: ",")
            if groups[groupKey] == nil {
                groups[groupKey] = (addressType, ports, [])
                order.append(groupKey)
            }
            groups[groupKey]?.endpoints.append(endpoint)
        }
        var result: [EndpointSlice] = []
        for key in order {
            guard let group = groups[key] else { continue }
            var start = 0
            while start < group.endpoints.count {
                let chunk = Array(group.endpoints[start..<min(start + maxEndpointsPerSlice, group.endpoints.count)])
                result.append(slice(for: service, addressType: group.addressType, ports: group.ports.isEmpty ? nil : group.ports, endpoints: chunk))
                start += maxEndpointsPerSlice
            }
        }
        if result.isEmpty {
            let family = service.spec?.ipFamilies?.first ?? "IPv4"
            result.append(slice(for: service, addressType: family, ports: nil, endpoints: []))
        }
        return result
    }

    /// Topology hints, as upstream's reconciler sets them: topology-mode Auto (``TopologyCache``) first, with its
    /// Events; otherwise the `trafficDistribution: PreferClose` heuristic — a ready endpoint in a zone is hinted for
    /// its own zone — or no hints at all. Turning Auto off is a Warning when the Service had hints.
    func addHints(to slices: inout [EndpointSlice], service: Service, key: String) {
        var recorded: [TopologyCache.Event] = []
        if TopologyCache.isEnabled(service.metadata.annotations) {
            topology.refreshNodes { nodes.list() }
            for addressType in Set(slices.map(\.addressType)).sorted() {
                let indices = slices.indices.filter { slices[$0].addressType == addressType }
                var group = indices.map { slices[$0] }
                recorded += topology.addHints(service: key, addressType: addressType, slices: &group)
                for (index, slice) in zip(indices, group) { slices[index] = slice }
            }
        } else {
            if topology.removeHints(service: key), let addressType = slices.first?.addressType {
                recorded.append(.disabled(TopologyCache.Message.disabled, addressType: addressType))
            }
            let preferClose = service.spec?.trafficDistribution == Self.preferClose
            for s in slices.indices {
                for e in slices[s].endpoints.indices {
                    let endpoint = slices[s].endpoints[e]
                    guard preferClose, TopologyCache.isReady(endpoint), let zone = endpoint.zone else { continue }
                    slices[s].endpoints[e].hints = EndpointHints(forZones: [ForZone(name: zone)])
                }
            }
        }
        for event in recorded { events.record(service, event.type, reason: event.reason, message: event.message) }
    }

    /// The `trafficDistribution` value that asks for topology-aware routing.
    static let preferClose = "PreferClose"

    private func slice(for service: Service, addressType: String, ports: [EndpointSlicePort]?, endpoints: [Endpoint]) -> EndpointSlice {
        let name = service.metadata.name ?? ""
        var labels = service.metadata.labels ?? [:]
        labels[Self.serviceNameLabel] = name
        labels[Self.managedByLabel] = Self.managedBy
        return EndpointSlice(metadata: ObjectMeta(generateName: "\(name)-", namespace: service.metadata.namespace, labels: labels,
                                                  ownerReferences: [service.controllerReference]),
                             addressType: addressType, endpoints: endpoints, ports: ports)
    }
}
