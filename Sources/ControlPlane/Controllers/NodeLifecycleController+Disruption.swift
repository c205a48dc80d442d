import Foundation
import KubeAPI
import Logging
import Metrics

/// How healthy a zone looks to the node lifecycle controller (upstream's `ZoneState`).
enum ZoneState: String, Sendable {
    case initial = "Initial"
    case normal = "Normal"
    /// Every node is unready.
    case fullDisruption = "FullDisruption"
    /// More than two nodes and at least `unhealthyZoneThreshold` of them are unready.
    case partialDisruption = "PartialDisruption"
}

extension NodeLifecycleController {
    /// A zone's unready count and state from its nodes' Ready conditions (upstream's `ComputeZoneState`).
    func zoneState(_ conditions: [NodeCondition?]) -> (unhealthy: Int, state: ZoneState) {
        let ready = conditions.count { $0?.status == "True" }
        let notReady = conditions.count - ready
        if ready == 0 && notReady > 0 { return (notReady, .fullDisruption) }
        if notReady > 2 && Double(notReady) / Double(conditions.count) >= configuration.unhealthyZoneThreshold {
            return (notReady, .partialDisruption)
        }
        return (notReady, .normal)
    }

    /// The tainting rate a zone gets in a state: normal and fully disrupted zones the usual rate (another zone
    /// is healthy), partially disrupted ones a slower rate in large clusters and none in small ones.
    func rate(for state: ZoneState, zoneSize: Int) -> Double {
        switch state {
        case .normal, .fullDisruption, .initial: configuration.evictionRate
        case .partialDisruption: zoneSize > configuration.largeClusterSizeThreshold ? configuration.secondaryEvictionRate : 0
        }
    }

    /// Adjusts each zone's tainting rate to its state (upstream's `handleDisruption`). When every zone is fully
    /// disrupted the controller assumes the problem is its own connectivity, not the nodes': it stops tainting
    /// and removes the NoExecute taints; when some node comes back it restarts every node's grace period.
    func handleDisruption(_ zoneConditions: [String: [NodeCondition?]], nodes nodeList: [Node]) async {
        var newStates: [String: ZoneState] = [:]
        var allFullyDisrupted = true
        for (zone, conditions) in zoneConditions {
            let (unhealthy, state) = zoneState(conditions)
            Gauge(label: "node_collector_unhealthy_nodes_in_zone", dimensions: [("zone", zone)]).record(unhealthy)
            Gauge(label: "node_collector_zone_size", dimensions: [("zone", zone)]).record(conditions.count)
            if state != .fullDisruption { allFullyDisrupted = false }
            newStates[zone] = state
        }
        enum Transition { case none, enteringFullDisruption, leavingFullDisruption }
        let transition = state.withLock { s -> Transition in
            for zone in zoneConditions.keys where s.zoneStates[zone] == nil { s.zoneStates[zone] = .initial }
            for zone in s.zoneStates.keys where zoneConditions[zone] == nil { s.zoneStates[zone] = nil }
            let allWereFullyDisrupted = s.zoneStates.values.allSatisfy { $0 == .fullDisruption }
            if allFullyDisrupted && allWereFullyDisrupted { return .none }
            if allFullyDisrupted {
                for zone in s.zoneStates.keys {
                    s.tainters[zone]?.swapRate(0)
                    s.zoneStates[zone] = .fullDisruption
                }
                return .enteringFullDisruption
            }
            if allWereFullyDisrupted {
                let now = Date()
                for name in s.health.keys {
                    s.health[name]?.probeTimestamp = now
                    s.health[name]?.readyTransitionTimestamp = now
                }
            }
            for (zone, current) in s.zoneStates {
                let new = newStates[zone] ?? .normal
                guard current != new || allWereFullyDisrupted else { continue }
                s.tainters[zone]?.swapRate(rate(for: new, zoneSize: zoneConditions[zone]?.count ?? 0))
                s.zoneStates[zone] = new
            }
            return allWereFullyDisrupted ? .leavingFullDisruption : .none
        }
        switch transition {
        case .enteringFullDisruption:
            logger.info("all nodes are not ready: entering full disruption mode, no pods will be evicted")
            for node in nodeList { await markReachable(node) }
        case .leavingFullDisruption:
            logger.info("some nodes are ready again: leaving full disruption mode")
        case .none:
            break
        }
    }
}
