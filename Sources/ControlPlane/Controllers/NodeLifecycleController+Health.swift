import Foundation
import KubeAPI
import Logging
import KubeClient

/// The last sign of life the node lifecycle controller saw from a node, timed by its own clock so that clock skew
/// between kubelet and controller does not matter (upstream's `nodeHealthData`).
struct NodeHealth {
    var status: NodeStatus?
    /// When the controller last saw the Ready heartbeat or the Lease advance.
    var probeTimestamp: Date
    var readyTransitionTimestamp: Date
    var lease: Lease?
}

extension NodeLifecycleController {
    /// The condition types marked Unknown when a node goes silent (NetworkUnavailable belongs to the network
    /// provider and is left alone).
    static let monitoredConditions = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]

    /// Records the node's latest heartbeat and, if none came within the grace period, marks its conditions
    /// Unknown through the status subresource (upstream's `tryUpdateNodeHealth`). Returns the Ready condition as
    /// read (a synthesized Unknown one for a node that never posted it) and as it is now.
    func tryUpdateNodeHealth(_ node: inout Node) async throws -> (observed: NodeCondition, current: NodeCondition?) {
        let name = node.metadata.name ?? ""
        let now = Date()
        let created = node.metadata.creationTimestamp ?? Time(now)
        var health = state.withLock { $0.health[name] }
        let currentReady = node.status?.conditions?.first { $0.type == "Ready" }
        let observed: NodeCondition
        let gracePeriod: Duration
        if let currentReady {
            observed = currentReady
            gracePeriod = configuration.nodeMonitorGracePeriod
        } else {
            // Never posted: measure the startup grace from the node's creation.
            observed = NodeCondition(type: "Ready", status: "Unknown", lastHeartbeatTime: created, lastTransitionTime: created)
            gracePeriod = configuration.nodeStartupGracePeriod
            if health != nil {
                health?.status = node.status
            } else {
                health = NodeHealth(status: node.status, probeTimestamp: created.date, readyTransitionTimestamp: created.date)
            }
        }
        let savedReady = health?.status?.conditions?.first { $0.type == "Ready" }
        let savedLease = health?.lease
        switch (health, savedReady, currentReady) {
        case (nil, _, _), (_?, nil, _?), (_?, _?, nil):
            // First sight, a restart with the node already reporting, or a Ready condition that vanished.
            health = NodeHealth(status: node.status, probeTimestamp: now, readyTransitionTimestamp: now, lease: savedLease)
        case (let previous?, let saved?, let current?) where saved.lastHeartbeatTime != current.lastHeartbeatTime:
            let transition = saved.lastTransitionTime != current.lastTransitionTime ? now : previous.readyTransitionTimestamp
            health = NodeHealth(status: node.status, probeTimestamp: now, readyTransitionTimestamp: transition, lease: savedLease)
        default:
            break
        }
        guard var record = health else { return (observed, currentReady) }
        // A renewed Lease is a heartbeat too; a kubelet that renews its Lease but never posts status counts as
        // healthy, as upstream.
        let observedLease = leases.get(name: name, namespace: Self.leaseNamespace)
        if let observedLease, let renewed = observedLease.spec?.renewTime,
           savedLease == nil || (savedLease?.spec?.renewTime).map({ $0 < renewed }) ?? true {
            record.lease = observedLease
            record.probeTimestamp = now
        }
        defer { state.withLock { $0.health[name] = record } }
        guard now > record.probeTimestamp.addingTimeInterval(gracePeriod.timeInterval) else { return (observed, currentReady) }

        var status = node.status ?? NodeStatus()
        var conditions = status.conditions ?? []
        for type in Self.monitoredConditions {
            if let index = conditions.firstIndex(where: { $0.type == type }) {
                guard conditions[index].status != "Unknown" else { continue }
                conditions[index].status = "Unknown"
                conditions[index].reason = "NodeStatusUnknown"
                conditions[index].message = "Kubelet stopped posting node status."
                conditions[index].lastTransitionTime = Time(now)
            } else {
                conditions.append(NodeCondition(type: type, status: "Unknown", lastHeartbeatTime: created, lastTransitionTime: Time(now),
                                                reason: "NodeStatusNeverUpdated", message: "Kubelet never posted node status."))
            }
        }
        status.conditions = conditions
        node.status = status
        let current = conditions.first { $0.type == "Ready" }
        guard current != observed else { return (observed, current) }
        logger.info("node stopped posting status, marking it Unknown", metadata: [
            "node": "\(name)", "silentFor": "\(Int(now.timeIntervalSince(record.probeTimestamp)))s",
        ])
        do {
            node = try await client.updateStatus(node)
        } catch {
            throw ControllerError.api(error)
        }
        record = NodeHealth(status: node.status, probeTimestamp: record.probeTimestamp, readyTransitionTimestamp: now, lease: observedLease)
        return (observed, current)
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
