#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KubeAPI
import KubeClient
import Logging

/// Mirrors the core/v1 `Endpoints` of each Service without a selector into discovery.k8s.io/v1 EndpointSlices
/// (upstream's `endpointslice-mirroring-controller`), so that kube-proxy, which reads slices only, routes a Service
/// whose endpoints are written by hand — an external database, a process outside the cluster.
///
/// As upstream: slices are named `<endpoints>-<suffix>`, carry the Endpoints' labels and annotations (not its
/// last-change trigger time or kubectl's last-applied configuration), `kubernetes.io/service-name` and
/// `endpointslice.kubernetes.io/managed-by: endpointslicemirroring-controller.k8s.io`, and are owned by the
/// Endpoints, so the garbage collector removes them with it. Addresses are grouped by address family and ports,
/// `addresses` are ready and `notReadyAddresses` not, and at most `maxEndpointsPerSubset` addresses of a subset are
/// mirrored, with a `TooManyAddressesToMirror` Warning on the Endpoints; an address that is not an IP is skipped
/// with an `InvalidIPAddress` Warning. Endpoints labelled `endpointslice.kubernetes.io/skip-mirror: "true"` (the API
/// server's own `kubernetes` Endpoints), annotated as a leader-election lock, of a Service that has a selector (the
/// EndpointSlice controller's) or of no Service at all are not mirrored, and their mirrored slices are deleted.
public struct EndpointSliceMirroringController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "endpointslice-mirroring-controller"
    /// The `endpointslice.kubernetes.io/managed-by` value of slices this controller owns.
    public static let managedBy = "endpointslicemirroring-controller.k8s.io"
    /// The label that keeps an Endpoints object from being mirrored.
    static let skipMirrorLabel = "endpointslice.kubernetes.io/skip-mirror"
    /// The annotation of an Endpoints object used as a leader-election lock (client-go's resourcelock).
    static let leaderAnnotation = "control-plane.alpha.kubernetes.io/leader"
    /// Annotations of the Endpoints that its slices do not copy.
    static let uncopiedAnnotations: Set<String> = [
        "endpoints.kubernetes.io/last-change-trigger-time", "kubectl.kubernetes.io/last-applied-configuration",
    ]

    public var name: String { Self.controllerName }
    let client: KubeClient
    let services: Informer<Service>
    let endpoints: Informer<Endpoints>
    let slices: Informer<EndpointSlice>
    let events: EventRecorder
    let writer: EndpointSliceWriter
    let queue: WorkQueue
    let maxEndpointsPerSubset: Int
    let logger: Logger
    let metrics: ControllerMetrics

    /// - Parameter maxEndpointsPerSubset: upstream's `--mirroring-max-endpoints-per-subset` (1000), which also
    ///   bounds a mirrored slice.
    public init(context: ControllerContext, maxEndpointsPerSubset: Int = 1000) {
        client = context.client
        services = context.informers.informer(Service.self)
        endpoints = context.informers.informer(Endpoints.self)
        slices = context.informers.informer(EndpointSlice.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "endpointslice_mirroring", logger: logger)
        events = EventRecorder(client: context.client, component: "endpoint-slice-mirroring-controller", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        self.maxEndpointsPerSubset = maxEndpointsPerSubset
        writer = EndpointSliceWriter(client: context.client, writesAnnotations: true)
        services.addHandler(.enqueueing(into: queue))
        endpoints.addHandler(.enqueueing(into: queue))
        // A mirrored slice changed or deleted by someone else is put back.
        slices.addHandler(EndpointSliceWriter.enqueueingService(of: Self.managedBy, into: queue))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { key in try await syncEndpoints(key) }
    }

    /// Makes the mirrored slices of the Endpoints `key` (namespace/name, the Service's key too) hold its addresses.
    func syncEndpoints(_ key: String) async throws {
        let (namespace, name) = splitKey(key)
        let existing = slices.list(namespace: namespace).filter {
            $0.metadata.labels?[EndpointSliceController.serviceNameLabel] == name
                && $0.metadata.labels?[EndpointSliceController.managedByLabel] == Self.managedBy
        }
        guard let service = services.get(key), (service.spec?.selector ?? [:]).isEmpty,
              let source = endpoints.get(key), source.metadata.labels?[Self.skipMirrorLabel] != "true",
              source.metadata.annotations?[Self.leaderAnnotation] == nil else {
            for slice in existing { try await writer.delete(slice) }
            return
        }
        let mirror = mirrored(source)
        if mirror.invalid > 0 {
            events.record(source, "Warning", reason: "InvalidIPAddress",
                          message: "Skipped \(mirror.invalid) invalid IP addresses when mirroring to EndpointSlices")
        }
        if mirror.skipped > mirror.invalid {
            events.record(source, "Warning", reason: "TooManyAddressesToMirror",
                          message: "A max of \(maxEndpointsPerSubset) addresses can be mirrored to EndpointSlices per Endpoints subset. \(mirror.skipped - mirror.invalid) addresses were skipped")
        }
        try await writer.write(mirror.slices, over: existing)
    }

    /// The slices mirroring `source`, with the count of addresses left out and of those that were not IPs.
    func mirrored(_ source: Endpoints) -> (slices: [EndpointSlice], skipped: Int, invalid: Int) {
        var groups: [String: (addressType: String, ports: [EndpointSlicePort], endpoints: [Endpoint])] = [:]
        var order: [String] = []
        var skipped = 0, invalid = 0
        for subset in source.subsets ?? [] {
            let ports = (subset.ports ?? []).map {
                EndpointSlicePort(name: $0.name ?? "", protocol: $0.protocol ?? "TCP", port: $0.port, appProtocol: $0.appProtocol)
            }
            let addresses = (subset.addresses ?? []).map { ($0, true) } + (subset.notReadyAddresses ?? []).map { ($0, false) }
            var added = 0
            for (address, ready) in addresses where added < maxEndpointsPerSubset {
                guard let (ip, addressType) = Self.canonical(address.ip) else {
                    invalid += 1
                    continue
                }
                let key = addressType + "|" + ports.map { "\($0.name ?? "")/\($0.protocol ?? "")/\($0.port ?? 0)/\($0.appProtocol ?? "")" }.joined(separator: ",")
                if groups[key] == nil {
                    groups[key] = (addressType, ports, [])
                    order.append(key)
                }
                groups[key]?.endpoints.append(Endpoint(addresses: [ip], conditions: EndpointConditions(ready: ready),
                                                       hostname: address.hostname.flatMap { $0.isEmpty ? nil : $0 },
                                                       targetRef: address.targetRef, nodeName: address.nodeName))
                added += 1
            }
            skipped += addresses.count - added
        }
        var result: [EndpointSlice] = []
        for key in order {
            guard let group = groups[key] else { continue }
            for start in stride(from: 0, to: group.endpoints.count, by: maxEndpointsPerSubset) {
                let chunk = Array(group.endpoints[start..<min(start + maxEndpointsPerSubset, group.endpoints.count)])
                result.append(slice(mirroring: source, addressType: group.addressType, ports: group.ports, endpoints: chunk))
            }
        }
        return (result, skipped, invalid)
    }

    private func slice(mirroring source: Endpoints, addressType: String, ports: [EndpointSlicePort], endpoints: [Endpoint]) -> EndpointSlice {
        let name = source.metadata.name ?? ""
        var labels = source.metadata.labels ?? [:]
        labels[EndpointSliceController.serviceNameLabel] = name
        labels[EndpointSliceController.managedByLabel] = Self.managedBy
        let annotations = (source.metadata.annotations ?? [:]).filter { !Self.uncopiedAnnotations.contains($0.key) }
        return EndpointSlice(metadata: ObjectMeta(generateName: "\(name)-", namespace: source.metadata.namespace, labels: labels,
                                                  annotations: annotations.isEmpty ? nil : annotations,
                                                  ownerReferences: [source.controllerReference]),
                             addressType: addressType, endpoints: endpoints, ports: ports)
    }

    /// An address as Go's net.IP prints it after parsing, and its family (an IPv4-mapped IPv6 address is IPv4);
    /// nil for text that is not an IP address.
    static func canonical(_ text: String) -> (String, String)? {
        var v4 = in_addr(), v6 = in6_addr()
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if inet_pton(AF_INET, text, &v4) == 1 {
            return inet_ntop(AF_INET, &v4, &buffer, socklen_t(buffer.count)).map { (String(cString: $0), "IPv4") }
        }
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
            return (bytes[12...].map(String.init).joined(separator: "."), "IPv4")
        }
        return inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count)).map { (String(cString: $0), "IPv6") }
    }
}
