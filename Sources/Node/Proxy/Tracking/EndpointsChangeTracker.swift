import Foundation
import KubeAPI
import Synchronization

/// Keeps the endpoints of every service port in step with EndpointSlice informer events and hands out
/// immutable ``EndpointsMap`` snapshots (upstream's `EndpointsChangeTracker`).
///
/// Slices are grouped by their `kubernetes.io/service-name` label; a change to one slice re-merges only
/// that service's slices. Endpoints on `nodeName` are marked local.
///
///     let tracker = EndpointsChangeTracker(nodeName: "node-1")
///     if tracker.update(old: nil, new: slice) { runner.requestSync() }
public final class EndpointsChangeTracker: Sendable {
    /// The label linking a slice to its Service.
    public static let serviceNameLabel = "kubernetes.io/service-name"
    /// The annotation the EndpointSlice controller sets to when the change that caused it happened.
    public static let lastChangeTriggerTime = "endpoints.kubernetes.io/last-change-trigger-time"

    private struct State {
        /// Slices by `namespace/slice-name`, with the `namespace/service` they belong to.
        var slices: [String: (service: String, slice: EndpointSlice)] = [:]
        var slicesByService: [String: Set<String>] = [:]
        var endpoints: [ServicePortName: [EndpointInfo]] = [:]
        var namesByService: [String: [ServicePortName]] = [:]
        /// Trigger times of changes not yet programmed, for `network_programming_duration_seconds`.
        var pendingTriggerTimes: [Date] = []
        /// Service ports whose endpoints changed since the last ``takeChanges()``.
        var changed: Set<ServicePortName> = []
    }

    public let nodeName: String
    private let state = Mutex(State())

    public init(nodeName: String) { self.nodeName = nodeName }

    /// Applies a change: `old` nil for an add, `new` nil for a delete. Returns whether any service port's
    /// endpoints changed.
    @discardableResult
    public func update(old: EndpointSlice?, new: EndpointSlice?) -> Bool {
        guard let object = new ?? old, let sliceName = object.metadata.name else { return false }
        let namespace = object.metadata.namespace ?? "default"
        let sliceKey = "\(namespace)/\(sliceName)"
        let newService = new.flatMap(Self.serviceName(of:)).map { "\(namespace)/\($0)" }
        return state.withLock { s in
            var affected: Set<String> = []
            if let previous = s.slices[sliceKey] {
                affected.insert(previous.service)
                s.slicesByService[previous.service]?.remove(sliceKey)
                if s.slicesByService[previous.service]?.isEmpty == true { s.slicesByService[previous.service] = nil }
                s.slices[sliceKey] = nil
            }
            if let new, let newService {
                affected.insert(newService)
                s.slices[sliceKey] = (newService, new)
                s.slicesByService[newService, default: []].insert(sliceKey)
            }
            var changed = false
            for service in affected {
                let merged = Self.merge((s.slicesByService[service] ?? []).sorted().compactMap { s.slices[$0]?.slice },
                                        service: service, nodeName: nodeName)
                let oldNames = s.namesByService[service] ?? []
                let oldValue = Dictionary(uniqueKeysWithValues: oldNames.compactMap { name in s.endpoints[name].map { (name, $0) } })
                guard oldValue != merged else { continue }
                changed = true
                for name in oldNames where merged[name] != oldValue[name] { s.changed.insert(name) }
                for name in merged.keys where oldValue[name] == nil { s.changed.insert(name) }
                for name in oldNames { s.endpoints[name] = nil }
                for (name, list) in merged { s.endpoints[name] = list }
                s.namesByService[service] = merged.isEmpty ? nil : Array(merged.keys)
            }
            if changed, let text = new?.metadata.annotations?[Self.lastChangeTriggerTime], let time = Time(rfc3339: text) {
                s.pendingTriggerTimes.append(time.date)
            }
            return changed
        }
    }

    /// The trigger times (`endpoints.kubernetes.io/last-change-trigger-time`) of the changes seen since
    /// the last call; the caller records them once the rules are programmed.
    public func takeTriggerTimes() -> [Date] {
        state.withLock { s in
            defer { s.pendingTriggerTimes = [] }
            return s.pendingTriggerTimes
        }
    }

    /// The current endpoints.
    public func snapshot() -> EndpointsMap {
        EndpointsMap(sorted: state.withLock { $0.endpoints })
    }

    /// The current endpoints and the service ports whose endpoints changed since the previous call, taken
    /// together (so no change falls between them); the next call reports changes from here. For the one
    /// sync loop that passes them to ``Proxier/syncRules(services:endpoints:node:changed:)``.
    public func takeChanges() -> (endpoints: EndpointsMap, changed: Set<ServicePortName>) {
        state.withLock { s in
            defer { s.changed = [] }
            return (EndpointsMap(sorted: s.endpoints), s.changed)
        }
    }

    /// The Service a slice belongs to, from its label.
    static func serviceName(of slice: EndpointSlice) -> String? {
        guard let name = slice.metadata.labels?[serviceNameLabel], !name.isEmpty else { return nil }
        return name
    }

    /// The endpoints of `service` (`namespace/name`) per port, merged over `slices` (IPv4 and IPv6; FQDN
    /// slices ignored), sorted, duplicates (the same address in two slices) kept once.
    static func merge(_ slices: [EndpointSlice], service: String, nodeName: String) -> [ServicePortName: [EndpointInfo]] {
        let parts = service.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return [:] }
        var result: [ServicePortName: Set<EndpointInfo>] = [:]
        for slice in slices where slice.addressType == "IPv4" || slice.addressType == "IPv6" {
            for port in slice.ports ?? [] {
                guard let proto = L4Protocol(kubernetes: port.protocol), let number = port.port.flatMap({ UInt16(exactly: $0) }),
                      number > 0 else { continue }
                let name = ServicePortName(namespace: parts[0], name: parts[1], portName: port.name ?? "", protocol: proto)
                for endpoint in slice.endpoints {
                    guard let address = endpoint.addresses.first else { continue }
                    let ready = endpoint.conditions?.ready ?? true
                    let info = EndpointInfo(ip: address, port: number, ready: ready,
                                            serving: endpoint.conditions?.serving ?? ready,
                                            terminating: endpoint.conditions?.terminating ?? false,
                                            nodeName: endpoint.nodeName, isLocal: endpoint.nodeName == nodeName,
                                            zoneHints: endpoint.hints?.forZones?.map(\.name) ?? [])
                    result[name, default: []].insert(info)
                }
            }
        }
        // The same address from two slices: keep the "best" copy (ready over serving over neither).
        return result.mapValues { set in
            var byAddress: [String: EndpointInfo] = [:]
            for info in set {
                let key = info.description
                if let existing = byAddress[key], Self.rank(existing) >= Self.rank(info) { continue }
                byAddress[key] = info
            }
            return byAddress.values.sorted()
        }
    }

    private static func rank(_ info: EndpointInfo) -> Int { (info.ready ? 2 : 0) + (info.serving ? 1 : 0) }
}
