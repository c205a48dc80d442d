import Foundation
import KubeAPI
import Synchronization

/// Topology Aware Routing for Services annotated `service.kubernetes.io/topology-mode: Auto` (upstream's
/// endpointslice `topologycache`): the share of each zone in the allocatable CPU of the Ready nodes decides how many
/// of a Service's ready endpoints are hinted for it. Each endpoint starts hinted for its own zone; zones holding more
/// than their share give endpoints to zones holding less, so no zone's endpoints take more than 20 % over their share
/// of the load (the overload threshold). Where that is impossible — too few endpoints, nodes without zone or CPU, one
/// zone only, an endpoint without a zone — the Service's slices carry no hints and a `TopologyAwareHintsDisabled`
/// Warning says why. It keeps the zones' shares (recomputed when a sync needs them after the nodes changed) and which Services
/// have hints (for the Enabled and Disabled Events). Unlike upstream, which keeps the hints of slices it does not
/// otherwise change and re-syncs only the Services a new node distribution overloads, the controller hints each
/// sync's slices afresh and re-syncs every Auto Service when the distribution changes.
final class TopologyCache: Sendable {
    /// Upstream's `overloadThreshold`: the most any endpoint should be overloaded.
    static let overloadThreshold = 0.2

    /// An Event to record on the Service (upstream's `EventBuilder`).
    struct Event: Equatable, Sendable {
        var type: String
        var reason: String
        var message: String

        static func disabled(_ message: String, addressType: String) -> Event {
            Event(type: "Warning", reason: "TopologyAwareHintsDisabled", message: "\(message), addressType: \(addressType)")
        }
    }

    /// Upstream's messages.
    enum Message {
        static let noZoneSpecified = "One or more endpoints do not have a zone specified"
        static let noAllocatedHintsForZones = "No hints allocated for zones"
        static let enabled = "Topology Aware Hints has been enabled"
        static let disabled = "Topology Aware Hints has been disabled"
        static let insufficientNodeInfo = "Insufficient Node information: allocatable CPU or zone not specified on one or more nodes"
        static let insufficientNumberOfEndpoints = "Insufficient number of endpoints"
        static let minAllocationExceedsOverloadThreshold = "Unable to allocate minimum required endpoints to each zone without exceeding overload threshold"
    }

    /// How many endpoints a zone should get.
    struct Allocation: Equatable {
        var minimum: Int
        var maximum: Int
        var desired: Double
    }

    private struct State {
        /// Each zone's share of the Ready nodes' allocatable CPU; `nil` when the nodes do not allow hints.
        var cpuRatiosByZone: [String: Double]?
        /// Services whose hints were last added rather than removed (upstream's `hintsPopulatedByService`).
        var populated: Set<String> = []
        /// Whether the nodes changed since the shares were computed.
        var nodesChanged = true
        /// The keys of the Services annotated for Topology Aware Routing.
        var autoServices: Set<String> = []
    }

    private let state = Mutex(State())

    /// Whether the annotations ask for Topology Aware Routing: `service.kubernetes.io/topology-aware-hints` (the
    /// deprecated key, which wins when both are set) or `service.kubernetes.io/topology-mode`, `Auto` or `auto`.
    static func isEnabled(_ annotations: [String: String]?) -> Bool {
        guard let value = annotations?["service.kubernetes.io/topology-aware-hints"] ?? annotations?["service.kubernetes.io/topology-mode"] else {
            return false
        }
        return value == "Auto" || value == "auto"
    }

    // MARK: Nodes

    /// Records whether the Service with `key` asks for Topology Aware Routing (false once it is gone), so that node
    /// events find those Services without listing them all.
    func track(service key: String, auto: Bool) {
        state.withLock { state in
            if auto { state.autoServices.insert(key) } else { state.autoServices.remove(key) }
        }
    }

    /// The keys of the Services annotated for Topology Aware Routing.
    var autoServices: [String] { state.withLock { Array($0.autoServices) } }

    /// Marks the zones' shares out of date: the next ``refreshNodes(_:)`` recomputes them. Cheap, for every node event
    /// (at thousands of nodes a recomputation per event would cost more than everything else the controller does).
    func nodesChanged() { state.withLock { $0.nodesChanged = true } }

    /// Recomputes the zones' shares from `nodes()` if the nodes changed since the last time.
    func refreshNodes(_ nodes: () -> [Node]) {
        let stale = state.withLock { state in
            defer { state.nodesChanged = false }
            return state.nodesChanged
        }
        if stale { setNodes(nodes()) }
    }

    /// What of a node ``setNodes(_:)`` reads: a node event that changes none of it leaves the shares as they are.
    static func shareFacts(of node: Node) -> [String?] {
        let labels = node.metadata.labels
        return [labels?[Node.zoneLabel], node.status?.conditions?.first { $0.type == "Ready" }?.status,
                node.status?.allocatable?["cpu"]?.description, labels?[controlPlaneLabel], labels?[masterLabel]]
    }

    /// Nodes labelled so are left out of the shares, as upstream's `hasExcludedLabels`.
    static let controlPlaneLabel = "node-role.kubernetes.io/control-plane", masterLabel = "node-role.kubernetes.io/master"

    /// Upstream's `SetNodes`: each zone's share of the allocatable CPU of the Ready nodes (control-plane nodes
    /// left out). A Ready node without a zone or without CPU, or nodes in fewer than two zones, allow no hints.
    func setNodes(_ nodes: [Node]) {
        var cpuByZone: [String: Int64] = [:]
        var total: Int64 = 0
        var sufficient = true
        for node in nodes {
            let labels = node.metadata.labels ?? [:]
            if labels[Self.controlPlaneLabel] != nil || labels[Self.masterLabel] != nil { continue }
            guard node.status?.conditions?.first(where: { $0.type == "Ready" })?.status == "True" else { continue }
            let cpu = node.status?.allocatable?["cpu"]?.milliValue ?? 0
            guard let zone = labels[Node.zoneLabel], !zone.isEmpty, cpu != 0 else {
                sufficient = false
                break
            }
            total += cpu
            cpuByZone[zone, default: 0] += cpu
        }
        let ratios: [String: Double]? = total == 0 || !sufficient || cpuByZone.count < 2
            ? nil : cpuByZone.mapValues { Double($0) / Double(total) }
        state.withLock { $0.cpuRatiosByZone = ratios }
    }

    // MARK: Hints

    /// Upstream's `AddHints` over the freshly built slices of one address type of a Service: hints every ready endpoint
    /// (or none, with the Warning that says why) and returns the Events to record.
    func addHints(service key: String, addressType: String, slices: inout [EndpointSlice]) -> [Event] {
        let ready = slices.reduce(0) { $0 + $1.endpoints.filter(Self.isReady).count }
        let allocations: [String: Allocation]
        switch allocate(endpoints: ready) {
        case .failure(let reason):
            removeHints(service: key)
            Self.removeHints(from: &slices)
            return [.disabled(reason.message, addressType: addressType)]
        case .success(let result):
            allocations = result
        }

        // 1. Every ready endpoint hinted for its own zone.
        var allocated: [String: Int] = [:]
        for s in slices.indices {
            for e in slices[s].endpoints.indices where Self.isReady(slices[s].endpoints[e]) {
                guard let zone = slices[s].endpoints[e].zone, !zone.isEmpty else {
                    removeHints(service: key)
                    Self.removeHints(from: &slices)
                    return [.disabled(Message.noZoneSpecified, addressType: addressType)]
                }
                allocated[zone, default: 0] += 1
                slices[s].endpoints[e].hints = EndpointHints(forZones: [ForZone(name: zone)])
            }
        }
        // 2. and 3. Zones over their share give endpoints to zones under it.
        var (giving, receiving) = Self.givingAndReceivingZones(allocations: allocations, allocated: allocated)
        redistribution: for s in slices.indices {
            for e in slices[s].endpoints.indices where Self.isReady(slices[s].endpoints[e]) {
                if giving.isEmpty || receiving.isEmpty { break redistribution }
                guard let zone = slices[s].endpoints[e].zone, let toGive = giving[zone], toGive > 0,
                      let target = receiving.keys.sorted().first(where: { receiving[$0, default: 0] > 0 }) else { continue }
                slices[s].endpoints[e].hints = EndpointHints(forZones: [ForZone(name: target)])
                giving[zone] = toGive == 1 ? nil : toGive - 1
                receiving[target] = receiving[target, default: 0] == 1 ? nil : receiving[target, default: 0] - 1
            }
        }
        if allocated.isEmpty {
            removeHints(service: key)
            Self.removeHints(from: &slices)
            return [.disabled(Message.noAllocatedHintsForZones, addressType: addressType)]
        }
        let wasEnabled = state.withLock { !$0.populated.insert(key).inserted }
        return wasEnabled ? [] : [Event(type: "Normal", reason: "TopologyAwareHintsEnabled", message: "\(Message.enabled), addressType: \(addressType)")]
    }

    /// Forgets a Service's hints; returns whether it had hints before (upstream's `HasPopulatedHints`, after which
    /// `RemoveHints` clears it for every address type).
    @discardableResult
    func removeHints(service key: String) -> Bool {
        state.withLock { $0.populated.remove(key) != nil }
    }

    static func removeHints(from slices: inout [EndpointSlice]) {
        for s in slices.indices {
            for e in slices[s].endpoints.indices { slices[s].endpoints[e].hints = nil }
        }
    }

    static func isReady(_ endpoint: Endpoint) -> Bool { endpoint.conditions?.ready == true }

    // MARK: Allocation

    /// Why a Service's endpoints cannot be hinted.
    enum AllocationFailure: Error, Equatable {
        case insufficientNodeInfo
        case insufficientEndpoints(endpoints: Int, zones: Int)
        case minimumExceedsOverloadThreshold(endpoints: Int, zones: Int)

        var message: String {
            switch self {
            case .insufficientNodeInfo: Message.insufficientNodeInfo
            case .insufficientEndpoints(let endpoints, let zones): "\(Message.insufficientNumberOfEndpoints) (\(endpoints) endpoints, \(zones) zones)"
            case .minimumExceedsOverloadThreshold(let endpoints, let zones):
                "\(Message.minAllocationExceedsOverloadThreshold) (\(endpoints) endpoints, \(zones) zones)"
            }
        }
    }

    /// Upstream's `getAllocations`: per zone its desired share of `endpoints`, the minimum that keeps its endpoints
    /// under the overload threshold, and the maximum the other zones' minimums leave.
    func allocate(endpoints: Int) -> Result<[String: Allocation], AllocationFailure> {
        guard let ratios = state.withLock({ $0.cpuRatiosByZone }) else { return .failure(.insufficientNodeInfo) }
        return Self.allocate(endpoints: endpoints, ratios: ratios)
    }

    static func allocate(endpoints: Int, ratios: [String: Double]) -> Result<[String: Allocation], AllocationFailure> {
        // (setNodes keeps no ratios for a single zone, so upstream's "Nodes only ready in one zone" is never reached.)
        guard ratios.count <= endpoints else { return .failure(.insufficientEndpoints(endpoints: endpoints, zones: ratios.count)) }
        var allocations: [String: Allocation] = [:]
        var minimumTotal = 0
        for (zone, ratio) in ratios {
            let desired = ratio * Double(endpoints)
            let minimum = Int((desired * (1 / (1 + overloadThreshold))).rounded(.up))
            allocations[zone] = Allocation(minimum: minimum, maximum: 0, desired: max(desired, Double(minimum)))
            minimumTotal += minimum
            if minimumTotal > endpoints {
                return .failure(.minimumExceedsOverloadThreshold(endpoints: endpoints, zones: ratios.count))
            }
        }
        for zone in allocations.keys { allocations[zone]!.maximum = allocations[zone]!.minimum + endpoints - minimumTotal }
        return .success(allocations)
    }

    /// Upstream's `getGivingAndReceivingZones`: whole endpoints each zone over its desired share gives and each zone
    /// under it receives, largest differences first (ties to the first zone by name).
    static func givingAndReceivingZones(allocations: [String: Allocation], allocated: [String: Int]) -> (giving: [String: Int], receiving: [String: Int]) {
        var givingDesired: [String: Double] = [:], receivingDesired: [String: Double] = [:]
        for (zone, allocation) in allocations {
            let hints = Double(allocated[zone] ?? 0)
            if hints > allocation.desired { givingDesired[zone] = hints - allocation.desired }
            if hints < allocation.desired { receivingDesired[zone] = allocation.desired - hints }
        }
        func most(_ zones: [String: Double]) -> (String, Double)? {
            var best: (String, Double)?
            for zone in zones.keys.sorted() where zones[zone]! > (best?.1 ?? 0) { best = (zone, zones[zone]!) }
            return best
        }
        var giving: [String: Int] = [:], receiving: [String: Int] = [:]
        while let (givingZone, toGive) = most(givingDesired), let (receivingZone, toReceive) = most(receivingDesired),
              !(toGive < 1 && toReceive < 1), toGive >= 0.5, toReceive >= 0.5 {
            giving[givingZone, default: 0] += 1
            givingDesired[givingZone]! -= 1
            receiving[receivingZone, default: 0] += 1
            receivingDesired[receivingZone]! -= 1
        }
        return (giving, receiving)
    }
}
