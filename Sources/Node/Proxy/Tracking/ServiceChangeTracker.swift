import KubeAPI
import Synchronization

/// Keeps the proxied service ports in step with Service informer events and hands out immutable
/// ``ServicePortMap`` snapshots (upstream's `ServiceChangeTracker`).
///
/// Each event converts only the changed Service, so a snapshot costs a dictionary copy, not a re-read of
/// every Service. Safe to call from any task; calls never wait on a sync.
///
///     let tracker = ServiceChangeTracker()
///     if tracker.update(old: nil, new: service) { runner.requestSync() }
///     let ports = tracker.snapshot()
///     let (current, changed) = tracker.takeChanges()   // the sync's snapshot and what changed since the last take
public final class ServiceChangeTracker: Sendable {
    private struct State {
        var ports: [ServicePortName: ServicePortInfo] = [:]
        var namesByService: [String: [ServicePortName]] = [:]
        /// Ports added, changed or removed since the last ``takeChanges()``.
        var changed: Set<ServicePortName> = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Applies a change: `old` nil for an add, `new` nil for a delete. Returns whether the proxied ports
    /// changed (a status-only or annotation change returns false, so no sync is needed).
    @discardableResult
    public func update(old: Service?, new: Service?) -> Bool {
        guard let object = new ?? old else { return false }
        let key = "\(object.metadata.namespace ?? "default")/\(object.metadata.name ?? "")"
        let ports = new.map(Self.servicePorts(of:)) ?? []
        return state.withLock { s in
            let previous = (s.namesByService[key] ?? []).compactMap { s.ports[$0] }
            guard previous.sorted(by: { $0.name < $1.name }) != ports.sorted(by: { $0.name < $1.name }) else { return false }
            let wanted = Dictionary(ports.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
            for old in previous where wanted[old.name] != old { s.changed.insert(old.name) }
            for (name, port) in wanted where s.ports[name] != port { s.changed.insert(name) }
            for name in s.namesByService[key] ?? [] { s.ports[name] = nil }
            for port in ports { s.ports[port.name] = port }
            s.namesByService[key] = ports.isEmpty ? nil : ports.map(\.name)
            return true
        }
    }

    /// The current service ports.
    public func snapshot() -> ServicePortMap {
        ServicePortMap(ports: state.withLock { $0.ports })
    }

    /// The current service ports and the names of those added, changed or removed since the previous
    /// call, taken together (so no change falls between them); the next call reports changes from here.
    /// For the one sync loop that passes them to ``Proxier/syncRules(services:endpoints:node:changed:)``.
    public func takeChanges() -> (ports: ServicePortMap, changed: Set<ServicePortName>) {
        state.withLock { s in
            defer { s.changed = [] }
            return (ServicePortMap(ports: s.ports), s.changed)
        }
    }

    /// The proxied ports of `service`: none for ExternalName and headless services.
    public static func servicePorts(of service: Service) -> [ServicePortInfo] {
        guard let spec = service.spec, let name = service.metadata.name else { return [] }
        let namespace = service.metadata.namespace ?? "default"
        if spec.type == "ExternalName" { return [] }
        let clusterIPs = (spec.clusterIPs?.isEmpty == false ? spec.clusterIPs! : [spec.clusterIP].compactMap { $0 })
            .filter { !$0.isEmpty && $0 != "None" }
        guard !clusterIPs.isEmpty else { return [] }
        let affinity: ServicePortInfo.SessionAffinity = spec.sessionAffinity == "ClientIP"
            ? .clientIP(timeoutSeconds: Int(spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800)) : .none
        let isLoadBalancer = spec.type == "LoadBalancer"
        let hasNodePorts = spec.type == "NodePort" || isLoadBalancer
        let ingressIPs = isLoadBalancer
            ? (service.status?.loadBalancer?.ingress ?? []).filter { $0.ipMode != "Proxy" }.compactMap(\.ip).filter { !$0.isEmpty }
            : []
        return (spec.ports ?? []).compactMap { port -> ServicePortInfo? in
            guard let proto = L4Protocol(kubernetes: port.protocol), let number = UInt16(exactly: port.port), number > 0 else {
                return nil
            }
            return ServicePortInfo(
                name: ServicePortName(namespace: namespace, name: name, portName: port.name ?? "", protocol: proto),
                clusterIPs: clusterIPs,
                port: number,
                nodePort: hasNodePorts ? port.nodePort.flatMap { UInt16(exactly: $0) }.flatMap { $0 == 0 ? nil : $0 } : nil,
                externalIPs: spec.externalIPs ?? [],
                loadBalancerIPs: ingressIPs,
                loadBalancerSourceRanges: isLoadBalancer ? (spec.loadBalancerSourceRanges ?? []) : [],
                sessionAffinity: affinity,
                externalTrafficPolicy: spec.externalTrafficPolicy == "Local" ? .local : .cluster,
                internalTrafficPolicy: spec.internalTrafficPolicy == "Local" ? .local : .cluster,
                healthCheckNodePort: spec.healthCheckNodePort.flatMap { UInt16(exactly: $0) }.flatMap { $0 == 0 ? nil : $0 })
        }
    }
}
