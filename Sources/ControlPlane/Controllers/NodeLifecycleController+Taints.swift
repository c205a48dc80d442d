import Foundation
import KubeAPI
import Logging
import KubeClient
import Metrics

extension NodeLifecycleController {
    static let unreachableNoExecute = Taint(key: Taint.unreachableKey, effect: "NoExecute")
    static let notReadyNoExecute = Taint(key: Taint.notReadyKey, effect: "NoExecute")

    /// The NoSchedule taint each node condition status implies (upstream's `nodeConditionToTaintKeyStatusMap`).
    static let conditionTaints: [String: [String: String]] = [
        "Ready": ["False": Taint.notReadyKey, "Unknown": Taint.unreachableKey],
        "MemoryPressure": ["True": Taint.memoryPressureKey],
        "DiskPressure": ["True": Taint.diskPressureKey],
        "NetworkUnavailable": ["True": Taint.networkUnavailableKey],
        "PIDPressure": ["True": Taint.pidPressureKey],
    ]

    /// Decides on the NoExecute taint from the Ready condition as read (upstream's `processTaintBaseEviction`):
    /// False or Unknown queue the node for the matching taint (swapping at once if it has the other one), True
    /// removes both.
    func processTaintBaseEviction(_ node: Node, observed: NodeCondition) async {
        let taints = node.spec?.taints ?? []
        switch observed.status {
        case "False", "Unknown":
            let (wanted, opposite) = observed.status == "False"
                ? (Self.notReadyNoExecute, Self.unreachableNoExecute) : (Self.unreachableNoExecute, Self.notReadyNoExecute)
            if taints.contains(where: { $0.matches(opposite) }) {
                do {
                    try await NodeTaints(client: client).swap(node, adding: [wanted], removing: [opposite])
                } catch {
                    logger.warning("failed to swap NoExecute taints; retrying next pass", metadata: ["node": "\(node.metadata.name ?? "")", "error": "\(error)"])
                }
            } else {
                state.withLock { s in
                    let zone = Self.zone(of: node)
                    // A node that lost its taint is queued afresh.
                    if !taints.contains(where: { $0.matches(wanted) }) { s.tainters[zone]?.remove(node.metadata.name ?? "") }
                    s.tainters[zone]?.add(node.metadata.name ?? "")
                }
            }
        case "True":
            await markReachable(node)
        default:
            break
        }
    }

    /// Removes the NoExecute not-ready and unreachable taints and drops the node from its zone's queue.
    func markReachable(_ node: Node) async {
        do {
            try await NodeTaints(client: client).swap(node, adding: [], removing: [Self.unreachableNoExecute, Self.notReadyNoExecute])
        } catch {
            logger.warning("failed to remove NoExecute taints from node", metadata: ["node": "\(node.metadata.name ?? "")", "error": "\(error)"])
        }
        _ = state.withLock { $0.tainters[Self.zone(of: node)]?.remove(node.metadata.name ?? "") }
    }

    /// Taints the nodes each zone's rate allows (upstream's `doNoExecuteTaintingPass`). Not-ready and
    /// unreachable exclude each other, mirroring the Ready condition; a node that is Ready again is dropped.
    func doNoExecuteTaintingPass() async {
        let due = state.withLock { s in
            s.tainters.keys.sorted().flatMap { zone in (s.tainters[zone]?.take() ?? []).map { (zone, $0) } }
        }
        for (zone, name) in due {
            guard let node = nodes.get(name: name) else { continue }
            guard let ready = node.status?.conditions?.first(where: { $0.type == "Ready" }) else {
                _ = state.withLock { $0.tainters[zone]?.retry(name, after: 0.05) }
                continue
            }
            let (wanted, opposite): (Taint, Taint)
            switch ready.status {
            case "False": (wanted, opposite) = (Self.notReadyNoExecute, Self.unreachableNoExecute)
            case "Unknown": (wanted, opposite) = (Self.unreachableNoExecute, Self.notReadyNoExecute)
            default: continue
            }
            do {
                if try await NodeTaints(client: client).swap(node, adding: [wanted], removing: [opposite]) {
                    logger.info("tainted unhealthy node", metadata: ["node": "\(name)", "taint": "\(wanted.key):\(wanted.effect)"])
                    Counter(label: "node_collector_evictions_total", dimensions: [("zone", zone)]).increment()
                }
            } catch {
                logger.warning("failed to taint node; retrying", metadata: ["node": "\(name)", "error": "\(error)"])
                _ = state.withLock { $0.tainters[zone]?.retry(name, after: 0.05) }
            }
        }
    }

    /// Makes the node's condition NoSchedule taints (and the unschedulable one) match its conditions (upstream's
    /// `doNoScheduleTaintingPass`).
    func doNoScheduleTaintingPass(_ name: String) async throws {
        guard let node = nodes.get(name: name) else { return }
        var wanted: [Taint] = []
        for condition in node.status?.conditions ?? [] {
            if let key = Self.conditionTaints[condition.type]?[condition.status] { wanted.append(Taint(key: key, effect: "NoSchedule")) }
        }
        if node.spec?.unschedulable == true { wanted.append(Taint(key: Taint.unschedulableKey, effect: "NoSchedule")) }
        let managedKeys = Set(Self.conditionTaints.values.flatMap(\.values)).union([Taint.unschedulableKey])
        let existing = (node.spec?.taints ?? []).filter { $0.effect == "NoSchedule" && managedKeys.contains($0.key) }
        let adding = wanted.filter { taint in !existing.contains { $0.matches(taint) } }
        let removing = existing.filter { taint in !wanted.contains { $0.matches(taint) } }
        guard !adding.isEmpty || !removing.isEmpty else { return }
        try await NodeTaints(client: client).swap(node, adding: adding, removing: removing)
    }

    /// Marks a pod not ready if its node is not Ready (upstream's `processPod`), for pods scheduled or updated
    /// after their node went down.
    func processPod(_ key: String) async throws {
        guard let pod = pods.get(key), let node = pod.spec?.nodeName, !node.isEmpty else { return }
        let ready = state.withLock { $0.health[node]?.status?.conditions?.first { $0.type == "Ready" } }
        guard let ready, ready.status != "True" else { return }
        try await markPodsNotReady([pod], node: node)
    }

    /// Sets the Ready condition of the node's pods to False through the status subresource (upstream's
    /// `MarkPodsNotReady`); pods that vanished are skipped, other failures are returned after trying all.
    func markPodsNotReady(_ pods: [Pod], node: String) async throws {
        var firstError: (any Error)?
        for pod in pods where pod.spec?.nodeName == node {
            guard var conditions = pod.status?.conditions, let index = conditions.firstIndex(where: { $0.type == "Ready" }),
                  conditions[index].status != "False" else { continue }
            conditions[index].status = "False"
            conditions[index].lastTransitionTime = Time.now()
            var updated = pod
            updated.status?.conditions = conditions
            do {
                _ = try await client.updateStatus(updated)
                logger.info("marked pod not ready: its node is not ready", metadata: ["pod": "\(pod.key)", "node": "\(node)"])
            } catch let error where error.isNotFound {
                continue
            } catch {
                if firstError == nil { firstError = ControllerError.api(error) }
            }
        }
        if let firstError { throw firstError }
    }
}
