import Foundation
import KubeAPI
import KubeClient
import Logging

/// Maintains the legacy core/v1 `Endpoints` object of each Service with a selector (upstream's
/// `endpoints-controller`), for clients that still read it: ready pods in `addresses`, the others in
/// `notReadyAddresses`, one subset per distinct set of resolved ports. The object of a deleted Service is deleted.
public struct EndpointsController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "endpoints-controller"

    public var name: String { Self.controllerName }
    let client: KubeClient
    let services: Informer<Service>
    let pods: Informer<Pod>
    let endpoints: Informer<Endpoints>
    let queue: WorkQueue
    let logger: Logger
    let metrics: ControllerMetrics

    public init(context: ControllerContext) {
        client = context.client
        services = context.informers.informer(Service.self)
        pods = context.informers.informer(Pod.self)
        endpoints = context.informers.informer(Endpoints.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "endpoints", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        services.addHandler(.enqueueing(into: queue))
        pods.addHandler(ServiceEndpoints.podHandler(services: services, queue: queue))
        endpoints.addHandler(InformerHandler(onDelete: { [queue] in await queue.add(Informer.key(for: $0)) }))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { key in try await syncEndpoints(key) }
    }

    /// Makes the Service's Endpoints object list its current pods.
    func syncEndpoints(_ key: String) async throws {
        let (namespace, name) = splitKey(key)
        guard let service = services.get(key) else {
            guard endpoints.get(key) != nil else { return }
            do {
                try await client.delete(Endpoints.self, name: name, namespace: namespace)
            } catch let error where error.isNotFound {
            } catch {
                throw ControllerError.api(error)
            }
            return
        }
        guard ServiceEndpoints.selector(of: service) != nil else { return }
        var desired = Endpoints(metadata: ObjectMeta(name: name, namespace: namespace, labels: service.metadata.labels),
                                subsets: subsets(for: service))
        do {
            if var current = endpoints.get(key) {
                guard current.subsets != desired.subsets || current.metadata.labels != desired.metadata.labels else { return }
                current.subsets = desired.subsets
                current.metadata.labels = desired.metadata.labels
                _ = try await client.update(current)
            } else {
                desired.setTypeMeta()
                _ = try await client.create(desired)
            }
        } catch {
            throw ControllerError.api(error)
        }
    }

    /// Addresses grouped by resolved ports, sorted for stable output; `nil` when there are none.
    func subsets(for service: Service) -> [EndpointSubset]? {
        var groups: [[EndpointPort]: (ready: [EndpointAddress], notReady: [EndpointAddress])] = [:]
        var order: [[EndpointPort]] = []
        for pod in ServiceEndpoints.pods(of: service, in: pods) {
            let terminating = pod.metadata.deletionTimestamp != nil
            let publishAll = ServiceEndpoints.publishesNotReady(service)
            if terminating, !publishAll { continue }
            let ports = (service.spec?.ports ?? []).compactMap { port -> EndpointPort? in
                guard let target = ServiceEndpoints.targetPort(port, on: pod) else { return nil }
                return EndpointPort(name: port.name, port: target, protocol: port.protocol ?? "TCP", appProtocol: port.appProtocol)
            }
            let address = EndpointAddress(ip: pod.status?.podIP ?? "", hostname: ServiceEndpoints.hostname(of: pod, in: service),
                                          nodeName: pod.spec?.nodeName, targetRef: ServiceEndpoints.reference(to: pod))
            if groups[ports] == nil {
                groups[ports] = ([], [])
                order.append(ports)
            }
            if publishAll || pod.isReady { groups[ports]?.ready.append(address) } else { groups[ports]?.notReady.append(address) }
        }
        let subsets = order.compactMap { ports -> EndpointSubset? in
            guard let group = groups[ports] else { return nil }
            return EndpointSubset(addresses: group.ready.isEmpty ? nil : group.ready.sorted { $0.ip < $1.ip },
                                  notReadyAddresses: group.notReady.isEmpty ? nil : group.notReady.sorted { $0.ip < $1.ip },
                                  ports: ports.isEmpty ? nil : ports)
        }
        return subsets.isEmpty ? nil : subsets
    }
}
