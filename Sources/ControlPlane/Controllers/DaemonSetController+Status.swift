import Foundation
import KubeAPI
import Logging
import KubeClient

extension DaemonSetController {
    /// Counts the daemon pods per node and writes the status (upstream's `updateDaemonSetStatus`): on each eligible
    /// node the oldest pod decides whether the node counts as current, ready, available and updated; pods on
    /// ineligible nodes are misscheduled. `observeGeneration` is false while expectations are pending.
    func updateStatus(_ ds: DaemonSet, nodes: [Node], hash: String, selector: LabelSelectorExpression,
                      observeGeneration: Bool) async throws {
        let byNode = try await nodesToDaemonPods(ds, selector: selector)
        let generation = ds.templateGeneration
        let minReady = ds.spec?.minReadySeconds ?? 0
        let now = Date()
        var desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0
        for node in nodes {
            let pods = (byNode[node.metadata.name ?? ""] ?? []).sorted(by: Pod.olderScheduledFirst)
            guard ds.placement(on: node).shouldRun else {
                if !pods.isEmpty { misscheduled += 1 }
                continue
            }
            desired += 1
            guard let pod = pods.first else { continue }
            current += 1
            if pod.isReady {
                ready += 1
                if pod.isAvailable(minReadySeconds: minReady, now: now) { available += 1 }
            }
            if pod.isUpdated(hash: hash, generation: generation) { updated += 1 }
        }
        var status = ds.status ?? DaemonSetStatus()
        status.desiredNumberScheduled = Int32(desired)
        status.currentNumberScheduled = Int32(current)
        status.numberMisscheduled = Int32(misscheduled)
        status.numberReady = Int32(ready)
        status.updatedNumberScheduled = Int32(updated)
        status.numberAvailable = Int32(available)
        status.numberUnavailable = Int32(desired - available)
        if observeGeneration { status.observedGeneration = ds.metadata.generation }
        try await writeStatus(ds, status)
        // The last line of defence against clock skew: look again once minReadySeconds have passed.
        if minReady > 0, ready != available {
            await queue.addAfter(Informer.key(for: ds), delay: .seconds(Int(minReady)))
        }
    }

    /// Writes `status` unless the DaemonSet already has it; on a conflict re-reads once and tries again.
    private func writeStatus(_ ds: DaemonSet, _ status: DaemonSetStatus) async throws {
        var current = ds
        for attempt in 0..<2 {
            if current.status == status { return }
            current.status = status
            do {
                _ = try await client.updateStatus(current)
                return
            } catch let error where error.isConflict && attempt == 0 {
                current = try await client.get(DaemonSet.self, name: ds.metadata.name ?? "", namespace: ds.metadata.namespace)
                guard current.metadata.uid == ds.metadata.uid else { return }
            } catch {
                throw ControllerError.api(error)
            }
        }
    }
}
